#!/usr/bin/env python3
"""test_userrun.py: tools/lib/userrun.py reads the kernel's console right (no QEMU needed).

Synthetic consoles for each way a run can end: a normal exit, a signal, an exit whose last
output line lacks its newline, a panic while init runs, a panic after init ended, a kernel
that never starts init, one that powers off while init runs, a timeout; and the command line
it builds; the leak verdict on free-frame counts; the serial-line checks. TAP, one point per case.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..",
                                "tools", "lib"))
import serialcheck  # noqa: E402
import userrun  # noqa: E402
import usertests as ut  # noqa: E402

BOOT = ["Janus 0.1.0 (abc) x86_64 on QEMU", "vfs: ext2 root mounted", "janus: free frames 1000"]


class FakeBoot:
    def __init__(self, lines, rc=0, timed_out=False):
        self.lines, self.rc, self.timed_out = lines, rc, timed_out
        self.timeout, self.qemu_errors = 90, []


def facts(lines, arch="x86_64", rc=0, timed_out=False):
    return userrun.analyse(arch, FakeBoot(lines, rc, timed_out))


def cases():
    f = facts(BOOT + ["ok 1 - x", "1..1", "JANUS ABI-001 PASS fine",
                      "janus: init exited with status 0 (exit code 0)",
                      "janus: free frames 990"])
    yield "exit 0: output, status, frames", (
        f["outcome"] == "exited" and f["exit_status"] == 0 and f["signal"] is None and
        f["output"] == "ok 1 - x\n1..1\nJANUS ABI-001 PASS fine\n" and
        f["free_frames"] == {"before": 1000, "after": 990} and not f["notes"])
    f = facts(BOOT + ["x", "janus: init killed by signal 11", "janus: free frames 1"],
              arch="aarch64", rc=139)
    yield "killed by SIGSEGV", f["outcome"] == "exited" and f["signal"] == "SIGSEGV" and \
        f["exit_status"] is None and not f["notes"]
    f = facts(BOOT + ["x", "janus: init killed by signal 11"], rc=2 * 139 + 1 & 0xff)
    yield "x86_64 status past 127 checked modulo 128", not f["notes"]
    f = facts(BOOT + ["no newline herejanus: init exited with status 1792 (exit code 7)"],
              arch="aarch64", rc=7)
    yield "last line without newline kept; exit code 7", f["output"] == "no newline here\n" \
        and f["exit_status"] == 7 and not f["notes"]
    f = facts(BOOT + ["a", "janus: init exited with status 0 (exit code 0)"], arch="aarch64",
              rc=3)
    yield "QEMU status disagreeing with the console is noted", len(f["notes"]) == 1
    f = facts(BOOT + ["half", "", "KERNEL PANIC on CPU 1: boom", "backtrace:",
                      "  #0 0xffffffff80001000", "  #1 0xffffffff80002000",
                      "end of panic report"], rc=225)
    yield "panic while init runs", f["outcome"] == "panic" and \
        f["panic"]["message"] == "KERNEL PANIC on CPU 1: boom" and \
        len(f["panic"]["backtrace"]) == 2 and f["output"] == "half\n\n" and \
        "while init ran" in f["reason"]
    f = facts(BOOT + ["janus: init exited with status 0 (exit code 0)",
                      "KERNEL PANIC on CPU 0: late"], rc=225)
    yield "panic after init ended is still a panic", f["outcome"] == "panic" and \
        "after init ended" in f["reason"]
    f = facts(BOOT[:2] + ["Nothing more to run yet: powering off."])
    yield "no init: error, not a pass", f["outcome"] == "error" and not f["init_started"] \
        and "Nothing more to run yet" in f["reason"]
    f = facts(BOOT + ["janus: cannot run init /bin/nope: error 2", "janus: free frames 3"],
              rc=255)
    yield "init that cannot be run: error, not started", f["outcome"] == "error" and \
        not f["init_started"] and "error 2" in f["reason"]
    f = facts(BOOT + ["partial output"])
    yield "power-off while init runs: error", f["outcome"] == "error" and \
        "while init ran" in f["reason"] and f["output"] == "partial output\n"
    f = facts(BOOT + ["spinning"], rc=-9, timed_out=True)
    yield "timeout", f["outcome"] == "timeout" and f["output"] == "spinning\n"
    res = {"test": "t", "arch": "x86_64", "free_frames": {"before": 1000, "after": 990}}
    yield "10 frames within the leak slack", ut.leak_frames(res) == 10 and \
        ut.leak_failure(res) is None
    res["free_frames"]["after"] = 1000 - ut.LEAK_SLACK - 1
    yield "past the slack: a leak fails the run", \
        "leaked" in (ut.leak_failure(res) or "") and \
        ut.test_verdicts(dict(res, outcome="exited", exit_status=0,
                              output="JANUS ABI-001 PASS x\n"), ["ABI-001"])["ABI-001"][0] == "FAIL"
    res["free_frames"]["after"] = None
    yield "no count after init: no leak verdict", ut.leak_failure(res) is None
    raw = (b"x\r\nJTEST-SERIAL-BEGIN s JTEST-INPUT-READY\r\nabc\r\nJTEST-SERIAL-END s\r\n"
           b"JTEST-SERIAL-BEGIN t\nJTEST-SERIAL-END t 2000000000\n")
    lines = raw.decode().replace("\r", "").splitlines()
    stamps = [0.0, 1.0, 1.1, 1.2, 5.0, 7.1]
    good = serialcheck.run([("bytes", "TTY-005", "s", b"abc\r\n"),
                            ("elapsed", "TIME-004", "t", 10.0)], raw, lines, stamps)
    yield "serial checks: section bytes and host time", \
        [c["verdict"] for c in good] == ["PASS", "PASS"]
    bad = serialcheck.run([("bytes", "TTY-005", "s", b"abc\n"), ("bytes", "TTY-005", "u", b""),
                           ("elapsed", "TIME-004", "t", 2.0)], raw, lines, stamps)
    yield "serial checks: wrong bytes, missing section, clock off", \
        [c["verdict"] for c in bad] == ["FAIL", "FAIL"] and "no JTEST" in bad[0]["detail"]
    fs = serialcheck.run([("fsck", "FS-034", None, None)], b"", [], [],
                         {"clean": False, "output": ["x"]})
    yield "fsck check: a dirty disk fails the ID", fs[0]["verdict"] == "FAIL" and \
        "FS-034" in ut.runner_only_ids("user_script")
    two = {"free_frames": {"before": 100, "after": 95},
           "first_boot": {"free_frames": {"before": 100, "after": 50}}}
    yield "a reboot test's leak is the larger of its boots'", ut.leak_frames(two) == 50
    yield "command line", userrun.cmdline("/bin/t", ["a", "b"], {"HOME": "/root"}) == \
        "init=/bin/t env.HOME=/root -- a b"
    try:
        userrun.cmdline("/bin/t", ["has blank"])
        ok = False
    except ValueError:
        ok = True
    yield "an argument with a blank is refused", ok
    yield from new_check_cases()


def long_line(i, prefix="JTEST-LONG"):
    head = f"{prefix} {i:03d} ".encode()
    return head + bytes([ord("a") + i % 26]) * (serialcheck.LONG_LINE - len(head) - 1) + b"\r\n"


def new_check_cases():
    """The boot, poweroff, pristine and whole checks (BOOT-001, 009, 002, 010)."""
    note = b"pid 5 (t): killed by signal 11 (fault address 0)\r\n"
    whole = [("whole", "BOOT-010", "JTEST-LONG", 2)]
    good = serialcheck.run(whole, long_line(0) + note + long_line(1), [], [])
    yield "whole check: unbroken 4096-byte lines pass", good[0]["verdict"] == "PASS"
    torn = long_line(1)
    torn = torn[:300] + note + torn[300:]
    bad = serialcheck.run(whole, long_line(0) + torn, [], [])
    yield "whole check: a kernel note inside a line fails it", bad[0]["verdict"] == "FAIL" \
        and "torn: 001" in bad[0]["detail"]
    quiet = serialcheck.run(whole, long_line(0) + long_line(1), [], [])
    yield "whole check: no kernel note meanwhile fails (nothing was shown)", \
        quiet[0]["verdict"] == "FAIL"
    lines = ["Janus 0.1.0 (abc) x86_64 on QEMU", "vda: virtio-blk 00:01.0",
             "vfs: ext2 root mounted", "janus: free frames 1000", "x",
             "janus: first user instruction at 5 us"]
    ctx = {"arch": "x86_64", "launched": 0.0}
    ok = serialcheck.run([("boot", "BOOT-001", None, 30.0)], b"", lines, [1, 2, 3, 4, 5, 6],
                         None, ctx)
    late = serialcheck.run([("boot", "BOOT-001", None, 30.0)], b"", lines,
                           [1, 2, 3, 31, 32, 33], None, ctx)
    other = serialcheck.run([("boot", "BOOT-001", None, 30.0)], b"", lines, [1] * 6, None,
                            dict(ctx, arch="aarch64"))
    yield "boot check: in time passes; late or another arch's banner fails", \
        ok[0]["verdict"] == "PASS" and late[0]["verdict"] == "FAIL" and \
        other[0]["verdict"] == "FAIL"
    off = [("poweroff", "BOOT-009", None, None)]
    fine = {"outcome": "exited", "exit_status": 0, "notes": [], "rc": 0}
    yield "poweroff check: an exit with agreeing code passes, a kill at the timeout fails", \
        serialcheck.run(off, b"", [], [], None, fine)[0]["verdict"] == "PASS" and \
        serialcheck.run(off, b"", [], [], None, dict(fine, timed_out=True))[0]["verdict"] \
        == "FAIL"
    pr = [("pristine", "BOOT-002", None, None)]
    same = {"want": "a", "copy_before": "a", "copy_after": "b", "master_after": "a"}
    yield "pristine check: fresh copy, written, master unchanged passes; else fails", \
        serialcheck.run(pr, b"", [], [], None, {"pristine": same})[0]["verdict"] == "PASS" \
        and serialcheck.run(pr, b"", [], [], None, {"pristine": dict(
            same, master_after="c")})[0]["verdict"] == "FAIL" and \
        serialcheck.run(pr, b"", [], [], None, {"pristine": dict(
            same, copy_before="c")})[0]["verdict"] == "FAIL"
    yield "runner-only IDs include boot, poweroff, pristine and whole", \
        {"BOOT-001", "BOOT-002", "BOOT-009"} <= ut.runner_only_ids("boot_init") and \
        "BOOT-010" in ut.runner_only_ids("boot_tear")


def main():
    print("TAP version 13")
    n = bad = 0
    for name, ok in cases():
        n += 1
        bad += 0 if ok else 1
        print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    print(f"1..{n}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
