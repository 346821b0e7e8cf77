"""tools/lib/machine_ids.py: behaviours shown by a port's machine-level meson tests.

Some behaviours of BEHAVIOURS.md are properties of the runner or of the whole machine rather
than of a user program: the harness's honest verdicts (BOOT-008), the kernel's panic report
(ROBUST-010), a root disk that cannot be mounted (ROBUST-003's first half). The meson tests
that check them boot the kernel directly (tools/qemu-test) or run the runner on purpose-made
failures, so they write no user-results/ file. MACHINE_TESTS names, per ID, the meson tests
of a port (tests/meson.build, userland/meson.build) whose results stand for it; tools/parity
adds each as a test of its own ("meson <name>") covering those IDs on both ports, and N/A on
Linux (there is no machine there). An ID also covered by user tests combines their verdicts
as usual (ROBUST-003: robust_corrupt and robust-bad-super).

Where the results come from: meson writes <build>/<arch>/meson-logs/testlog.json (one JSON
object per line, "name" as "<project>:<suites> / <test>", "result" OK, FAIL, ERROR,
TIMEOUT, SKIP, ...) for the tests of its last run only. So that a later `meson test ONE`
does not make the others vanish, update() copies the named tests' records into
<build>/<arch>/machine-results.json ({test: {"result", "starttime", "duration"}}), a newer
record replacing an older one. A test with no record there is NOT_RUN; a record older than
the kernel is reported as stale (a warning), and still counted.

Standard library only.
"""

import json
import os

import janus

MACHINE_TESTS = {
    # FAIL for a panic, an unhandled exception, a hang, a timeout, output the runner cannot
    # classify: tools/qemu-test's and tools/usertest's self-tests (tests/runner/selftest.py,
    # tests/runner/usertest_selftest.py, which also checks the verdict tools/parity takes).
    "BOOT-008": ["runner-selftest", "usertest-selftest"],
    # A zeroed superblock magic: "cannot mount" logged, power-off with status 127, no panic
    # (tests/runner/bad_super.py, tests/meson.build).
    "ROBUST-003": ["robust-bad-super"],
    # "KERNEL PANIC on CPU n (<arch>)", "at pc", registers, power-off status 112, FAIL at once
    # (runner-selftest's ROBUST-010 case; usertest-selftest: a user run that panics fails in
    # well under its timeout); every panic-* test's report is matched against its message.
    "ROBUST-010": ["runner-selftest", "usertest-selftest", "panic-null-deref",
                   "panic-write-rodata", "panic-exec-data", "panic-stack-overflow",
                   "panic-lock-held", "panic-sleep-locked"],
}
PASSING = ("OK", "EXPECTEDFAIL")


def cache_path(arch):
    return os.path.join(janus.build_dir(arch), "machine-results.json")


def testlog_path(arch):
    return os.path.join(janus.build_dir(arch), "meson-logs", "testlog.json")


def wanted():
    return sorted({t for names in MACHINE_TESTS.values() for t in names})


def read_testlog(path, names):
    """{test: record} of the named tests in one meson testlog.json."""
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                name = rec.get("name", "").rsplit(" / ", 1)[-1]
                if name in names:
                    out[name] = {"result": rec.get("result"),
                                 "starttime": rec.get("starttime") or 0,
                                 "duration": rec.get("duration")}
    except OSError:
        pass
    return out


def update(arch):
    """Merge the port's last testlog.json into machine-results.json; the merged records."""
    path = cache_path(arch)
    try:
        with open(path, encoding="utf-8") as f:
            cache = json.load(f)
    except (OSError, ValueError):
        cache = {}
    for name, rec in read_testlog(testlog_path(arch), set(wanted())).items():
        if rec["starttime"] >= (cache.get(name) or {}).get("starttime", 0):
            cache[name] = rec
    if cache and os.path.isdir(os.path.dirname(path)):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(cache, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    return cache


def verdict(rec, name, arch):
    """(PASS|FAIL|NOT_RUN, detail) of one meson test's record on a port."""
    if rec is None:
        return "NOT_RUN", (f"not run: no result of meson test {name} (meson test -C "
                           f"{os.path.relpath(janus.build_dir(arch))} {name})")
    ok = rec.get("result") in PASSING
    took = rec.get("duration")
    detail = f"meson test {name}: {rec.get('result')}" + (f" in {took:.1f}s" if took else "")
    return ("PASS" if ok else "FAIL"), detail
