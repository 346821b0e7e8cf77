#!/usr/bin/env python3
"""no_enosys.py: the busybox workload makes no syscall that Janus answers with ENOSYS.

Issue 8 asks that no syscall busybox (Debian's glibc-linked busybox-static) or musl's startup
makes in the USER tests returns ENOSYS. This boots each named user test through
tools/usertest with the kernel's strace=1 option (every syscall printed with its result as
"strace: [pid/tid] name(args) = result") and prints one TAP point per test: ok when no call
returned -38 (-ENOSYS), otherwise not ok with the calls' names and counts. A call a test
makes on purpose to probe a missing syscall would show here too; none of these do.

  tests/runner/no_enosys.py --tests user_script,user_basics -- tools/usertest --arch aarch64
"""

import argparse
import collections
import re
import subprocess
import sys
import tempfile

ENOSYS_RE = re.compile(r"strace: \[\d+/\d+\] (\w+)\(.*\) = -38$")


def enosys_calls(usertest, test):
    """({syscall name: count} of the calls that returned -ENOSYS, the run's exit code)."""
    with tempfile.TemporaryDirectory(prefix="janus-enosys-") as results:
        proc = subprocess.run([sys.executable] + usertest +
                              ["--test", test, "--append", "strace=1", "--results", results],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace")
    counts = collections.Counter()
    for line in proc.stdout.splitlines():
        m = ENOSYS_RE.search(line.rstrip("\r"))
        if m:
            counts[m.group(1)] += 1
    return counts, proc.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", required=True, help="comma-separated user test names")
    ap.add_argument("usertest", nargs="+", help="the tools/usertest command and its options")
    args = ap.parse_args()
    args.tests = args.tests.split(",")
    print("TAP version 13")
    print(f"1..{len(args.tests)}")
    failed = 0
    for i, test in enumerate(args.tests, 1):
        counts, rc = enosys_calls(args.usertest, test)
        ok = not counts and rc == 0
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {i} - {test}: no syscall returns ENOSYS")
        for name, n in sorted(counts.items()):
            print(f"# {name}: ENOSYS {n} time(s)")
        if rc != 0:
            print(f"# the run itself failed (tools/usertest exit code {rc})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
