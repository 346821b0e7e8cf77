"""tools/lib/usertests.py: the user-space tests' results, defined once for every tool.

tools/linux-ref writes run results, tools/parity reads them, and the Janus user-test runner
(when user mode arrives) writes them in the same format; all three use this module, so the
verdict rules of ../shared/BEHAVIOURS.md and the output normalization cannot disagree.
The formats are documented in docs/parity.md.

Files, per arch, under the build directory <build>/<arch>:
  userland/user-tests.json    the manifest tools/mkimage writes: tests, IDs, needs, image
  userland/rootfs.ext2        the fixture image (userland/rootfs.d: the tree it was made of)
  linux-results/<test>.json   one run result per test, from tools/linux-ref (qemu-user)
  user-results/<test>.json    one run result per test, from the Janus runner

Standard library only.
"""

import json
import os
import re
import sys
import time

import janus
import serialcheck

RESULT_SCHEMA = 1
PLATFORMS = ("janus", "linux")
PASS, FAIL, SKIP, NOT_RUN, NA = "PASS", "FAIL", "SKIP", "NOT_RUN", "N/A"
# How verdicts combine when several tests cover one ID: the first present wins.
PRECEDENCE = (FAIL, NOT_RUN, SKIP, PASS)
NEEDS = {"console": "needs the console", "machine": "needs a whole machine",
         "reboot": "boots twice on one disk (tools/usertest)",
         "kernel": "needs kernel behaviour qemu-user does not emulate"}
# Needs that change only how Janus boots the test (Linux still runs it).
BOOT_NEEDS = {"smp": "booted with two CPUs (tools/usertest)",
              "long": "given three times the usual time (tools/usertest)",
              "hostclock": "given the host's UTC at launch as JANUS_HOST_EPOCH"}
# The environment every test starts with, on Janus and on Linux (BEHAVIOURS.md PROC-009).
TEST_ENV = {"PATH": "/bin:/sbin", "HOME": "/root", "TERM": "vt100"}

# What a 'hostclock' test gets besides TEST_ENV: the host's UTC (whole seconds since the
# epoch) when its machine (or, on Linux, its process) was launched (TIME-005).
HOST_EPOCH_VAR = "JANUS_HOST_EPOCH"


def host_env(test):
    """The extra environment of one run of test, computed at launch."""
    if "hostclock" in test.get("needs", []):
        return {HOST_EPOCH_VAR: str(int(time.time()))}
    return {}


JANUS_LINE_RE = re.compile(r"^JANUS ([A-Z]+-\d{3}) (PASS|FAIL|SKIP)\b ?(.*)$")
TAP_POINT_RE = re.compile(r"^(ok|not ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
TAP_PLAN_RE = re.compile(r"^1\.\.(\d+)\b")
QEMU_MESSAGE_RE = re.compile(r"^qemu: (uncaught target signal|Unsupported syscall)")
# The Janus kernel's own console notes about a process ("pid 6 (mem_fork): killed by signal
# 11 ...") or a disk ("ext2 (vda): corrupted directory block 3381", robust_corrupt): kernel
# log, not the test's output, and Linux prints no such line.
KERNEL_NOTE_RE = re.compile(r"^(pid \d+ \([^)]*\)|ext2 \(\w+\)): ")


# ---- Paths ---------------------------------------------------------------------------------

def manifest_path(arch):
    return os.path.join(janus.build_dir(arch), "userland", "user-tests.json")


def build_dir_of(manifest_file):
    """The arch's build directory, from the path of its manifest (<build dir>/userland/...)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(manifest_file)))


def results_dir(arch, platform, build=None):
    """Where run results go; build is the arch's build directory (default: $JANUS_BUILD's)."""
    sub = "user-results" if platform == "janus" else "linux-results"
    return os.path.join(build or janus.build_dir(arch), sub)


def result_path(arch, platform, test, build=None):
    return os.path.join(results_dir(arch, platform, build), test + ".json")


# ---- Reading and writing -------------------------------------------------------------------

def load_json(path):
    """The parsed file, or None if it is missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_manifest(arch, path=None):
    return load_json(path or manifest_path(arch))


def write_json(path, data):
    """Write atomically (a reader never sees half a file)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def new_result(test, arch, platform, ids):
    """A run result with every field present (docs/parity.md, "Run results")."""
    return {"schema": RESULT_SCHEMA, "test": test, "arch": arch, "platform": platform,
            "ids": list(ids), "outcome": "error", "exit_status": None, "signal": None,
            "output": "", "duration_s": None, "reason": "", "command": [],
            "panic": None, "started": None}


# ---- Output --------------------------------------------------------------------------------

def parse_output(text):
    """The JANUS lines [(id, verdict, detail)], TAP points [(ok, description)] and the plan
    (or None) in a test's output."""
    lines, points, plan = [], [], None
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        m = JANUS_LINE_RE.match(line)
        if m:
            lines.append((m.group(1), m.group(2), m.group(3).strip()))
            continue
        m = TAP_POINT_RE.match(line)
        if m:
            points.append((m.group(1) == "ok", m.group(3).strip()))
            continue
        m = TAP_PLAN_RE.match(line)
        if m:
            plan = int(m.group(1))
    return lines, points, plan


def normalize(text):
    """The output compared between Janus and Linux and between the ports: carriage returns
    and trailing blanks dropped; TAP diagnostics ("# ...", where run-specific values such as
    pids, times and addresses belong) dropped; qemu-user's and the Janus kernel's own messages
    dropped; JANUS lines
    cut to "JANUS <ID> <verdict>"."""
    out = []
    for raw in text.splitlines():
        line = raw.replace("\r", "").rstrip()
        if line.startswith("#") or QEMU_MESSAGE_RE.match(line) or KERNEL_NOTE_RE.match(line):
            continue
        m = JANUS_LINE_RE.match(line)
        out.append(f"JANUS {m.group(1)} {m.group(2)}" if m else line)
    return "\n".join(out) + ("\n" if out else "")


# ---- Verdicts ------------------------------------------------------------------------------

def run_failure(result):
    """Why a run fails every ID it covers (BEHAVIOURS.md: exit status, timeout, panic), or
    None if it ended normally with status 0."""
    outcome = result.get("outcome")
    if outcome == "panic":
        return "kernel panic"
    if outcome == "timeout":
        return "timed out" + (f" after {result['duration_s']:g}s"
                              if result.get("duration_s") else "")
    if outcome != "exited":
        return result.get("reason") or f"run {outcome or 'error'}"
    if result.get("signal"):
        return f"killed by signal {result['signal']}"
    if result.get("exit_status") != 0:
        return f"exit status {result.get('exit_status')}"
    return None


# The leak check (docs/parity.md, "Leaks"): the kernel prints its free frames before init
# starts and after init ended, both times after letting the reaper run and syncing and
# dropping its caches (clean block buffers, empty heap slabs). What may still differ without
# a leak: init's own process (pid 1 is never reaped), heap slabs left partly used, and
# page-table pages of the kernel-stack area made for a test's many threads. Measured: 5 or 6
# frames on both ports.
LEAK_SLACK = 16


def leak_frames(result):
    """Frames a Janus run did not give back (before - after; the larger of the two boots of
    a 'reboot' test), or None when not known (no count after init: the run panicked, timed
    out, or is a Linux result)."""
    leaks = []
    for frames in ((result or {}).get("free_frames"),
                   ((result or {}).get("first_boot") or {}).get("free_frames")):
        before, after = (frames or {}).get("before"), (frames or {}).get("after")
        if before is not None and after is not None:
            leaks.append(before - after)
    return max(leaks) if leaks else None


def leak_failure(result, arch=None):
    """Why a Janus run fails for a leak ("leaked N frames ..."), or None; a leak listed in
    janus-known.txt as "leak:<test>" for the port is not a failure."""
    leak = leak_frames(result)
    if leak is None or leak <= LEAK_SLACK:
        return None
    known = janus_known(arch or result.get("arch")).get("leak:" + str(result.get("test")))
    if known is not None:
        return None
    return f"leaked {leak} frames (slack {LEAK_SLACK})"


def test_verdicts(result, ids):
    """{id: (verdict, detail)} for the IDs a test covers, from one run result."""
    if result is None or result.get("outcome") == "not-run":
        reason = (result or {}).get("reason") or "no result"
        return {i: (NOT_RUN, reason) for i in ids}
    lines = result_lines(result)
    failure = run_failure(result)
    if failure and only_known_failures(result, lines):
        failure = None  # its own known failures made the status non-zero: judge ID by ID
    failure = failure or leak_failure(result)
    out = {}
    runner_only = runner_only_ids(result.get("test")) if result.get("platform") == "linux" \
        else set()
    for i in ids:
        mine = [(v, d) for (lid, v, d) in lines if lid == i]
        if i in runner_only:
            out[i] = (NA, "checked by the Janus runner only (from outside the machine)")
        elif failure:
            out[i] = (FAIL, failure)
        elif not mine:
            out[i] = (FAIL, f"no 'JANUS {i}' line")
        else:
            out[i] = combine_lines(mine)
    return out


def only_known_failures(result, lines):
    """True if a run that ended by itself with a non-zero status failed only IDs that are
    known gaps of its platform (janus-known.txt, or linux-known.txt for the reference): the
    status then comes from those, and the test's other IDs keep their own verdicts."""
    if result.get("outcome") != "exited" or result.get("signal") or not result.get("exit_status"):
        return False
    failed = {i for i, verdict, _ in lines if verdict == FAIL}
    if result.get("platform") == "linux":
        known = linux_known()
    else:
        known = janus_known(result.get("arch"))
    return bool(failed) and failed <= set(known)


def runner_only_ids(test_name):
    """IDs of a test that only the Janus runner's checks decide (tests/user/<test>.checks,
    fsck lines): N/A on Linux, where nothing checks a disk after the run."""
    try:
        checks = serialcheck.load(serialcheck.checks_path(TESTS_DIR, test_name))
    except (OSError, ValueError):
        return set()
    return serialcheck.runner_only_ids(checks)


def result_lines(result):
    """The JANUS lines of a run: the test's own, then the runner's checks of the serial line
    (Janus results' host_checks, tools/lib/serialcheck.py), as (id, verdict, detail)."""
    lines, _, _ = parse_output((result or {}).get("output") or "")
    return lines + [(c["id"], c["verdict"], c["detail"])
                    for c in (result or {}).get("host_checks") or []]


def combine_lines(lines):
    """One verdict from several JANUS lines of one ID in one run."""
    for verdict in (FAIL, PASS, SKIP):
        details = [d for v, d in lines if v == verdict]
        if details:
            return verdict, details[0]
    return FAIL, "no verdict"


def combine(verdicts):
    """One ID's verdict from those of every test that covers it: an ID passes only if every
    test passes it. N/A entries (tests that cannot run on this platform) do not count."""
    real = [v for v in verdicts if v != NA]
    if not real:
        return NA
    for v in PRECEDENCE:
        if v in real:
            return v
    return FAIL


def undeclared_ids(result, ids):
    """IDs a run reported JANUS lines for that its test definition does not name."""
    return sorted({lid for lid, _, _ in result_lines(result)} - set(ids))


# ---- TAP for meson (tools/linux-ref and tools/usertest) ------------------------------------

SKIP_RE = re.compile(r"(?:^|\s)#\s*SKIP\S*\s*(.*)$", re.I)


class Tap:
    """Numbers and prints TAP points as they come (the plan goes last, from the caller).
    With todo set (a known deviation of the reference), a failure is printed as TAP TODO:
    visible, counted by meson as an expected failure, not a failure."""

    def __init__(self, todo=None):
        self.count, self.failed, self.todo = 0, [], todo
        print("TAP version 13")

    def point(self, ok, desc, diag=()):
        self.count += 1
        todo = f" # TODO {self.todo}" if not ok and self.todo else ""
        print(f"{'ok' if ok else 'not ok'} {self.count} - {desc}{todo}")
        for line in diag:
            print(f"# {line}")
        if not ok and not todo:
            self.failed.append(desc)

    def skip(self, desc):
        self.count += 1
        print(f"ok {self.count} # SKIP {desc}")

    def plan(self):
        print(f"1..{self.count}", flush=True)


def relay_output(tap, output):
    """A test's output as TAP: its points renumbered, each JANUS line a point of its own,
    everything else a comment ("# | text")."""
    for line in output.splitlines():
        m = JANUS_LINE_RE.match(line)
        pm = TAP_POINT_RE.match(line)
        if m:
            text = f"JANUS {m.group(1)} {m.group(2)} {m.group(3)}".strip()
            if m.group(2) == "SKIP":
                tap.skip(text)
            else:
                tap.point(m.group(2) == "PASS", text)
        elif pm and SKIP_RE.search(pm.group(3)):
            tap.skip(SKIP_RE.search(pm.group(3)).group(1) or "skipped")
        elif pm:
            tap.point(pm.group(1) == "ok", pm.group(3) or "(no description)")
        elif not line.startswith("TAP version") and not TAP_PLAN_RE.match(line):
            print(line if line.startswith("#") else f"# | {line}")


def content_points(tap, res, test):
    """The checks on a run's output every runner makes: the plan matches the points, every
    covered ID has a JANUS line, no JANUS line names an undeclared ID."""
    _, points, plan = parse_output(res.get("output") or "")
    lines = result_lines(res)
    if plan is not None or points:
        tap.point(plan == len(points), f"the test's TAP plan matches its {len(points)} points",
                  [] if plan == len(points) else [f"plan {plan}: the test stopped early?"])
    reported = {i for i, _, _ in lines}
    skip = runner_only_ids(test["name"]) if res.get("platform") == "linux" else set()
    missing = [i for i in test["ids"] if i not in reported and i not in skip]
    tap.point(not missing, "every covered ID has a JANUS line",
              [f"missing: {' '.join(missing)}"] if missing else [])
    extra = undeclared_ids(res, test["ids"])
    tap.point(not extra, "no JANUS line for an ID the test definition does not name",
              [f"undeclared: {' '.join(extra)} (add them to tests/user/meson.build)"]
              if extra else [])


def report_failed(tool, name, tap):
    """The failed points once more on stderr (what meson --print-errorlogs shows)."""
    if tap.failed:
        print(f"{tool}: {name}: {len(tap.failed)} of {tap.count} points failed: "
              + "; ".join(tap.failed), file=sys.stderr)


# ---- Known failures on Janus ----------------------------------------------------------------

TESTS_DIR = os.path.join(janus.REPO, "tests", "user")
JANUS_KNOWN_FILE = os.path.join(TESTS_DIR, "janus-known.txt")


def janus_known(arch):
    """ID -> reason for the behaviours Janus does not have yet on arch (tests/user/
    janus-known.txt: "ID ARCHES reason", ARCHES "all" or a comma list of ports)."""
    known = {}
    if os.path.exists(JANUS_KNOWN_FILE):
        for line in open(JANUS_KNOWN_FILE):
            if line.strip() and not line.startswith("#"):
                ident, arches, why = (line.strip().split(None, 2) + ["", ""])[:3]
                if arches == "all" or arch in arches.split(","):
                    known[ident] = why.strip()
    return known


LINUX_KNOWN_FILE = os.path.join(TESTS_DIR, "linux-known.txt")


def linux_known():
    """ID -> why the reference (qemu-user in a user namespace) cannot show Linux's behaviour
    for it (tests/user/linux-known.txt: "ID reason")."""
    known = {}
    if os.path.exists(LINUX_KNOWN_FILE):
        for line in open(LINUX_KNOWN_FILE):
            if line.strip() and not line.startswith("#"):
                ident, _, why = line.strip().partition(" ")
                known[ident] = why.strip()
    return known


def fsck_ok(res):
    """e2fsck -fn found the run's disk clean, or the test damaged it on purpose (a
    tests/user/<test>.debugfs file: fsck's "expected_dirty" says so)."""
    fsck = res.get("fsck") or {}
    return bool(fsck.get("clean") or fsck.get("expected_dirty"))


def janus_todo(res, arch):
    """If the run ended normally (exit, no panic, no timeout, clean disk) and every ID it
    failed is a known gap of Janus on arch, the reason; the failures are then TAP TODO."""
    failed = [i for i, verdict, _ in result_lines(res) if verdict == FAIL]
    known = janus_known(arch)
    normal = res.get("outcome") == "exited" and fsck_ok(res)
    if not failed or not normal or any(i not in known for i in failed):
        return None
    return "; ".join(f"{i}: {known[i]}" for i in failed)
