#!/usr/bin/env python3
"""make_pattern_disk.py OUTPUT SECTORS: a raw disk image whose every 512-byte sector says
which sector it is, for tests/ktest/test_virtio_blk.c (which computes the same pattern).

Sector s (little-endian fields):
  bytes 0-7    b"JanusBLK"
  bytes 8-15   s
  bytes 16-23  SECTORS (the image's size in sectors)
  bytes 24-511 byte i is (s * 13 + i) mod 256
"""
import struct
import sys

MAGIC = b"JanusBLK"
HEADER = 24


def sector(s, total):
    start = (s * 13 + HEADER) % 256
    tail = (bytes(range(256)) * 3)[start:start + 512 - HEADER]
    return MAGIC + struct.pack("<QQ", s, total) + tail


def main():
    out, total = sys.argv[1], int(sys.argv[2])
    with open(out, "wb") as f:
        for s in range(total):
            f.write(sector(s, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
