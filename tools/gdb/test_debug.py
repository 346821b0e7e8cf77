#!/usr/bin/env python3
"""test_debug.py: the meson test debug-kmain (TAP): tools/debug --batch stops at kmain.

  tools/gdb/test_debug.py --arch ARCH --build-dir DIR [--timeout S]

Runs `tools/debug --arch ARCH --batch --build-dir DIR` on the kernel already built in DIR and
checks its output: gdb stopped at kmain and showed its source line in core/main.c, `info line`
and `bt` agree, and each helper of tools/gdb/janus.py answered sensibly (janus-bt starts at
kmain, janus-cpus shows CPU 0 on a gdb thread, janus-pt kmain finds the image's physical
address, executable (the early tables map it read-write-execute at kmain), and janus-threads /
janus-ps answer). Every output line is
shown as a TAP comment.
"""

import argparse
import os
import re
import subprocess
import sys

TOOLS = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
KERNEL_IMAGE_BASE = 0xffffffff80000000


def checks(out, rc):
    """[(description, passed)] for one run's output and exit code."""
    stop = re.search(r"Breakpoint 1, kmain \(.*\) at (\S*core/main\.c):(\d+)\n(\d+)\t", out)
    pt = re.search(r"^janus-pt 0x([0-9a-f]+):.*?\n=> pa 0x([0-9a-f]+) \([^)]*\): "
                   r"(?:kernel|EL1) r.x", out, re.M | re.S)
    pt_ok = pt is not None and int(pt.group(2), 16) == int(pt.group(1), 16) - KERNEL_IMAGE_BASE
    return [
        ("tools/debug exits 0: gdb stopped at kmain",
         rc == 0 and re.search(r"^janus-debug: stopped in kmain at \S*core/main\.c:\d+$",
                               out, re.M) is not None),
        ("gdb shows kmain's source line in core/main.c",
         stop is not None and stop.group(2) == stop.group(3)),
        ("info line *$pc is in core/main.c",
         re.search(r'^Line \d+ of "\S*core/main\.c" starts at address 0x[0-9a-f]+ <kmain\+\d+>',
                   out, re.M) is not None),
        ("bt: innermost frame is kmain", re.search(r"^#0  kmain \(", out, re.M) is not None),
        ("janus-bt: innermost frame is kmain at core/main.c",
         re.search(r"^  #0 0x[0-9a-f]+ in kmain at \S*core/main\.c:\d+$", out, re.M) is not None),
        ("janus-cpus shows cpu 0 on gdb thread 1",
         re.search(r"^cpu 0: id 0 hwid 0x[0-9a-f]+ online \w+ ticks \d+ lock_depth 0 .*"
                   r"\[gdb thread 1, pc 0x[0-9a-f]+ in kmain", out, re.M) is not None),
        ("janus-pt kmain: pa = va - KERNEL_IMAGE_BASE, executable by the kernel", pt_ok),
        ("janus-threads answers",
         re.search(r"^(no threads yet \(processes issue\)|\d+ threads)", out, re.M) is not None),
        ("janus-ps answers",
         re.search(r"^(no processes yet \(processes issue\)|\d+ processes)", out, re.M)
         is not None),
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--timeout", default="60")
    args = p.parse_args()
    cmd = [sys.executable, os.path.join(TOOLS, "debug"), "--arch", args.arch, "--batch",
           "--build-dir", args.build_dir, "--timeout", args.timeout]
    print("TAP version 13")
    print("# " + " ".join(cmd))
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    out = proc.stdout.decode("utf-8", "replace")
    for line in out.splitlines():
        print("# " + line)
    results = checks(out, proc.returncode)
    print(f"1..{len(results)}")
    for i, (what, ok) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {what}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
