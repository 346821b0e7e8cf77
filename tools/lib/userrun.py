"""tools/lib/userrun.py: boot Janus with one user program as init and read what happened.

Shared by tools/usertest (the user tests, one meson test each) and tools/run (a developer's
own C file). One run: a fresh copy of a disk image (the master is never written; a copy,
not QEMU's snapshot mode, so a test may look at the disk afterwards), QEMU with the port's
command line (janus.qemu_command), and the kernel command line

    init=/bin/<name> env.PATH=/bin:/sbin env.HOME=/root env.TERM=vt100 [-- arg1 arg2 ...]

The kernel protocol this reads (core/main.c):
  "janus: free frames F"          printed before init starts: the program's output follows
  "janus: init exited with status S (exit code C)" or "janus: init killed by signal N"
  "janus: free frames F"          again after init ended; then power-off with status C (or
                                  128+N); x86_64's isa-debug-exit carries it as (2C+1) & 0xff
  "janus: cannot run init PATH: error E"  the exec failed (power-off with status 127)
  "KERNEL PANIC ..." then "  #N 0x..." backtrace lines, power-off with status 112.
The console line is authoritative for the program's status; QEMU's exit code only confirms it
(on x86_64 a status of 128 or more cannot survive isa-debug-exit's byte).

The program's output is the console text between the first "free frames" line and the init
line (a partial last line of the program, before the kernel's line, is kept). Kernel
messages printed meanwhile land in it too: there is no way to tell them apart on one serial
line, so the kernel must stay quiet while init runs.

Standard library only.
"""

import ctypes
import os
import queue
import re
import selectors
import signal
import subprocess
import threading
import time

import janus
import usertests as ut

INIT_START_RE = re.compile(r"janus: free frames (\d+)")
INIT_EXIT_RE = re.compile(r"janus: init exited with status (\d+) \(exit code (\d+)\)")
INIT_KILLED_RE = re.compile(r"janus: init killed by signal (\d+)")
INIT_FAILED_RE = re.compile(r"janus: cannot run init .*|No \S+ to run: powering off")
PANIC_REPORT_MAX = 80          # lines of a panic report kept in a result
CONSOLE_MAX = 256 * 1024       # characters of the whole console kept in a result
FSCK_TIMEOUT = 120


def cmdline(init, args=(), env=None, extra=()):
    """The kernel command line that runs init with args and env. Raises ValueError for an
    argument the command line cannot carry (empty, or containing blanks)."""
    env = ut.TEST_ENV if env is None else env
    for word in [init] + list(args) + [f"{k}={v}" for k, v in env.items()]:
        if not word or any(c.isspace() for c in word):
            raise ValueError(f"{word!r}: the kernel command line cannot carry an empty word "
                             "or one with blanks")
    words = [f"init={init}"] + [f"env.{k}={v}" for k, v in env.items()] + list(extra)
    return " ".join(words + (["--"] + list(args) if args else []))


# ---- Running QEMU --------------------------------------------------------------------------

def _die_with_parent():
    """In the child: own process group, SIGKILL when the runner dies (even by SIGKILL)."""
    os.setpgrp()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Boot:
    """One QEMU run: its console lines (and stamps: the host's time.monotonic() as each was
    read), the raw bytes of the serial line (raw, up to RAW_MAX), QEMU's exit code, whether it
    hit the timeout. on_line(text) sees each console line as it comes; input (bytes, or a list
    of byte chunks) is typed into the console: chunk k once the k-th line containing
    input_after appears (at once if input_after is empty)."""

    RAW_MAX = 4 << 20

    def __init__(self, arch, kernel, append, disk, timeout, smp=1, mem=janus.DEFAULT_MEM,
                 input=None, input_after=None, on_line=None):
        self.cmd = janus.qemu_command(arch, kernel, append, mem, smp, disks=[(disk, False)])
        self.timeout, self.input_after = timeout, input_after
        self.input = [input] if isinstance(input, bytes) else input
        self.on_line = on_line or (lambda text: None)
        self.lines, self.stamps, self.qemu_errors = [], [], []
        self.raw = bytearray()
        self.rc, self.timed_out, self.seconds = None, False, 0.0
        self._typed, self._queue = 0, None

    def run(self):
        start = self.launched = time.monotonic()
        stdin = subprocess.PIPE if self.input is not None else subprocess.DEVNULL
        proc = subprocess.Popen(self.cmd, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
        try:
            if self.input is not None:
                self._start_typist(proc)
            if self.input is not None and not self.input_after:
                self._type()
            self.timed_out = self._pump(proc, start + self.timeout)
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
        self.rc = proc.returncode
        self.seconds = round(time.monotonic() - start, 3)
        return self

    def _pump(self, proc, deadline):
        """Read both streams line by line until QEMU closes them; True on the timeout."""
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        partial = {"out": b"", "err": b""}
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if key.data == "out" and len(self.raw) < self.RAW_MAX:
                    self.raw += chunk
                if not chunk:
                    sel.unregister(key.fileobj)
                *done, partial[key.data] = (partial[key.data] + chunk).split(b"\n")
                if not chunk and partial[key.data]:
                    done, partial[key.data] = done + [partial[key.data]], b""
                for raw in done:
                    self._line(key.data, raw.decode("utf-8", "replace").rstrip("\r"), proc)
        if sel.get_map():
            return True
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
            return False
        except subprocess.TimeoutExpired:
            return True

    def _line(self, stream, text, proc):
        if stream == "err":
            self.qemu_errors.append(text)
            return
        self.lines.append(text)
        self.stamps.append(time.monotonic())
        self.on_line(text)
        if self.input is not None and self._typed < len(self.input) and \
                self.input_after in text:
            self._type()

    def _start_typist(self, proc):
        """One thread writes the chunks in order (a chunk may block on a full pipe while
        the console is read) and closes QEMU's stdin after the last."""
        self._queue = queue.Queue()

        def write():
            try:
                for _ in self.input:
                    proc.stdin.write(self._queue.get())
                    proc.stdin.flush()
                proc.stdin.close()
            except OSError:
                pass
        threading.Thread(target=write, daemon=True).start()

    def _type(self):
        self._queue.put(self.input[self._typed])
        self._typed += 1


# ---- What the console says -----------------------------------------------------------------

def signal_name(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return str(n)


def analyse(arch, boot):
    """The facts of one run from its console: a dict with outcome, exit_status, signal,
    output, reason, panic, free_frames, init_started, notes (usertests' result fields)."""
    lines = boot.lines
    start = next((i for i, t in enumerate(lines) if INIT_START_RE.search(t)), None)
    panic_at = next((i for i, t in enumerate(lines) if janus.PANIC_MARKER in t), None)
    end, exit_status, sig = None, None, None
    for i in range(start + 1 if start is not None else len(lines), len(lines)):
        m, k = INIT_EXIT_RE.search(lines[i]), INIT_KILLED_RE.search(lines[i])
        if m or k:
            end, exit_status, sig = (i, int(m.group(2)), None) if m else \
                (i, None, signal_name(int(k.group(1))))
            break
    failed = next((m.group(0) for t in lines[start or 0:] for m in [INIT_FAILED_RE.search(t)]
                   if m), None)
    facts = {"init_started": start is not None and failed is None, "exit_status": exit_status, "signal": sig,
             "panic": None, "reason": "", "notes": [],
             "free_frames": free_frames(lines, start, end)}
    facts["output"] = program_output(lines, start, end, panic_at)
    if panic_at is not None:
        facts["panic"] = panic_report(lines[panic_at:])
    facts["outcome"], facts["reason"] = outcome(boot, facts, start, end, lines)
    if failed and facts["outcome"] == "error":
        facts["reason"] = f"the kernel could not start init: {failed}"
    if facts["outcome"] == "exited":
        facts["notes"] += status_notes(arch, boot.rc, exit_status, sig)
    return facts


def program_output(lines, start, end, panic_at):
    if start is None:
        return ""
    stop = min(x for x in (end, panic_at, len(lines)) if x is not None and x > start)
    out = lines[start + 1:stop]
    if stop < len(lines):      # the program's last line may lack its newline
        marker = INIT_EXIT_RE.search(lines[stop]) or INIT_KILLED_RE.search(lines[stop])
        cut = marker.start() if marker else lines[stop].find(janus.PANIC_MARKER)
        if cut > 0:
            out.append(lines[stop][:cut])
    return "".join(t + "\n" for t in out)


def free_frames(lines, start, end):
    before = int(INIT_START_RE.search(lines[start]).group(1)) if start is not None else None
    after = None
    if end is not None:
        for t in lines[end + 1:]:
            m = INIT_START_RE.search(t)
            if m:
                after = int(m.group(1))
                break
    return {"before": before, "after": after}


def panic_report(lines):
    """{"message", "backtrace": raw "  #N 0x..." lines, "report": the lines as printed}."""
    head = lines[0]
    message = head[head.find(janus.PANIC_MARKER):].strip()
    frames = [t.strip() for t in lines if janus.BACKTRACE_RE.search(t)]
    return {"message": message, "backtrace": frames, "report": lines[:PANIC_REPORT_MAX]}


def outcome(boot, facts, start, end, lines):
    """(outcome, reason) in the terms of docs/parity.md."""
    if facts["panic"]:
        when = "before init started" if start is None else (
            "after init ended" if end is not None else "while init ran")
        return "panic", f"kernel panic {when}: {facts['panic']['message']}"
    if boot.timed_out:
        return "timeout", f"killed at the timeout ({boot.timeout:g}s)" + (
            "" if start is not None else "; init never started")
    if end is not None:
        return "exited", ""
    last = next((t.strip() for t in reversed(lines) if t.strip()), "(no console output)")
    errors = "; QEMU: " + " ".join(boot.qemu_errors)[-300:] if boot.qemu_errors else ""
    if start is None:
        return "error", f"the kernel did not run init; last console line: {last}{errors}"
    return "error", ("the kernel powered off while init ran (no 'janus: init exited' line); "
                     f"last console line: {last}{errors}")


def status_notes(arch, rc, exit_status, sig):
    """A note when QEMU's exit code does not confirm the status the console gave."""
    want = exit_status if sig is None else 128 + signal_number(sig)
    got = janus.kernel_status(arch, rc)
    if arch == "x86_64" and got is not None:
        want &= 0x7f           # isa-debug-exit keeps (2*status+1) & 0xff
    if got == want:
        return []
    return [f"QEMU exit code {rc} gives power-off status {got}, but the console said "
            f"{exit_status if sig is None else sig} (expected status {want})"]


def signal_number(name):
    try:
        return int(signal.Signals[name])
    except KeyError:
        return int(name) if str(name).isdigit() else 0


# ---- The disk afterwards -------------------------------------------------------------------

def fsck(image):
    """(clean, output lines) of `e2fsck -fn` on the run's disk copy."""
    try:
        proc = subprocess.run(["e2fsck", "-fn", image], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=FSCK_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, [f"e2fsck could not run: {e}"]
    out = proc.stdout.decode("utf-8", "replace").splitlines()
    return proc.returncode == 0, out + ([f"e2fsck exit code {proc.returncode}"]
                                        if proc.returncode else [])


def console_text(boot):
    text = "".join(t + "\n" for t in boot.lines)
    return text if len(text) <= CONSOLE_MAX else "[...]\n" + text[-CONSOLE_MAX:]
