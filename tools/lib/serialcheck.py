"""tools/lib/serialcheck.py: checks the runner makes from outside a Janus run (serial line, disk).

Some behaviours can only be seen from outside the machine: the bytes the console driver put
on the serial line (TTY-005: echo, OPOST/ONLCR), or how the guest's clock compares with the
host's (TIME-004), or what the disk looks like after the run (FS-034: e2fsck). A test
declares such checks in tests/user/<test>.checks, one per line ('#' starts a comment):

    bytes   <ID> <section> <Python bytes literal>   the section's raw bytes are exactly these
    elapsed <ID> <section> <percent>                 the host's time between the section's
                                                     markers agrees with the guest's within
                                                     percent
    fsck    <ID>                                     e2fsck -fn finds the run's disk clean
                                                     (the ID is the runner's alone: N/A on
                                                     Linux, where the test prints no line)

and marks each section on its console output:

    JTEST-SERIAL-BEGIN <section>[ anything]\\n<the section's bytes>JTEST-SERIAL-END <section>[ <ns>]

The section's bytes start after the first newline following the BEGIN marker and end where
the END marker starts, so they are whatever the kernel put on the line in between, \\r
included. For `elapsed`, the END marker carries the guest's own measure of the section in
nanoseconds; the host's is the time between the arrival of the console lines holding the two
markers (tools/lib/userrun.Boot stamps every line with the host's monotonic clock as it is
read).

The result of each ID is one JANUS-style verdict (id, PASS|FAIL, detail) that the run result
keeps in `host_checks`; usertests.test_verdicts() counts it with the test's own JANUS lines,
so a behaviour passes only if the test's lines (if any) and the runner's check all pass. A
section that is missing fails its check. The checks exist on Janus only (the Linux reference
has no serial line): such IDs' Linux verdicts come from the test's own lines, or the test
needs the console and is compared between the ports only.

Standard library only.
"""

import ast
import os
import re

BEGIN = b"JTEST-SERIAL-BEGIN "
END = b"JTEST-SERIAL-END "
END_LINE_RE = re.compile(r"JTEST-SERIAL-END (\S+)(?: (\d+))?")


def checks_path(tests_dir, name):
    return os.path.join(tests_dir, name + ".checks")


def load(path):
    """The checks of a .checks file: [(kind, id, section, expected)]; [] if there is none.
    Raises ValueError for a malformed line (a test bug the runner reports)."""
    if not os.path.exists(path):
        return []
    checks = []
    for n, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 3)
        if len(parts) == 2 and parts[0] == "fsck":
            checks.append(("fsck", parts[1], None, None))
            continue
        if len(parts) != 4 or parts[0] not in ("bytes", "elapsed"):
            raise ValueError(f"{path}:{n}: expected 'bytes|elapsed ID SECTION VALUE' "
                             "or 'fsck ID'")
        kind, ident, section, value = parts
        try:
            want = ast.literal_eval(value) if kind == "bytes" else float(value)
        except (ValueError, SyntaxError) as e:
            raise ValueError(f"{path}:{n}: bad value {value!r}: {e}") from None
        if kind == "bytes" and not isinstance(want, bytes):
            raise ValueError(f"{path}:{n}: a bytes check needs a b'...' literal")
        checks.append((kind, ident, section, want))
    return checks


def section_bytes(raw, section):
    """The raw bytes of a section, or None if its markers are not both there."""
    name = section.encode()
    begin = raw.find(BEGIN + name)
    if begin < 0:
        return None
    start = raw.find(b"\n", begin)
    end = raw.find(END + name, start + 1) if start >= 0 else -1
    return None if end < 0 else bytes(raw[start + 1:end])


def section_times(lines, stamps, section):
    """(host seconds between the marker lines, guest ns from the END marker) or None."""
    begin = next((i for i, t in enumerate(lines)
                  if "JTEST-SERIAL-BEGIN " + section in t), None)
    if begin is None:
        return None
    for i in range(begin, len(lines)):
        m = END_LINE_RE.search(lines[i])
        if m and m.group(1) == section and m.group(2):
            return stamps[i] - stamps[begin], int(m.group(2))
    return None


def runner_only_ids(checks):
    """IDs only the runner's fsck checks decide (no test line): N/A on Linux."""
    return {c[1] for c in checks if c[0] == "fsck"}


def check_one(kind, section, want, raw, lines, stamps, fsck=None):
    """(ok, detail) of one check; fsck is the run's {"clean", "output"}."""
    if kind == "fsck":
        clean = bool((fsck or {}).get("clean"))
        return clean, "e2fsck -fn on the disk after the run: " + (
            "clean" if clean else "errors" if fsck else "not run")
    if kind == "bytes":
        got = section_bytes(raw, section)
        if got is None:
            return False, f"{section}: no JTEST-SERIAL-BEGIN/END {section} on the line"
        return got == want, f"{section}: {got!r}" + ("" if got == want else f", want {want!r}")
    times = section_times(lines, stamps, section)
    if times is None:
        return False, f"{section}: no markers with the guest's nanoseconds"
    host, guest_ns = times
    guest = guest_ns / 1e9
    off = abs(host - guest) / guest * 100 if guest > 0 else float("inf")
    return off <= want, (f"{section}: host {host:.3f}s, guest {guest:.3f}s, "
                         f"{off:.1f}% apart (at most {want:g}%)")


def run(checks, raw, lines, stamps, fsck=None):
    """[{"id", "verdict", "detail"}], one per ID, in the file's order."""
    results = {}
    for kind, ident, section, want in checks:
        ok, detail = check_one(kind, section, want, raw, lines, stamps, fsck)
        prev = results.setdefault(ident, [True, []])
        prev[0] = prev[0] and ok
        prev[1].append(("" if ok else "MISMATCH ") + detail)
    return [{"id": i, "verdict": "PASS" if ok else "FAIL",
             "detail": "checked by the runner: " + "; ".join(d)}
            for i, (ok, d) in results.items()]
