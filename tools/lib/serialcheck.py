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
    boot    <ID> <seconds>                           the banner names the port's arch, the
                                                     virtio-blk disk and the ext2 root are
                                                     there, init started within <seconds> of
                                                     QEMU's launch (host clock) and reached
                                                     its first user instruction (BOOT-001)
    poweroff <ID>                                    init's end and status are on the serial
                                                     line, QEMU exited by itself (never killed)
                                                     with an exit code that agrees (BOOT-009)
    pristine <ID>                                    the run's disk started as a byte-exact copy
                                                     of the pristine image (the manifest's
                                                     image_sha256), the test wrote to the copy,
                                                     and the pristine image is unchanged after
                                                     the run (BOOT-002)
    whole   <ID> <prefix> <count>                    at least <count> lines "<prefix> NNN "
                                                     padded to 4096 bytes with the letter
                                                     'a'+NNN%26 (one write() each) arrived on
                                                     the raw serial line unbroken, and the
                                                     kernel printed at least one note meanwhile
                                                     (BOOT-010)
  The kinds other than bytes and elapsed are the runner's alone: their IDs are N/A on Linux,
  where the test prints no line for them.

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

RUNNER_KINDS = ("fsck", "boot", "poweroff", "pristine", "whole")
LONG_LINE = 4096               # bytes of one "whole" line, its newline included
KERNEL_NOTE = re.compile(rb"pid \d+ \([^)]*\): ")

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
        if not line.startswith("bytes"):     # a bytes literal may hold a '#'
            line = re.sub(r"\s+#.*$", "", line)
        parts = line.split(None, 3)
        if len(parts) == 2 and parts[0] in ("fsck", "poweroff", "pristine"):
            checks.append((parts[0], parts[1], None, None))
            continue
        if len(parts) == 3 and parts[0] == "boot":
            checks.append(("boot", parts[1], None, float(parts[2])))
            continue
        if len(parts) != 4 or parts[0] not in ("bytes", "elapsed", "whole"):
            raise ValueError(f"{path}:{n}: expected 'bytes|elapsed|whole ID SECTION VALUE', "
                             "'boot ID SECONDS' or 'fsck|poweroff|pristine ID'")
        kind, ident, section, value = parts
        try:
            want = ast.literal_eval(value) if kind == "bytes" else \
                int(value) if kind == "whole" else float(value)
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
    """IDs only the runner's own checks decide (no test line): N/A on Linux."""
    return {c[1] for c in checks if c[0] in RUNNER_KINDS}


def boot_check(limit, lines, stamps, ctx):
    """BOOT-001: banner with the arch, the disk, the ext2 root, init started in time and ran
    its first user instruction."""
    arch = ctx.get("arch") or ""
    want = [("banner", re.compile(r"^Janus \S+ \(\S+\) " + re.escape(arch) + " on ")),
            ("virtio-blk", re.compile(r"^vda: virtio-blk ")),
            ("ext2 root", re.compile(r"^vfs: ext2 root mounted")),
            ("init", re.compile(r"^janus: free frames \d+")),
            ("first user instruction", re.compile(r"^janus: first user instruction at \d+"))]
    at = {}
    for name, rx in want:
        at[name] = next((i for i, t in enumerate(lines) if rx.search(t)), None)
    missing = [n for n, i in at.items() if i is None]
    if missing:
        return False, "boot: no " + ", no ".join(missing) + " line"
    took = stamps[at["init"]] - ctx.get("launched", stamps[0])
    return took <= limit, (f"boot: banner names {arch}, ext2 root on virtio-blk, init "
                           f"started {took:.1f}s after QEMU's launch (limit {limit:g}s), "
                           "first user instruction reached")


def poweroff_check(ctx):
    """BOOT-009: init's end on the line, QEMU gone by itself with an agreeing exit code."""
    if ctx.get("timed_out"):
        return False, "power-off: QEMU was killed at the timeout"
    if ctx.get("outcome") != "exited":
        return False, f"power-off: the run's outcome is {ctx.get('outcome')}, not exited"
    bad = [n for n in ctx.get("notes") or [] if "QEMU exit code" in n]
    status = ctx.get("exit_status") if ctx.get("signal") is None else ctx.get("signal")
    return not bad, (f"power-off: status {status} on the serial line, QEMU exited by itself "
                     f"(exit code {ctx.get('rc')})" + ("; " + bad[0] if bad else ""))


def pristine_check(ctx):
    """BOOT-002: a fresh copy of an unchanged pristine image, written by the run."""
    p = ctx.get("pristine") or {}
    want, before, after = p.get("want"), p.get("copy_before"), p.get("master_after")
    ok = want is not None and before == want and after == want and \
        p.get("copy_after") not in (None, want)
    return ok, (f"disk copy before the run {'=' if before == want else '!='} the manifest's "
                f"image_sha256 {str(want)[:12]}, copy after the run "
                f"{'changed' if p.get('copy_after') != want else 'UNCHANGED'}, pristine image "
                f"after the run {'unchanged' if after == want else 'CHANGED: ' + str(after)}")


def whole_check(prefix, count, raw):
    """BOOT-010: every "<prefix> NNN " line arrived whole: 4096 bytes of one write()."""
    head = prefix.encode() + b" "
    seen, torn, pos = 0, [], raw.find(head)
    while pos >= 0:
        num = bytes(raw[pos + len(head):pos + len(head) + 4])
        if re.fullmatch(rb"\d{3} ", num):
            fill = bytes([ord("a") + int(num[:3]) % 26])
            body_len = LONG_LINE - len(head) - 5
            start = pos + len(head) + 4
            body = bytes(raw[start:start + body_len + 2])
            end = body[body_len:]
            if body.startswith(fill * body_len) and (end == b"\r\n" or end[:1] == b"\n"):
                seen += 1
            else:
                torn.append(num[:3].decode())
        pos = raw.find(head, pos + 1)
    notes = len(KERNEL_NOTE.findall(bytes(raw)))
    ok = seen >= count and not torn and notes > 0
    return ok, (f"{prefix}: {seen} of at least {count} lines of {LONG_LINE} bytes arrived "
                f"whole, {notes} kernel notes on the line" +
                (f"; torn: {' '.join(torn)}" if torn else ""))


def check_one(kind, section, want, raw, lines, stamps, fsck=None, ctx=None):
    """(ok, detail) of one check; fsck is the run's {"clean", "output"}, ctx what the runner
    knows of the run (arch, launched, timed_out, rc, outcome, exit_status, signal, notes,
    pristine)."""
    ctx = ctx or {}
    if kind == "boot":
        return boot_check(want, lines, stamps, ctx)
    if kind == "poweroff":
        return poweroff_check(ctx)
    if kind == "pristine":
        return pristine_check(ctx)
    if kind == "whole":
        return whole_check(section, want, raw)
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


def run(checks, raw, lines, stamps, fsck=None, ctx=None):
    """[{"id", "verdict", "detail"}], one per ID, in the file's order."""
    results = {}
    for kind, ident, section, want in checks:
        ok, detail = check_one(kind, section, want, raw, lines, stamps, fsck, ctx)
        prev = results.setdefault(ident, [True, []])
        prev[0] = prev[0] and ok
        prev[1].append(("" if ok else "MISMATCH ") + detail)
    return [{"id": i, "verdict": "PASS" if ok else "FAIL",
             "detail": "checked by the runner: " + "; ".join(d)}
            for i, (ok, d) in results.items()]
