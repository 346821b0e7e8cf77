#!/usr/bin/env python3
"""run_ext2.py MODE TEST_EXT2 MKE2FS E2FSCK DEBUGFS: the ext2 host tests, one mode per run.

Builds ext2 images with `mke2fs -d` from a generated tree of files (every size class of the
block map, holes, fast and slow symlinks, hard links, device nodes, FIFOs, owners, modes,
long names, a large directory), runs tests/host/test_ext2 (our ext2 and block cache under
ASan/UBSan) on them, and afterwards checks each image it wrote with `e2fsck -fn` (must be
clean) and `debugfs` (rdump of the whole image must equal the host model directory the C
program mirrored its operations on; device nodes and FIFOs, which rdump skips, are checked
with debugfs stat). Prints TAP.

Modes:
  read      several geometries (1/2/4 KiB blocks, 128/256-byte inodes, revision 0, no
            sparse_super, htree directories made by e2fsck -D): read-only compare, then a
            read-write mount and unmount; e2fsck stays clean
  api       operation semantics on a fresh image (+ large_file switching on)
  write     random create/append/truncate/rename/unlink/link/mkdir/rmdir workloads
  big       a 66 MiB file on 1 KiB blocks (triple indirection) and sparse files
  enospc    filling blocks and inodes
  features  feature policy and bad superblocks
  fuzz      3 x 1000 images with random corruption: errors, never a crash, hang or ASan
            report
"""
import filecmp
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile

MODE, TEST, MKE2FS, E2FSCK, DEBUGFS = sys.argv[1:6]
points = 0
failed = 0


def point(ok, name):
    global points, failed
    points += 1
    if not ok:
        failed += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', points, name), flush=True)


def comment(text):
    for line in str(text).rstrip('\n').split('\n'):
        print('# ' + line)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, errors='replace', **kw)


def run_test(args, name, timeout=170):
    """Run test_ext2; its TAP lines become comments; one point for the whole run."""
    try:
        r = run([TEST] + args, timeout=timeout)
        out, rc = r.stdout, r.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b'').decode(errors='replace') + '\nTIMEOUT', -1
    bad = [l for l in out.split('\n') if l.startswith('not ok')]
    comment('\n'.join('| ' + l for l in out.rstrip('\n').split('\n')))
    point(rc == 0 and not bad, '%s (test_ext2 %s: rc %d)' % (name, args[0], rc))
    return rc == 0 and not bad


def mkfs(img, size, opts, tree=None):
    if os.path.exists(img):
        os.unlink(img)
    cmd = [MKE2FS, '-q', '-F', '-t', 'ext2', '-E', 'root_owner=0:0'] + opts
    if tree:
        cmd += ['-d', tree]
    r = run(cmd + [img, size])
    if r.returncode != 0:
        comment(r.stdout)
    return r.returncode == 0


def fsck_clean(img, name):
    r = run([E2FSCK, '-fn', img])
    comment(r.stdout)
    point(r.returncode == 0, 'e2fsck -fn clean after %s' % name)
    return r.returncode == 0


def debugfs(img, cmd):
    return run([DEBUGFS, '-R', cmd, img]).stdout


# ---- The test tree --------------------------------------------------------------------------

def write_file(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def sparse_file(path, pieces, size=None):
    with open(path, 'wb') as f:
        for off, data in pieces:
            f.seek(off)
            f.write(data)
        if size is not None:
            f.truncate(size)


def make_tree(root, seed, small=False):
    """A tree that exercises every part of the reader. small: for the write workloads."""
    rnd = random.Random(seed)
    os.makedirs(root)
    data = lambda n: rnd.randbytes(n)
    write_file(os.path.join(root, 'empty'), b'')
    os.mkdir(os.path.join(root, 'sizes'))
    sizes = [1, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 12 * 1024, 12 * 1024 + 1,
             12 * 4096 + 1, 268 * 1024, 268 * 1024 + 1, 300000]
    if not small:
        sizes += [1060 * 1024, 2621440]
    for n in sizes:
        write_file(os.path.join(root, 'sizes', 'f_%d' % n), data(n))
    os.mkdir(os.path.join(root, 'sparse'))
    sparse_file(os.path.join(root, 'sparse', 'middle'), [(0, data(100)), (5 << 20, data(100))])
    sparse_file(os.path.join(root, 'sparse', 'tail'), [(0, data(10))], size=3 << 20)
    sparse_file(os.path.join(root, 'sparse', 'lead'), [(1 << 20, data(5000))])
    if not small:
        sparse_file(os.path.join(root, 'sparse', 'triple'), [(70 << 20, data(5000))])
    links = os.path.join(root, 'links')
    os.mkdir(links)
    os.symlink('../sizes/f_1', os.path.join(links, 'fast'))
    os.symlink('x' * 59, os.path.join(links, 'fast59'))
    os.symlink('y' * 60, os.path.join(links, 'slow60'))
    os.symlink('/'.join(['dir%d' % i for i in range(150)])[:1000], os.path.join(links, 'slow'))
    os.symlink('/nonexistent', os.path.join(links, 'dangling'))
    hard = os.path.join(root, 'hard')
    os.mkdir(hard)
    write_file(os.path.join(hard, 'a'), data(3000))
    os.link(os.path.join(hard, 'a'), os.path.join(hard, 'b'))
    os.link(os.path.join(root, 'sizes', 'f_1'), os.path.join(hard, 'c'))
    deep = os.path.join(root, 'deep', *[str(i) for i in range(1, 9)])
    os.makedirs(deep)
    write_file(os.path.join(deep, 'file'), b'deep\n')
    big = os.path.join(root, 'bigdir')
    os.mkdir(big)
    for i in range(120 if small else 400):
        write_file(os.path.join(big, 'entry_%d_%s' % (i, 'n' * rnd.randrange(0, 60))),
                   data(rnd.randrange(0, 200)))
    write_file(os.path.join(big, 'L' * 255), b'longest name')
    write_file(os.path.join(root, 'name with spaces'), b'spaces')
    write_file(os.path.join(root, 'ünïcödé'), b'utf-8')
    special = os.path.join(root, 'special')
    os.mkdir(special)
    os.mkfifo(os.path.join(special, 'fifo'))
    if os.geteuid() == 0:
        os.mknod(os.path.join(special, 'null'), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(os.path.join(special, 'sda'), 0o660 | stat.S_IFBLK, os.makedev(8, 0))
        os.mknod(os.path.join(special, 'bigminor'), 0o600 | stat.S_IFCHR,
                 os.makedev(259, 300000))
    modes = os.path.join(root, 'modes')
    os.mkdir(modes)
    for name, mode in (('setuid', 0o4755), ('readonly', 0o400), ('none', 0), ('all', 0o777)):
        write_file(os.path.join(modes, name), name.encode())
        os.chmod(os.path.join(modes, name), mode)
    for name, mode in (('private', 0o700), ('sticky', 0o1777), ('setgid', 0o2755)):
        os.mkdir(os.path.join(modes, name))
        os.chmod(os.path.join(modes, name), mode)
    os.mkdir(os.path.join(root, 'emptydir'))
    if os.geteuid() == 0:
        os.chown(os.path.join(modes, 'setuid'), 1000, 1000)
        os.chown(os.path.join(modes, 'all'), 70000, 70001)
        os.lchown(os.path.join(links, 'fast'), 5, 6)
    os.utime(os.path.join(root, 'empty'), ns=(1234567890123456789, 1000000000500000000))
    return root


def tree_bytes(root):
    total = 0
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                total += os.stat(p).st_blocks * 512
    return total


# ---- Comparing debugfs's view with a model directory -----------------------------------------

def compare_rdump(img, model, work):
    """debugfs rdump of the image must equal the model (rdump skips device nodes and FIFOs,
    which are checked with debugfs stat instead)."""
    out = os.path.join(work, 'rdump')
    shutil.rmtree(out, ignore_errors=True)
    os.mkdir(out)
    r = run([DEBUGFS, '-R', 'rdump / ' + out, img])
    diffs = []
    for d, dirs, files in os.walk(model):
        rel = os.path.relpath(d, model)
        for name in dirs + files:
            m = os.path.join(d, name)
            o = os.path.join(out, rel, name)
            diffs += compare_one(img, m, o, os.path.normpath(os.path.join(rel, name)))
        got = set(os.listdir(os.path.join(out, rel)))
        want = set(n for n in dirs + files
                   if not stat.S_ISFIFO(os.lstat(os.path.join(d, n)).st_mode) and
                   not stat.S_ISCHR(os.lstat(os.path.join(d, n)).st_mode) and
                   not stat.S_ISBLK(os.lstat(os.path.join(d, n)).st_mode) and
                   not stat.S_ISSOCK(os.lstat(os.path.join(d, n)).st_mode))
        if rel == '.':
            got.discard('lost+found')
        if got != want:
            diffs.append('%s: debugfs lists %s, model %s' % (rel, sorted(got - want)[:5],
                                                              sorted(want - got)[:5]))
    if diffs:
        comment(r.stdout[-2000:])
    return diffs


def compare_one(img, m, o, rel):
    ms = os.lstat(m)
    if stat.S_ISFIFO(ms.st_mode) or stat.S_ISCHR(ms.st_mode) or stat.S_ISBLK(ms.st_mode) \
            or stat.S_ISSOCK(ms.st_mode):
        return compare_special(img, ms, rel)
    if not os.path.lexists(o):
        return ['%s: missing in debugfs rdump' % rel]
    os_ = os.lstat(o)
    if stat.S_IFMT(ms.st_mode) != stat.S_IFMT(os_.st_mode):
        return ['%s: type %o vs %o' % (rel, ms.st_mode, os_.st_mode)]
    if stat.S_ISLNK(ms.st_mode):
        return [] if os.readlink(m) == os.readlink(o) else ['%s: symlink target' % rel]
    diffs = []
    if ms.st_mode & 0o777 != os_.st_mode & 0o777:  # rdump drops set-id and sticky bits
        diffs.append('%s: mode %o vs %o' % (rel, ms.st_mode, os_.st_mode))
    if (ms.st_uid, ms.st_gid) != (os_.st_uid, os_.st_gid) and os.geteuid() == 0:
        diffs.append('%s: owner %d:%d vs %d:%d' % (rel, ms.st_uid, ms.st_gid, os_.st_uid,
                                                   os_.st_gid))
    if stat.S_ISREG(ms.st_mode) and not filecmp.cmp(m, o, shallow=False):
        diffs.append('%s: contents differ (%d vs %d bytes)' % (rel, ms.st_size, os_.st_size))
    return diffs


def compare_special(img, ms, rel):
    out = debugfs(img, 'stat "/%s"' % rel)
    kind = {stat.S_IFIFO: 'FIFO', stat.S_IFCHR: 'character special',
            stat.S_IFBLK: 'block special', stat.S_IFSOCK: 'socket'}[stat.S_IFMT(ms.st_mode)]
    if 'Type: ' + kind not in out:
        return ['%s: debugfs stat does not say %s' % (rel, kind)]
    if stat.S_ISCHR(ms.st_mode) or stat.S_ISBLK(ms.st_mode):
        want = 'Device major/minor number: %02d:%02d' % (os.major(ms.st_rdev),
                                                          os.minor(ms.st_rdev))
        if want not in out:
            return ['%s: debugfs stat lacks "%s"' % (rel, want)]
    return []


def check_debugfs(img, model, work, name):
    diffs = compare_rdump(img, model, work)
    comment('\n'.join(diffs[:30]))
    point(not diffs, 'debugfs reads back what %s wrote' % name)


def copy_model(tree, model):
    r = run(['cp', '-a', tree, model])
    if r.returncode:
        comment(r.stdout)


# ---- Modes ----------------------------------------------------------------------------------

READ_CONFIGS = [
    ('1k-128-minimal', '24M', ['-b', '1024', '-I', '128', '-O',
                               '^dir_index,^resize_inode,^ext_attr'], False),
    ('1k-256-default', '24M', ['-b', '1024'], False),
    ('2k-256-default', '24M', ['-b', '2048'], False),
    ('4k-256-default', '32M', ['-b', '4096'], False),
    ('1k-rev0', '24M', ['-b', '1024', '-r', '0'], False),
    ('1k-no-sparse-super', '40M', ['-b', '1024', '-g', '2048', '-O',
                                   '^sparse_super,^resize_inode'], False),
    ('4k-htree', '32M', ['-b', '4096'], True),
]


def htree(img):
    """Turn the image's directories into hashed (dir_index) ones."""
    r = run([E2FSCK, '-fyD', img])
    return r.returncode in (0, 1)


def mode_read(work):
    tree = make_tree(os.path.join(work, 'tree'), 1)
    comment('tree: %d bytes of data' % tree_bytes(tree))
    for name, size, opts, index in READ_CONFIGS:
        img = os.path.join(work, name + '.img')
        ok = mkfs(img, size, opts, tree) and (not index or htree(img))
        point(ok, 'mke2fs -d %s' % name)
        if not ok:
            continue
        run_test(['read', img, tree], 'read ' + name)
        fsck_clean(img, 'mounting %s read-write' % name)
        os.unlink(img)


def mode_api(work):
    for name, opts in (('1k', ['-b', '1024']), ('4k-128', ['-b', '4096', '-I', '128']),
                       ('2k-rev0', ['-b', '2048', '-r', '0'])):
        img = os.path.join(work, 'api-%s.img' % name)
        point(mkfs(img, '16M', opts), 'mke2fs %s' % name)
        run_test(['api', img], 'api ' + name)
        fsck_clean(img, 'the api test on %s' % name)
    img = os.path.join(work, 'large.img')
    ok = mkfs(img, '8M', ['-b', '4096'])
    ok = ok and 'large_file' not in run([DEBUGFS, '-w', '-R', 'feature -large_file', img]).stdout
    point(ok, 'mke2fs, then large_file switched off with debugfs')
    run_test(['largefile', img], 'largefile')
    fsck_clean(img, 'growing a file past 2 GiB')
    out = debugfs(img, 'stats')
    point('large_file' in out, 'debugfs sees large_file switched on')
    xattr_blocks(work)


def xattr_blocks(work):
    """Files with extended attribute blocks (shared, reference counted) are removed cleanly."""
    tree = os.path.join(work, 'xtree')
    os.makedirs(tree)
    for name, value in (('a', b'x' * 100), ('b', b'x' * 100), ('c', b'y' * 300)):
        write_file(os.path.join(tree, name), name.encode())
        try:
            os.setxattr(os.path.join(tree, name), 'user.test', value)
        except OSError as e:
            comment('no user xattrs on the host (%s): skipping' % e)
            return
    img = os.path.join(work, 'xattr.img')
    point(mkfs(img, '4M', ['-b', '1024', '-I', '128'], tree), 'mke2fs -d with xattrs')
    acl = [l for l in debugfs(img, 'stat /a').split('\n') if 'File ACL' in l]
    comment('\n'.join(acl))
    run_test(['unlink', img, 'a', 'c'], 'unlink files with attribute blocks')
    fsck_clean(img, 'dropping attribute block references')
    run_test(['unlink', img, 'b'], 'unlink the last user of a shared attribute block')
    fsck_clean(img, 'freeing an attribute block')


# name, size, mke2fs options, htree directories, operations, block cache bytes (0: default)
WRITE_CONFIGS = [
    ('1k-128-minimal', '16M', ['-b', '1024', '-I', '128', '-O',
                               '^dir_index,^resize_inode,^ext_attr'], False, 6000, 0),
    ('4k-htree', '24M', ['-b', '4096'], True, 6000, 0),
    ('2k-default-small-cache', '16M', ['-b', '2048'], False, 6000, 96 << 10),
    ('1k-rev0-small-cache', '16M', ['-b', '1024', '-r', '0'], False, 4000, 48 << 10),
]


def mode_write(work):
    tree = make_tree(os.path.join(work, 'tree'), 2, small=True)
    for i, (name, size, opts, index, nops, cache) in enumerate(WRITE_CONFIGS):
        img = os.path.join(work, name + '.img')
        model = os.path.join(work, 'model-' + name)
        ok = mkfs(img, size, opts, tree) and (not index or htree(img))
        point(ok, 'mke2fs -d %s' % name)
        if not ok:
            continue
        copy_model(tree, model)
        args = ['write', img, model, str(100 + i), str(nops)] + ([str(cache)] if cache else [])
        run_test(args, 'write workload ' + name)
        fsck_clean(img, 'the write workload on %s' % name)
        check_debugfs(img, model, work, 'the write workload on ' + name)
        shutil.rmtree(model)
        os.unlink(img)


def mode_big(work):
    img = os.path.join(work, 'big.img')
    model = os.path.join(work, 'model')
    os.mkdir(model)
    point(mkfs(img, '100M', ['-b', '1024']), 'mke2fs 100 MiB, 1 KiB blocks')
    run_test(['big', img, model], 'a 66 MiB file and sparse files past triple indirection')
    fsck_clean(img, 'the big files')
    check_debugfs(img, model, work, 'the big file test')
    out = debugfs(img, 'stat /big')
    point('TIND:' in out or '(TIND)' in out, 'debugfs sees a triple-indirect block in /big')


def mode_enospc(work):
    for name, size, opts in (('1k', '3M', ['-b', '1024', '-N', '256']),
                             ('4k', '6M', ['-b', '4096', '-N', '64'])):
        img = os.path.join(work, name + '.img')
        model = os.path.join(work, 'model-' + name)
        tree = os.path.join(work, 'tree-' + name)
        os.makedirs(os.path.join(tree, 'keep'))
        write_file(os.path.join(tree, 'keep', 'precious'), random.Random(3).randbytes(20000))
        point(mkfs(img, size, opts, tree), 'mke2fs %s' % name)
        copy_model(tree, model)
        run_test(['enospc', img, model], 'filling the disk (%s)' % name)
        fsck_clean(img, 'a full disk (%s)' % name)
        check_debugfs(img, model, work, 'the full-disk test (%s)' % name)


def mode_features(work):
    tree = os.path.join(work, 'tree')
    os.makedirs(tree)
    write_file(os.path.join(tree, 'hello'), b'hello\n')
    img = os.path.join(work, 'f.img')
    point(mkfs(img, '8M', ['-b', '1024'], tree), 'mke2fs')
    run_test(['features', img], 'feature policy and bad superblocks')


def mode_fuzz(work):
    tree = os.path.join(work, 'tree')
    os.makedirs(os.path.join(tree, 'd1', 'd2'))
    rnd = random.Random(7)
    for i in range(12):
        write_file(os.path.join(tree, 'd1' if i % 2 else '', 'f%d' % i),
                   rnd.randbytes(rnd.choice([10, 1500, 20000, 300000])))
    for i in range(40):
        write_file(os.path.join(tree, 'd1', 'd2', 'entry%d' % i), b'x' * i)
    os.symlink('f0', os.path.join(tree, 'fastlink'))
    os.symlink('z' * 200, os.path.join(tree, 'slowlink'))
    sparse_file(os.path.join(tree, 'holes'), [(0, b'a'), (400000, b'b')])
    for i, (name, opts) in enumerate((
            ('1k', ['-b', '1024', '-N', '128']),
            ('2k-128-minimal', ['-b', '2048', '-N', '128', '-I', '128', '-O',
                                '^dir_index,^resize_inode,^ext_attr']),
            ('4k', ['-b', '4096', '-N', '128']))):
        img = os.path.join(work, 'fuzz-%s.img' % name)
        point(mkfs(img, '2M', opts, tree), 'mke2fs %s' % name)
        run_test(['fuzz', img, '1000', str(1000 + i)],
                 '1000 corrupted %s images: errors, no crash, hang or ASan report' % name)


def main():
    work = tempfile.mkdtemp(prefix='ext2-%s-' % MODE)
    try:
        {'read': mode_read, 'api': mode_api, 'write': mode_write, 'big': mode_big,
         'enospc': mode_enospc, 'features': mode_features, 'fuzz': mode_fuzz}[MODE](work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print('1..%d' % points)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
