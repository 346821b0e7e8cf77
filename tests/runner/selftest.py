#!/usr/bin/env python3
"""selftest.py: prove that tools/qemu-test cannot pass a broken kernel by accident.

Boots the kernel's manual-only self-tests through the runner and checks that each run fails
(runner exit code non-zero) with the right diagnosis, and only that one:
  selftest_fail   a failing expectation -> the kernel test is "not ok", the pass line is missing
  selftest_panic  a null dereference    -> "not ok - no kernel panic", and the backtrace names
                                           ktest_fn_selftest_panic with a file:line
  selftest_hang   spins forever         -> "not ok - timeout after 5s", well before meson's limit
  selftest_fail, with --expect-status 1 and its own summary as the pass line: still fails,
                  because every kernel "not ok" is counted on its own.
  selftest_panic, ROBUST-010: the report names the port ("KERNEL PANIC on CPU n (<arch>)"),
                  gives the faulting PC ("at pc 0x...") and a register dump with the port's PC
                  register (rip, elr), the machine powers off with the panic status (112;
                  x86_64's isa-debug-exit shows it as QEMU exit code 225) and the runner
                  fails the run at once, not at its 60 s timeout.
Prints TAP (one point per case, the runner's output as comments when a case goes wrong).

  tests/runner/selftest.py --runner tools/qemu-test --arch aarch64 \\
      --kernel build/aarch64/kernel.bin --elf build/aarch64/kernel.elf
"""

import argparse
import re
import subprocess
import sys
import time

HANG_TIMEOUT = 5
HANG_SLACK = 15    # seconds the runner may need beyond --timeout to kill QEMU and report

TIMEOUT_RE = r"^not ok \d+ - timeout after"
PANIC_RE = r"^not ok \d+ - no kernel panic"
FRAME_RE = r"^# #\d+ 0x[0-9a-f]+ in ktest_fn_selftest_panic at \S+:\d+"

# name, kernel command line, extra runner arguments, patterns that must appear, must not.
CASES = [
    ("a failing kernel test fails the run", "ktest=selftest_fail", [],
     [r"^not ok \d+ - selftest_fail\b", r'^not ok \d+ - pass line "KTEST: ALL PASSED"'],
     [PANIC_RE, TIMEOUT_RE]),
    ("a panic fails the run, backtrace symbolized", "ktest=selftest_panic", [],
     [PANIC_RE, r"ktest_fn_selftest_panic", FRAME_RE], [TIMEOUT_RE]),
    ("a hang fails the run at the timeout", "ktest=selftest_hang",
     ["--timeout", str(HANG_TIMEOUT)], [TIMEOUT_RE, r"^# \| "], [PANIC_RE]),
    ("a kernel 'not ok' fails the run even if status and pass line match",
     "ktest=selftest_fail", ["--expect-status", "1", "--pass-line", "KTEST: FAILED 1 of 1"],
     [r"^not ok \d+ - selftest_fail\b", r"^not ok \d+ - every kernel test passed"],
     [PANIC_RE, TIMEOUT_RE]),
]


def arch_cases(arch):
    """The cases whose patterns depend on the port."""
    pc_reg, code = {"x86_64": ("rip", 225), "aarch64": ("elr", 112)}[arch]
    return [("ROBUST-010: a panic names the arch, the PC and the registers, powers off with "
             "the panic status, and the run fails at once", "ktest=selftest_panic",
             ["--timeout", "60"],
             [r"^# KERNEL PANIC on CPU \d+ \(" + arch + r"\): .* at pc 0x[0-9a-f]+",
              r"^# registers:", r"^#\s.*\b" + pc_reg + r"\s+0x[0-9a-f]{16}\b",
              rf"^# QEMU exit code {code} after", PANIC_RE], [TIMEOUT_RE])]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runner", required=True, help="path of tools/qemu-test")
    p.add_argument("--arch", required=True, help="x86_64 or aarch64")
    p.add_argument("--kernel", required=True, metavar="IMAGE", help="what QEMU boots")
    p.add_argument("--elf", required=True, help="the kernel ELF, for symbols")
    return p.parse_args()


def run_case(args, cmdline, extra):
    """Run the runner once; (exit code, output lines, seconds)."""
    cmd = [sys.executable, args.runner, "--arch", args.arch, "--kernel", args.kernel,
           "--elf", args.elf, "--append", cmdline] + extra
    start = time.monotonic()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace",
                          timeout=HANG_TIMEOUT + 60)
    return proc.returncode, proc.stdout.splitlines(), time.monotonic() - start


def problems(rc, lines, seconds, must, must_not):
    """What is wrong with one run of the runner (empty if the case holds)."""
    found = lambda pat: any(re.search(pat, line) for line in lines)  # noqa: E731
    out = [] if rc != 0 else ["the runner exited 0"]
    out += [f"missing: {pat}" for pat in must if not found(pat)]
    out += [f"unexpected: {pat}" for pat in must_not if found(pat)]
    if seconds > HANG_TIMEOUT + HANG_SLACK:
        out.append(f"the runner took {seconds:.1f}s")
    return out


def main():
    args = parse_args()
    print("TAP version 13", flush=True)
    failed = 0
    cases = CASES + arch_cases(args.arch)
    for n, (name, cmdline, extra, must, must_not) in enumerate(cases, 1):
        rc, lines, seconds = run_case(args, cmdline, extra)
        bad = problems(rc, lines, seconds, must, must_not)
        failed += bool(bad)
        print(f"{'not ok' if bad else 'ok'} {n} - {name} ({cmdline}: exit {rc}, {seconds:.1f}s)")
        report = bad + (["runner output:"] + ["| " + x for x in lines] if bad else [])
        for line in report:
            print("# " + line)
        sys.stdout.flush()
        if bad:   # stderr is what `meson test --print-errorlogs` shows of a TAP test
            print("\n".join([f"selftest: {name}: FAILED"] + report), file=sys.stderr)
    print(f"1..{len(cases)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
