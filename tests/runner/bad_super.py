#!/usr/bin/env python3
"""bad_super.py OUT.img: a small ext2 image whose superblock magic is wrong (ROBUST-003).

mke2fs makes a valid 1 MiB ext2 file system, then the two bytes of s_magic (offset 56 of the
superblock, which starts at byte 1024; 0xEF53 little-endian) are overwritten with 0x0000. The
meson test robust-bad-super boots with it as the root disk: the kernel must log that it cannot
mount it and power off with status 127 (no init), with no panic or exception trace.
"""
import os
import subprocess
import sys

SUPERBLOCK = 1024
S_MAGIC = 56


def main():
    out = sys.argv[1]
    if os.path.exists(out):
        os.unlink(out)
    with open(out, "wb") as f:
        f.truncate(1 << 20)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out, "r+b") as f:
        f.seek(SUPERBLOCK + S_MAGIC)
        if f.read(2) != b"\x53\xef":
            sys.exit("bad_super.py: mke2fs made no ext2 magic where expected")
        f.seek(SUPERBLOCK + S_MAGIC)
        f.write(b"\0\0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
