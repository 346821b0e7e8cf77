#!/usr/bin/env python3
"""persist.py --runner QEMU-TEST --arch A --kernel IMG --elf ELF --image MASTER.img

The storage acceptance path, as TAP: boot 1 mounts a fresh copy of the image as the ext2
root, checks every file against the builder's checksums, writes /written.txt and syncs;
then, on the host, e2fsck -fn must find the copy clean and debugfs must read back exactly the
bytes written; boot 2 mounts the same copy and reads them back. The master is never written.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

WRITTEN_SIZE = 12345


def written_bytes():
    return bytes(ord('a') + (i * 7 + i // 251) % 26 for i in range(WRITTEN_SIZE))


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors='replace')
    return p.returncode, p.stdout


class Tap:
    def __init__(self):
        self.n = self.failed = 0

    def point(self, ok, desc, output=''):
        self.n += 1
        self.failed += not ok
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, desc))
        if not ok:
            for line in output.splitlines()[-40:]:
                print('# ' + line)
        sys.stdout.flush()


def boot(args, disk, tests, keep):
    cmd = [sys.executable, args.runner, '--arch', args.arch, '--kernel', args.kernel, '--elf',
           args.elf, '--disk', disk, '--keep-disk', keep, '--append', 'ktest=' + tests,
           '--timeout', '120']
    return run(cmd)


def main():
    ap = argparse.ArgumentParser()
    for opt in ('--runner', '--arch', '--kernel', '--elf', '--image'):
        ap.add_argument(opt, required=True)
    args = ap.parse_args()
    tap = Tap()
    work = tempfile.mkdtemp(prefix='janus-persist-')
    try:
        disk1, disk2 = os.path.join(work, 'after1.img'), os.path.join(work, 'after2.img')
        rc, out = boot(args, args.image, 'storage_root_read,storage_write_sync', disk1)
        tap.point(rc == 0, 'boot 1: ext2 root read against checksums, new file written, synced',
                  out)
        rc, out = run(['e2fsck', '-fn', disk1])
        tap.point(rc == 0, 'e2fsck -fn finds the disk clean after boot 1', out)
        p = subprocess.run(['debugfs', '-R', 'cat /written.txt', disk1], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        tap.point(p.stdout == written_bytes(), 'debugfs reads back the bytes boot 1 wrote',
                  'got %d bytes' % len(p.stdout))
        rc, out = boot(args, disk1, 'storage_read_back', disk2)
        tap.point(rc == 0, 'boot 2 of the same disk reads the file back', out)
        rc, out = run(['e2fsck', '-fn', disk2])
        tap.point(rc == 0, 'e2fsck -fn finds the disk clean after boot 2', out)
    finally:
        shutil.rmtree(work)
    print('1..%d' % tap.n)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
