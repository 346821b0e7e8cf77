#!/usr/bin/env python3
"""usertest_selftest.py: prove that tools/usertest cannot pass a broken user run by accident.

Runs tools/usertest on cases that must each fail with the right diagnosis, and one that must
pass, writing the results to a scratch directory (--results), never to user-results/:
  a kernel panic       hello_abi with ktest=selftest_panic: "not ok - no kernel panic", the
                       backtrace symbolized (read_through at tests/ktest/test_selftest.c)
  a kernel hang        hello_abi with ktest=selftest_hang and --timeout 8: "not ok - the test
                       ended before the timeout", killed within the slack
  a user hang          /bin/selftest_spin (loops forever) with --timeout 8: started, its line
                       seen, then the timeout point fails; no panic
  a non-zero exit      /bin/exit42: "not ok - the test exited with status 0", "exit status 42"
  a wrong init path    --append init=/bin/no_such_program (the later init= wins): the run fails
  unclassifiable output hello_abi's run with init=/bin/hello: it exits 0 but prints no
                       JANUS line: "not ok - every covered ID has a JANUS line"
  a good test          hello_abi: exit code 0, every point ok
BOOT-008: for every case run as the test hello_abi, the verdict the parity report takes from
the result (usertests.test_verdicts) must be FAIL for ABI-001 when the case must fail (a
panic, a hang, a wrong init, unclassifiable output), never PASS or SKIP, and PASS for the
good test.
The last four need a kernel that runs init (the processes issue).
Prints TAP (one point per case; the runner's output as comments when a case goes wrong).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..",
                                "tools", "lib"))
import usertests as ut  # noqa: E402

TIMEOUT = 8
SLACK = 20
PANIC = r"^not ok \d+ - no kernel panic"
HANG = r"^not ok \d+ - the test ended before the timeout"
EXIT = r"^not ok \d+ - the test exited with status 0"
STARTED_BAD = r"^not ok \d+ - the kernel started"

# name, runner arguments, must the run pass, patterns that must appear, must not.
CASES = [
    ("a kernel panic fails the run, backtrace symbolized",
     ["--test", "hello_abi", "--append", "ktest=selftest_panic"], False,
     [PANIC, r"^# #\d+ 0x[0-9a-f]+ in read_through at tests/ktest/test_selftest.c:\d+"],
     [HANG]),
    ("a kernel hang fails the run at the timeout",
     ["--test", "hello_abi", "--append", "ktest=selftest_hang", "--timeout", str(TIMEOUT)],
     False, [HANG], [PANIC]),
    ("a user program that never ends fails at the timeout, alone",
     ["--program", "selftest_spin", "--timeout", str(TIMEOUT)], False,
     [HANG, r"^# \| selftest_spin: spinning forever"], [PANIC, STARTED_BAD]),
    ("a non-zero exit status fails the run",
     ["--program", "exit42"], False, [EXIT, r"^# exit status 42"], [PANIC, HANG, STARTED_BAD]),
    ("an init that does not exist fails the run",
     ["--test", "hello_abi", "--append", "init=/bin/no_such_program"], False, [EXIT], []),
    ("output the runner cannot classify (no JANUS line) fails the run",
     ["--test", "hello_abi", "--append", "init=/bin/hello"], False,
     [r"^not ok \d+ - every covered ID has a JANUS line"], [PANIC, HANG]),
    ("a good test passes",
     ["--test", "hello_abi"], True, [r"^ok \d+ - JANUS ABI-001 PASS"],
     [r"^not ok", PANIC, HANG]),
]


def verdict_problems(results, extra, should_pass):
    """BOOT-008: a case run as the test hello_abi gives ABI-001 the verdict FAIL if it must
    fail, PASS if it must pass (the parity report's rule, usertests.test_verdicts)."""
    if "--test" not in extra:
        return []
    path = os.path.join(results, "hello_abi.json")
    res = ut.load_json(path)
    if res is None:
        return [f"no result {path}"]
    verdict, detail = ut.test_verdicts(res, ["ABI-001"])["ABI-001"]
    want = ut.PASS if should_pass else ut.FAIL
    os.unlink(path)     # the next case must write its own
    return [] if verdict == want else [f"ABI-001 verdict {verdict} ({detail}), want {want}"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runner", required=True, help="path of tools/usertest")
    p.add_argument("--arch", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--kernel", required=True)
    p.add_argument("--elf", required=True)
    return p.parse_args()


def main():
    args = parse_args()
    print("TAP version 13")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="usertest-selftest-") as results:
        for n, (name, extra, should_pass, want, forbid) in enumerate(CASES, 1):
            cmd = [sys.executable, args.runner, "--arch", args.arch, "--manifest",
                   args.manifest, "--kernel", args.kernel, "--elf", args.elf,
                   "--results", results] + extra
            start = time.monotonic()
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=TIMEOUT + 3 * SLACK)
            took = time.monotonic() - start
            lines = proc.stdout.splitlines()
            problems = []
            if (proc.returncode == 0) != should_pass:
                problems.append(f"runner exit code {proc.returncode}")
            problems += [f"missing /{w}/" for w in want
                         if not any(re.search(w, t) for t in lines)]
            problems += [f"unexpected /{f}/" for f in forbid
                         if any(re.search(f, t) for t in lines)]
            if took > TIMEOUT + SLACK:
                problems.append(f"took {took:.1f}s")
            problems += verdict_problems(results, extra, should_pass)
            print(f"{'not ok' if problems else 'ok'} {n} - {name} ({took:.1f}s)")
            if problems:
                failed += 1
                print("\n".join("# " + p for p in problems))
                print("\n".join("# > " + t for t in lines if not t.startswith("# k|")))
    print(f"1..{len(CASES)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
