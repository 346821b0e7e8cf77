"""tools/lib/janus.py: what every Janus developer tool shares, defined once.

The build directories, the QEMU command line of each port, the mapping from QEMU's exit code
back to the kernel's power-off status, and the backtrace symbolizer all live here, so that the
test runner (tools/qemu-test), tools/boot, tools/check and later tools/debug cannot disagree.

Conventions (the kernel follows them too):
- Build root: $JANUS_BUILD, default <repo>/build; one directory per machine: x86_64, aarch64
  (cross builds of the kernel) and host (the host suite under ASan + UBSan).
- Kernel outputs: <build>/<arch>/kernel.elf carries the symbols; QEMU boots kernel.elf on
  x86_64 and the raw arm64 Image kernel.bin on aarch64.
- The kernel powers off with a status: 0 all passed, 1 a test failed, 112 a panic. aarch64
  (semihosting) gives it to QEMU's exit code as is; x86_64's isa-debug-exit gives 2*status+1,
  and ACPI S5 gives 0.
- A panic prints backtrace lines "  #N 0x<address>"; symbolize_frame() turns one into
  "#N 0x<address> in <function> at <file>:<line>".

Standard library only.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
ARCHES = ("x86_64", "aarch64")
MACHINES = ARCHES + ("host",)
DEFAULT_MEM = "512M"
SYMBOLIZER = "llvm-symbolizer-19"
BANNER_PREFIX = "Janus "
PANIC_MARKER = "KERNEL PANIC"
PANIC_STATUS = 112
BACKTRACE_RE = re.compile(r"#(\d+) (0x[0-9a-f]+)")

# The programs the tools run; if one is missing, tools/bootstrap installs it.
REQUIRED_PROGRAMS = ("meson", "ninja", "clang-19", "ld.lld-19", SYMBOLIZER,
                     "qemu-system-x86_64", "qemu-system-aarch64")


# ---- Build directories ---------------------------------------------------------------------

def build_root():
    """The build root: $JANUS_BUILD if set (so experiments need not touch <repo>/build)."""
    return os.path.abspath(os.environ.get("JANUS_BUILD") or os.path.join(REPO, "build"))


def build_dir(machine):
    return os.path.join(build_root(), machine)


def setup_args(machine):
    """The `meson setup` arguments after the build directory, for one machine."""
    if machine == "host":
        return ["--native-file", os.path.join(REPO, "cross", "host.ini"),
                "-Db_sanitize=address,undefined", "-Db_lundef=false"]
    return ["--cross-file", os.path.join(REPO, "cross", machine + ".ini")]


def is_configured(machine):
    return os.path.exists(os.path.join(build_dir(machine), "build.ninja"))


def setup(machine, log=sys.stderr):
    """Configure a build directory unless it already is (ninja reconfigures it by itself when
    a meson.build changes). A directory whose last configuration failed is reconfigured."""
    if is_configured(machine):
        return True
    bdir = build_dir(machine)
    cmd = ["meson", "setup", bdir] + setup_args(machine)
    if os.path.exists(os.path.join(bdir, "meson-private", "coredata.dat")):
        cmd.append("--reconfigure")
    return run_logged(cmd, log) == 0


def build(machine, log=sys.stderr):
    """Set up (if needed) and build one machine's directory; True on success."""
    return setup(machine, log) and run_logged(["ninja", "-C", build_dir(machine)], log) == 0


def run_logged(cmd, log):
    """Run a build step with its output on `log`; with log=None the output is kept back and
    shown (on stderr) only if the step fails."""
    if log is not None:
        print("+ " + " ".join(cmd), file=log, flush=True)
        return subprocess.call(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        sys.stderr.write("+ " + " ".join(cmd) + "\n" + proc.stdout.decode(errors="replace"))
    return proc.returncode


def kernel_files(arch, bdir=None):
    """(image QEMU boots, ELF with symbols) in the arch's build directory (or in bdir)."""
    bdir = bdir or build_dir(arch)
    image = "kernel.bin" if arch == "aarch64" else "kernel.elf"
    return os.path.join(bdir, image), os.path.join(bdir, "kernel.elf")


def missing_programs():
    return [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]


def bootstrap():
    """Run tools/bootstrap (idempotent, silent when all is there); True on success."""
    return subprocess.call([os.path.join(REPO, "tools", "bootstrap")]) == 0


# ---- QEMU ----------------------------------------------------------------------------------

def mem_mib(mem):
    """QEMU's -m size ("512M", "1G", "512") in MiB."""
    m = re.fullmatch(r"(\d+)([MmGg]?)", str(mem).strip())
    if not m:
        raise ValueError(f"memory size {mem!r}: expected e.g. 512M or 1G")
    return int(m.group(1)) * (1024 if m.group(2).lower() == "g" else 1)


def qemu_command(arch, image, append="", mem=DEFAULT_MEM, smp=1, serial="stdio", disks=(),
                 gdb_port=None):
    """The one QEMU command line of each port (TCG; serial console on stdio). disks are
    (path, read_only) pairs, attached in order as virtio-blk-pci (the kernel's vda, vdb...).
    gdb_port: start halted (-S) with a gdb stub listening on 127.0.0.1:gdb_port (tools/debug)."""
    common = ["-m", str(mem), "-smp", str(smp), "-nodefaults", "-display", "none",
              "-serial", serial, "-no-reboot"] + disk_args(disks)
    if gdb_port is not None:
        common += ["-S", "-gdb", f"tcp:127.0.0.1:{gdb_port}"]
    if arch == "x86_64":
        return (["qemu-system-x86_64", "-M", "q35", "-cpu", "max"] + common +
                ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                 "-kernel", image, "-append", append])
    if arch == "aarch64":
        return (["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "neoverse-n1"] +
                common + ["-semihosting-config", "enable=on,target=native",
                          "-kernel", image, "-append", append])
    raise ValueError(f"unknown arch {arch!r}")


def disk_args(disks):
    """QEMU arguments attaching raw images as virtio-blk-pci, the same on both ports (a PCI
    device on the root bus; -nodefaults leaves out QEMU's default NIC, so on aarch64 the first
    disk is 00:01.0 as on x86_64). A comma in a path is doubled, QEMU's escape."""
    args = []
    for i, (path, read_only) in enumerate(disks):
        drive = f"file={path.replace(',', ',,')},format=raw,if=none,id=d{i}"
        args += ["-drive", drive + (",readonly=on" if read_only else ""),
                 "-device", f"virtio-blk-pci,drive=d{i}"]
    return args


class ScratchDisk:
    """A private copy of a disk image for one run, so the master is never written:
      with ScratchDisk(master, keep=None) as path: ...
    The copy lives in a fresh temporary directory that is removed on exit (also when the
    run fails or is interrupted by an exception), unless keep names a file: then the copy is
    made there and left for inspection."""

    def __init__(self, master, keep=None):
        self.master, self.keep, self.tmpdir = master, keep, None

    def __enter__(self):
        if self.keep:
            path = self.keep
        else:
            self.tmpdir = tempfile.mkdtemp(prefix="janus-disk-")
            path = os.path.join(self.tmpdir, os.path.basename(self.master))
        shutil.copyfile(self.master, path)
        return path

    def __exit__(self, *exc):
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        return False


def kernel_status(arch, rc):
    """The kernel's power-off status from QEMU's exit code, or None if rc cannot be one
    (QEMU killed by a signal, or an even non-zero rc on x86_64: QEMU's own error)."""
    if rc is None or rc < 0:
        return None
    if arch == "x86_64":
        if rc == 0:
            return 0
        return (rc - 1) // 2 if rc % 2 == 1 else None
    return rc


def status_to_exit(arch, rc):
    """An exit code for a tool that mirrors the kernel's power-off status."""
    status = kernel_status(arch, rc)
    if status is not None:
        return status
    return 128 - rc if rc is not None and rc < 0 else 1


def median_ms(values):
    return round(statistics.median(values) * 1000)


# ---- Backtrace symbolizer ------------------------------------------------------------------

class Symbolizer:
    """Turns kernel addresses into "function at file:line" with llvm-symbolizer-19.

    One llvm-symbolizer process serves all lookups (started on first use): it reads an address
    per line and answers with function/file:line pairs (more than one pair when inlined),
    then an empty line. File names are shown relative to the repository when inside it."""

    def __init__(self, elf):
        self.elf = elf
        self.proc = None

    def lookup(self, addr):
        """[(function, "file:line"), ...] innermost first, or [] if it cannot be done."""
        proc = self._process()
        if proc is None:
            return []
        try:
            proc.stdin.write(f"0x{addr:x}\n")
            proc.stdin.flush()
            return self._read_answer(proc)
        except OSError:
            self.proc = False
            return []

    def _process(self):
        if self.proc is None:
            if not self.elf or not os.path.exists(self.elf) or not shutil.which(SYMBOLIZER):
                self.proc = False
            else:
                self.proc = subprocess.Popen(
                    [SYMBOLIZER, "--obj=" + self.elf, "--functions=linkage", "--inlines"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        return self.proc or None

    def _read_answer(self, proc):
        lines = []
        while True:
            line = proc.stdout.readline()
            if line == "" or line == "\n":
                break
            lines.append(line.rstrip("\n"))
        return [(lines[i], _short_location(lines[i + 1])) for i in range(0, len(lines) - 1, 2)]

    def close(self):
        if self.proc:
            self.proc.stdin.close()
            self.proc.wait()
        self.proc = None


def _short_location(loc):
    """"/repo/build/x/../../core/a.c:12:5" -> "core/a.c:12" (column dropped)."""
    m = re.fullmatch(r"(.*?):(\d+)(?::\d+)?", loc)
    if not m:
        return loc
    path = os.path.normpath(m.group(1))
    if path.startswith(REPO + os.sep):
        path = os.path.relpath(path, REPO)
    return f"{path}:{m.group(2)}"


def symbolize_frame(symbolizer, line):
    """For a backtrace line ("  #N 0xADDR ..."): "#N 0xADDR in func at file:line", plus one
    "    inlined into ..." line per enclosing inlined call; None for any other line.

    Frames after #0 hold return addresses, which point after the call: look up addr-1 so the
    answer names the line of the call itself."""
    m = BACKTRACE_RE.search(line)
    if not m:
        return None
    n, addr = int(m.group(1)), int(m.group(2), 16)
    frames = symbolizer.lookup(addr - 1 if n > 0 else addr)
    head = f"#{n} {m.group(2)}"
    if not frames or frames[0][0] == "??":
        return [head + " in ?? (no symbol)"]
    out = [f"{head} in {frames[0][0]} at {frames[0][1]}"]
    out += [f"    inlined into {fn} at {loc}" for fn, loc in frames[1:]]
    return out
