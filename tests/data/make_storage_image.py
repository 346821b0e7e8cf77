#!/usr/bin/env python3
"""make_storage_image.py OUT.img [--block-size N] [--inode-size N]

The disk the in-kernel storage tests mount as root: an ext2 image made by mke2fs -d from a
generated tree whose contents the tests know:
  /hello.txt        "Hello from ext2!\\n"
  /big.bin          32 MiB of deterministic pseudo-random bytes (xorshift64 from seed 1)
  /dir/nested.txt   "Nested file content\\n"
  /link             symlink to hello.txt
  /checksums        "<fnv1a64 hex> <path>" per regular file, computed here
The kernel recomputes FNV-1a 64 over what it reads and compares with /checksums.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

BIG = 32 << 20


def fnv1a64_fast(data):
    """FNV-1a 64 (the kernel test computes the same over what it reads)."""
    h = 0xcbf29ce484222325
    mask = 0xffffffffffffffff
    prime = 0x100000001b3
    for b in memoryview(data).cast('B'):
        h = ((h ^ b) * prime) & mask
    return h


def xorshift_bytes(n, seed=1):
    out = bytearray(n)
    x = seed
    for i in range(0, n, 8):
        x ^= (x << 13) & 0xffffffffffffffff
        x ^= x >> 7
        x ^= (x << 17) & 0xffffffffffffffff
        out[i:i + 8] = struct.pack('<Q', x)
    return bytes(out)


def build_tree(root):
    files = {
        'hello.txt': b'Hello from ext2!\n',
        'dir/nested.txt': b'Nested file content\n',
        'big.bin': xorshift_bytes(BIG),
    }
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), 'wb') as f:
            f.write(data)
    os.symlink('hello.txt', os.path.join(root, 'link'))
    os.makedirs(os.path.join(root, 'tmp'), mode=0o1777)
    os.makedirs(os.path.join(root, 'dev'))
    lines = ['%016x /%s\n' % (fnv1a64_fast(d), rel) for rel, d in sorted(files.items())]
    with open(os.path.join(root, 'checksums'), 'w') as f:
        f.writelines(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--block-size', default='4096')
    ap.add_argument('--inode-size', default='256')
    ap.add_argument('--size', default='96M')
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    try:
        build_tree(tmp)
        if os.path.exists(a.out):
            os.unlink(a.out)
        subprocess.run(['mke2fs', '-q', '-F', '-t', 'ext2', '-b', a.block_size, '-I',
                        a.inode_size, '-E', 'root_owner=0:0', '-L', 'janus-test', '-d', tmp,
                        a.out, a.size], check=True)
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == '__main__':
    sys.exit(main())
