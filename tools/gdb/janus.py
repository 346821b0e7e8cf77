"""tools/gdb/janus.py: gdb helper commands for the Janus kernel (gdb's Python API).

tools/debug sources this file after connecting gdb-multiarch to QEMU's gdb stub; by hand:
  (gdb) source tools/gdb/janus.py

Commands (each answers `help <name>`; `help user-defined` lists them):
  janus-cpus           every struct cpu (core/cpu.h): id, hwid, online, ticks, lock_depth, the
                       spinlocks held by name and where each was taken, and which gdb thread
                       (QEMU vCPU) runs on it
  janus-pt ADDR        walk the active page tables for a virtual address: each level's entry,
                       then the physical address, page size and permissions
  janus-bt [PC FP]     kernel backtrace by frame pointers, as core/panic.c prints it but
                       symbolized; follows trap frames into the interrupted (kernel or user)
                       context; `janus-bt --tf ADDR` starts from a struct trapframe
  janus-threads        the kernel's threads, once the processes issue adds `thread_list`
  janus-ps             the processes (core/proc.c's `proc_table`)

Both ports: the architecture comes from gdb (i386:x86-64 or aarch64). The layout constants
are core/layout.h's. Page tables are read by physical address: with QEMU's
"Qqemu.PhyMemMode" (maintenance packet) when the stub offers it, else through the kernel's
direct map at DIRECT_MAP_BASE + pa. Registers come from the stub: CR0/CR3/CR4/EFER and
GS_BASE on x86_64; TTBR0_EL1, TTBR1_EL1, TCR_EL1, SCTLR, MAIR_EL1 and TPIDR_EL1 on aarch64
(QEMU's system-register description).
"""

import struct

import gdb

DIRECT_MAP_BASE = 0xffff800000000000
KERNEL_IMAGE_BASE = 0xffffffff80000000
USER_TOP = 0x0000800000000000
MASK64 = (1 << 64) - 1
BACKTRACE_MAX = 64

# A return address inside one of these assembly routines means the frame above it is a
# struct trapframe (arch/*/trap_entry.S). x86_64: trap_common does `mov %rsp,%rdi; call
# x86_trap` right below the frame, so x86_trap's frame record sits 16 bytes under it.
# aarch64: the frame record is the trapframe's own `frame` field, { x29, elr }.
TRAP_ENTRIES = ("trap_common", "stack_overflow")


# ---- Target access ---------------------------------------------------------------------------

def arch():
    """"x86_64" or "aarch64", from gdb's idea of the target."""
    if gdb.selected_thread() is None:
        raise gdb.GdbError("no target: start one with tools/debug (or `target remote`)")
    name = gdb.selected_inferior().architecture().name()
    if "x86-64" in name:
        return "x86_64"
    if name.startswith("aarch64"):
        return "aarch64"
    raise gdb.GdbError(f"architecture {name!r} is not a Janus port (set architecture ...)")


def reg(*names):
    """The first of these registers the stub offers, as an unsigned int (None if none)."""
    frame = gdb.newest_frame()
    for name in names:
        try:
            return int(frame.read_register(name)) & MASK64
        except (ValueError, gdb.error):
            continue
    return None


def must_reg(*names):
    value = reg(*names)
    if value is None:
        raise gdb.GdbError(f"the gdb stub does not offer register {names[0]}")
    return value


def read_u64(addr):
    return struct.unpack("<Q", bytes(gdb.selected_inferior().read_memory(addr, 8)))[0]


def to_addr(value):
    """An address from a gdb value: functions and arrays by their address, pointers and
    integers by value."""
    code = value.type.strip_typedefs().code
    if code in (gdb.TYPE_CODE_FUNC, gdb.TYPE_CODE_ARRAY) and value.address is not None:
        value = value.address
    return int(value.cast(gdb.lookup_type("unsigned long"))) & MASK64


def eval_addr(expr):
    try:
        return to_addr(gdb.parse_and_eval(expr))
    except gdb.error as e:
        raise gdb.GdbError(f"{expr}: {e}")


class PhysReader:
    """Reads 64-bit words by physical address, for the page-table walk:
      with PhysReader() as phys: phys.u64(pa)
    QEMU's physical-memory mode when the stub has it (restored on exit), else the direct map
    (which maps all RAM once arch_mmu_init ran, and the first 2 GiB from the first line of
    kmain)."""

    def __enter__(self):
        self.physical = self._mode(1)
        self.how = "physical reads" if self.physical else "the direct map"
        return self

    def __exit__(self, *exc):
        if self.physical:
            self._mode(0)
        return False

    @staticmethod
    def _mode(on):
        try:
            out = gdb.execute(f"maintenance packet Qqemu.PhyMemMode:{on}", to_string=True)
        except gdb.error:
            return False
        return 'received: "OK"' in out

    def u64(self, pa):
        addr = pa if self.physical else DIRECT_MAP_BASE + pa
        try:
            return read_u64(addr)
        except gdb.MemoryError:
            raise gdb.GdbError(f"cannot read physical 0x{pa:x} (through {self.how})")


# ---- Symbols ---------------------------------------------------------------------------------

def minimal_symbol(addr):
    """"name" or "name+off" from the ELF symbol table (assembly labels too), or None."""
    try:
        out = gdb.execute(f"info symbol 0x{addr:x}", to_string=True).strip()
    except gdb.error:
        return None
    if out.startswith("No symbol"):
        return None
    return out.split(" in section")[0].replace(" + ", "+")


def describe(addr, is_return=False):
    """"func at file:line" (with "inlined into ..." for inlined calls) for a code address.
    Return addresses point after the call: look up addr-1, the line of the call itself."""
    look = addr - 1 if is_return else addr
    where = "[user]" if addr < USER_TOP else ""
    try:
        block = gdb.block_for_pc(look)
    except RuntimeError:
        block = None
    names = []
    while block is not None and not block.is_global:
        if block.function is not None:
            names.append(block.function.print_name)
        block = block.superblock
    sal = gdb.find_pc_line(look)
    loc = f" at {sal.symtab.filename}:{sal.line}" if sal.symtab is not None else ""
    if names:
        text = names[0] + loc + "".join(f", inlined into {n}" for n in names[1:])
    else:
        msym = minimal_symbol(look)
        if msym is None:
            text = "?? (add-symbol-file the program to symbolize)" if addr < USER_TOP else "??"
        else:
            text = msym.split("+")[0] + loc
    return (where + " " + text).strip()


def symbol_name(addr):
    msym = minimal_symbol(addr)
    return msym.split("+")[0] if msym else None


def lookup_global(name):
    """The value of a global or file-static variable of the kernel, or None."""
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if sym is None:
        return None
    return sym.value()


def has_field(value, name):
    return any(f.name == name for f in value.type.strip_typedefs().fields())


# ---- janus-cpus ------------------------------------------------------------------------------

def this_cpu_pointer(a):
    """The running vCPU's struct cpu pointer, from the per-CPU register (0 if not set yet)."""
    if a == "aarch64":
        return reg("TPIDR_EL1") or 0
    base = reg("gs_base") or 0   # struct percpu, whose first word is the struct cpu pointer
    if base == 0:
        return 0
    try:
        return read_u64(base)
    except gdb.MemoryError:
        return 0


def vcpus_by_cpu(a, cpus, size):
    """{cpus[] index: (gdb thread number, pc)} for every vCPU whose per-CPU register is set."""
    base = to_addr(cpus)
    result = {}
    selected = gdb.selected_thread()
    try:
        for thread in gdb.selected_inferior().threads():
            thread.switch()
            ptr = this_cpu_pointer(a)
            if base <= ptr < base + size * cpus.type.range()[1] + size:
                result[(ptr - base) // size] = (thread.num, reg("pc", "rip"))
    finally:
        if selected is not None and selected.is_valid():
            selected.switch()
    return result


class JanusCpus(gdb.Command):
    """Show each CPU's struct cpu (core/cpu.h).

Usage: janus-cpus [all]
One line per CPU: id, hwid (APIC id / MPIDR), online, ticks, lock_depth, stack_top, and the
gdb thread (QEMU vCPU) running it with its pc; then each spinlock it holds, by name, with
where it was taken. Slots never used are left out unless "all" is given."""

    def __init__(self):
        super().__init__("janus-cpus", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        a = arch()
        cpus = lookup_global("cpus")
        if cpus is None:
            raise gdb.GdbError("no symbol cpus: is the kernel's ELF loaded (file kernel.elf)?")
        count = cpus.type.range()[1] + 1
        size = cpus[0].type.sizeof
        online = lookup_global("ncpus_online")
        print(f"{count} CPU slots, ncpus_online = {int(online) if online is not None else '?'}")
        vcpus = vcpus_by_cpu(a, cpus, size)
        for i in range(count):
            c = cpus[i]
            if arg.strip() != "all" and i != 0 and not bool(c["online"]) and i not in vcpus \
                    and int(c["stack_top"]) == 0:
                continue
            print(self.line(i, c, vcpus.get(i)))
            for text in self.locks(c):
                print("    " + text)

    @staticmethod
    def line(i, c, vcpu):
        text = (f"cpu {i}: id {int(c['id'])} hwid 0x{int(c['hwid']):x} "
                f"online {'yes' if bool(c['online']) else 'no'} ticks {int(c['ticks'])} "
                f"lock_depth {int(c['lock_depth'])} stack_top 0x{int(c['stack_top']) & MASK64:x}")
        if has_field(c, "current"):    # core/sched.c: the thread running here
            text += f" current {thread_text(c['current'])}"
        if vcpu is not None:
            num, pc = vcpu
            text += f"  [gdb thread {num}, pc 0x{pc:x} in {describe(pc)}]"
        return text

    @staticmethod
    def locks(c):
        depth = int(c["lock_depth"])
        held = c["held"]
        limit = held.type.range()[1] + 1
        out = [] if depth else ["holds no spinlock"]
        for j in range(min(depth, limit)):
            lock, where = held[j]["lock"], int(held[j]["where"]) & MASK64
            try:
                name = lock["name"].string() if int(lock) else "(null)"
            except gdb.error:
                name = "?"
            out.append(f"holds \"{name}\" (0x{int(lock) & MASK64:x}), taken at 0x{where:x} "
                       f"in {describe(where, is_return=True)}")
        if depth > limit:
            out.append(f"... {depth - limit} more not recorded (HELD_LOCKS_MAX {limit})")
        return out


# ---- janus-pt --------------------------------------------------------------------------------

def rwx(r, w, x):
    return ("r" if r else "-") + ("w" if w else "-") + ("x" if x else "-")


def size_name(size):
    return {1 << 12: "4 KiB page", 1 << 21: "2 MiB block", 1 << 30: "1 GiB block",
            1 << 39: "512 GiB block"}.get(size, f"{size:#x}-byte block")


def walk_x86(va, root, phys):
    cr0, cr4 = must_reg("cr0"), must_reg("cr4")
    efer = reg("efer") or 0
    if not cr0 & (1 << 31):
        print(f"paging is off (CR0.PG clear): pa = va = 0x{va:x}")
        return
    levels = 5 if cr4 & (1 << 12) else 4
    top = 12 + 9 * levels
    if va >> (top - 1) not in (0, (1 << (65 - top)) - 1):
        print(f"0x{va:x} is not canonical ({top}-bit addresses): any access faults (#GP)")
        return
    names = ["PT", "PD", "PDPT", "PML4", "PML5"]
    nx_on = bool(efer & (1 << 11))
    w_all, u_all, nx_any = True, True, False
    table = root
    for level in range(levels, 0, -1):
        shift = 12 + 9 * (level - 1)
        index = (va >> shift) & 511
        e = phys.u64(table + index * 8)
        flags = [n for bit, n in ((0, "P"), (1, "W"), (2, "U"), (3, "PWT"), (4, "PCD"),
                                  (5, "A"), (6, "D"), (7, "PS"), (8, "G"), (9, "PROTNONE"),
                                  (63, "NX")) if e >> bit & 1]
        print(f"  {names[level - 1] + f'[{index}]':<10} @0x{table + index * 8:x} = "
              f"0x{e:016x}  {' '.join(flags) or '(empty)'}")
        if not e & 1:
            why = ("a no-access page (PTE_PROTNONE)" if e & (1 << 9) and level == 1 else
                   "not present")
            print(f"=> not mapped: {why} at level {names[level - 1]}")
            return
        w_all &= bool(e & 2)
        u_all &= bool(e & 4)
        nx_any |= nx_on and bool(e >> 63 & 1)
        leaf = level == 1 or (level in (2, 3) and e & 0x80)
        if leaf:
            size = 1 << shift
            pa = (e & 0x000ffffffffff000 & ~(size - 1)) | (va & (size - 1))
            wp = bool(cr0 & (1 << 16))
            kernel = rwx(True, w_all or not wp, not nx_any)
            user = rwx(u_all, u_all and w_all, u_all and not nx_any)
            extra = ["global" if e & 0x100 else "not global"]
            if e & 0x10:
                extra.append("uncached (PCD)")
            print(f"=> pa 0x{pa:x} ({size_name(size)}): kernel {kernel}, user {user}, "
                  f"{', '.join(extra)}")
            return
        table = e & 0x000ffffffffff000


MAIR_NAMES = {0x00: "Device-nGnRnE", 0x04: "Device-nGnRE", 0x08: "Device-nGRE",
              0x0c: "Device-GRE", 0x44: "Normal non-cacheable", 0xff: "Normal write-back",
              0xbb: "Normal write-through"}


def walk_aarch64(va, root, phys):
    sctlr = reg("SCTLR_EL1", "SCTLR")
    if sctlr is not None and not sctlr & 1:
        print(f"the MMU is off (SCTLR_EL1.M clear): pa = va = 0x{va:x}")
        return
    tcr = must_reg("TCR_EL1")
    upper = va >> 63 == 1
    tsz = (tcr >> (16 if upper else 0)) & 0x3f
    bits = 64 - tsz
    tg = (tcr >> (30 if upper else 14)) & 3
    if tg != (2 if upper else 0):
        raise gdb.GdbError(f"TCR_EL1 selects a granule other than 4 KiB for this half")
    if (upper and va >> bits != (1 << tsz) - 1) or (not upper and va >> bits != 0):
        print(f"0x{va:x} is outside both halves ({bits}-bit TTBR{int(upper)} range): any "
              f"access faults (translation fault, level 0)")
        return
    if tcr >> (23 if upper else 7) & 1:
        print(f"TTBR{int(upper)} walks are disabled (TCR_EL1.EPD{int(upper)}): any access "
              f"faults" + ("" if upper else " (no user address space active)"))
        return
    ttbr = f"TTBR{int(upper)}_EL1"
    if root is None:
        root = must_reg(ttbr) & 0x0000fffffffffffe
    start = 4 - (bits - 12 + 8) // 9     # levels needed for `bits` bits, 9 bits per level
    mair = reg("MAIR_EL1")
    print(f"  ({ttbr} table 0x{root:x}, {bits}-bit addresses, 4 KiB granule, "
          f"walk from level {start})")
    ap_table_no_el0 = ap_table_ro = pxn_table = uxn_table = False
    table = root
    for level in range(start, 4):
        shift = 39 - 9 * level
        index = (va >> shift) & ((1 << min(9, bits - shift)) - 1)
        e = phys.u64(table + index * 8)
        kind = e & 3
        if not e & 1:
            print(f"  L{level}[{index}] @0x{table + index * 8:x} = 0x{e:016x}  invalid")
            print(f"=> not mapped: translation fault, level {level}")
            return
        if kind == 3 and level < 3:
            attrs = [n for bit, n in ((59, "PXNTable"), (60, "UXNTable"),
                                      (61, "APTable[0]:no-EL0"), (62, "APTable[1]:read-only"))
                     if e >> bit & 1]
            print(f"  L{level}[{index}] @0x{table + index * 8:x} = 0x{e:016x}  table "
                  f"{' '.join(attrs)}".rstrip())
            pxn_table |= bool(e >> 59 & 1)
            uxn_table |= bool(e >> 60 & 1)
            ap_table_no_el0 |= bool(e >> 61 & 1)
            ap_table_ro |= bool(e >> 62 & 1)
            table = e & 0x0000fffffffff000
            continue
        if kind == 1 and level == 3 or kind == 1 and level == 0:
            print(f"  L{level}[{index}] @0x{table + index * 8:x} = 0x{e:016x}  reserved")
            print(f"=> not mapped: translation fault, level {level}")
            return
        attr_index = e >> 2 & 7
        memtype = f"AttrIndx {attr_index}"
        if mair is not None:
            byte = mair >> (8 * attr_index) & 0xff
            memtype = f"{MAIR_NAMES.get(byte, f'MAIR 0x{byte:02x}')} (AttrIndx {attr_index})"
        ap = e >> 6 & 3
        flags = [n for bit, n in ((6, "AP[1]:EL0"), (7, "AP[2]:read-only"), (10, "AF"),
                                  (11, "nG"), (52, "Contiguous"), (53, "PXN"), (54, "UXN"))
                 if e >> bit & 1]
        sh = ["non-shareable", "?", "outer-shareable", "inner-shareable"][e >> 8 & 3]
        print(f"  L{level}[{index}] @0x{table + index * 8:x} = 0x{e:016x}  "
              f"{'page' if level == 3 else 'block'} {' '.join(flags)} {sh}")
        size = 1 << shift
        pa = (e & 0x0000fffffffff000 & ~(size - 1)) | (va & (size - 1))
        el0 = bool(ap & 1) and not ap_table_no_el0
        ro = bool(ap & 2) or ap_table_ro
        el0_write = el0 and not ro
        wxn = sctlr is not None and bool(sctlr >> 19 & 1)
        el1_x = not (e >> 53 & 1) and not pxn_table and not el0_write and not (wxn and not ro)
        el0_x = el0 and not (e >> 54 & 1) and not uxn_table and not (wxn and not ro)
        extra = ["global" if not e >> 11 & 1 else "nG (ASID-tagged)", memtype]
        if not e >> 10 & 1:
            extra.append("AF clear: the first access faults")
        print(f"=> pa 0x{pa:x} ({size_name(size)}): EL1 {rwx(True, not ro, el1_x)}, "
              f"EL0 {rwx(el0, el0_write, el0_x)}, {', '.join(extra)}")
        return


class JanusPt(gdb.Command):
    """Walk the active page tables for a virtual address.

Usage: janus-pt ADDR [--root PA]
ADDR is any gdb expression: janus-pt kmain, janus-pt $sp, janus-pt 0xffff800000100000.
x86_64: from CR3 (4- or 5-level paging); aarch64: from TTBR1_EL1 for the kernel half and
TTBR0_EL1 for the user half, with TCR_EL1's sizes. Each level's entry is printed with its
index, physical address and decoded bits, then the physical address, the page or block size
and the effective permissions (all levels combined: x86 W/U/NX, arm APTable/PXNTable/UXNTable
with AP/PXN/UXN) for the kernel and for user mode. --root walks another table instead (a
PML4, or the level-0 table of the address's half): an address space that is not active."""

    def __init__(self):
        super().__init__("janus-pt", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        root = None
        if "--root" in argv:
            i = argv.index("--root")
            if i + 1 >= len(argv):
                raise gdb.GdbError("--root needs a physical address")
            root = eval_addr(argv[i + 1])
            del argv[i:i + 2]
        if not argv:
            raise gdb.GdbError("usage: janus-pt ADDR [--root PA]")
        va = eval_addr(" ".join(argv))
        a = arch()
        with PhysReader() as phys:
            if a == "x86_64":
                if root is None:
                    root = must_reg("cr3") & 0x000ffffffffff000
                print(f"janus-pt 0x{va:x}: x86_64, PML4 0x{root:x}, tables read by {phys.how}")
                walk_x86(va, root, phys)
            else:
                print(f"janus-pt 0x{va:x}: aarch64, tables read by {phys.how}")
                walk_aarch64(va, root, phys)


# ---- janus-bt --------------------------------------------------------------------------------

def trapframe_type():
    try:
        return gdb.lookup_type("struct trapframe")
    except gdb.error:
        raise gdb.GdbError("no struct trapframe in the kernel's debug information")


def field_offset(t, name):
    for f in t.fields():
        if f.name == name:
            return f.bitpos // 8
    raise gdb.GdbError(f"struct trapframe has no field {name}")


class Trap:
    """What a struct trapframe says about the interrupted context."""

    def __init__(self, a, addr):
        tf = gdb.Value(addr).cast(trapframe_type().pointer()).dereference()
        self.addr = addr
        if a == "x86_64":
            self.pc, self.fp = int(tf["rip"]) & MASK64, int(tf["rbp"]) & MASK64
            self.sp, self.lr = int(tf["rsp"]) & MASK64, None
            self.user = int(tf["cs"]) & 3 == 3
            self.what = f"vector {int(tf['vector'])} error 0x{int(tf['error']) & MASK64:x}"
        else:
            self.pc, self.fp = int(tf["elr"]) & MASK64, int(tf["x"][29]) & MASK64
            self.sp, self.lr = int(tf["sp"]) & MASK64, int(tf["x"][30]) & MASK64
            self.user = int(tf["spsr"]) & 0xf == 0
            self.what = (f"ESR 0x{int(tf['esr']) & MASK64:x} FAR "
                         f"0x{int(tf['far']) & MASK64:x}")


def trap_below(a, fp, next_fp):
    """The trapframe address for a frame record at fp whose return address is in a trap
    entry routine (next_fp is the record's saved frame pointer)."""
    if a == "x86_64":
        return fp + 16
    return next_fp - field_offset(trapframe_type(), "frame")


def entry_return(a, pc, sp, lr):
    """The return address of a function stopped before its prologue has pushed its frame
    record (at its first instruction, or x86's second after `push %rbp`), else None: the frame
    pointer still points at the caller's caller then, so the walk would skip the caller."""
    msym = minimal_symbol(pc)
    if msym is None or sp is None:
        return None
    offset = int(msym.split("+")[1]) if "+" in msym else 0
    try:
        if a == "aarch64":
            return lr if offset == 0 and lr else None
        if offset == 0:
            return read_u64(sp)
        if offset == 1 and bytes(gdb.selected_inferior().read_memory(pc - 1, 1)) == b"\x55":
            return read_u64(sp + 8)
    except gdb.MemoryError:
        pass
    return None


def frame_walk(a, pc, fp, emit, sp=None, lr=None):
    """Walk {previous frame pointer, return address} records from fp, as backtrace_print in
    core/panic.c does, crossing trap frames; emit(n, addr, is_return) per frame and
    emit(None, text, None) for a note. sp and lr (aarch64) of the context, when known, find
    the caller of a function stopped at its entry. The walk stops at a null or misaligned
    frame pointer, a zero return address, a frame that does not move up the stack, an
    unreadable frame or after BACKTRACE_MAX frames."""
    n = 0
    if pc:
        emit(n, pc, False)
        n += 1
        ret = entry_return(a, pc, sp, lr)
        if ret:
            emit(n, ret, True)
            n += 1
    while fp and n < BACKTRACE_MAX:
        if fp % 8:
            return emit(None, f"stop: misaligned frame pointer 0x{fp:x}", None)
        try:
            next_fp, ret = read_u64(fp), read_u64(fp + 8)
        except gdb.MemoryError:
            return emit(None, f"stop: cannot read the frame at 0x{fp:x}", None)
        if ret == 0:
            return
        emit(n, ret, True)
        n += 1
        if symbol_name(ret - 1) in TRAP_ENTRIES:
            trap = Trap(a, trap_below(a, fp, next_fp))
            emit(None, f"--- trap ({trap.what}) from {'user' if trap.user else 'kernel'} "
                       f"mode, struct trapframe at 0x{trap.addr:x} ---", None)
            emit(n, trap.pc, False)
            n += 1
            ret = entry_return(a, trap.pc, trap.sp, trap.lr)
            if ret:
                emit(n, ret, True)
                n += 1
            fp = trap.fp
            continue
        if next_fp <= fp:
            return
        fp = next_fp


class JanusBt(gdb.Command):
    """Kernel backtrace by frame pointers, symbolized.

Usage: janus-bt [PC FP]  |  janus-bt --tf TRAPFRAME
Walks the frame records ({previous frame pointer, return address}; rbp on x86_64, x29 on
aarch64) from the selected CPU's registers, or from the given PC and FP, exactly as a panic's
backtrace does (core/panic.c), and names each frame "func at file:line". A return address in a
trap entry routine means a struct trapframe follows: the walk prints the trap and goes on in
the interrupted context, kernel or user (user frames are read through the current page tables
and are symbolized once the program's symbols are loaded with add-symbol-file). --tf starts
from a struct trapframe, e.g. one a panic printed. Unlike gdb's `bt`, this needs no unwind
information, so it also works in assembly and in frames gdb's unwinder gives up on."""

    def __init__(self):
        super().__init__("janus-bt", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        a = arch()
        argv = gdb.string_to_argv(arg)
        sp = lr = None
        if argv[:1] == ["--tf"] and len(argv) == 2:
            trap = Trap(a, eval_addr(argv[1]))
            print(f"trap ({trap.what}) from {'user' if trap.user else 'kernel'} mode")
            pc, fp, sp, lr = trap.pc, trap.fp, trap.sp, trap.lr
        elif len(argv) == 2:
            pc, fp = eval_addr(argv[0]), eval_addr(argv[1])
        elif not argv:
            pc, sp = must_reg("pc", "rip"), must_reg("sp", "rsp")
            fp = must_reg("rbp") if a == "x86_64" else must_reg("x29")
            lr = reg("x30")
        else:
            raise gdb.GdbError("usage: janus-bt [PC FP] | janus-bt --tf TRAPFRAME")

        def emit(n, what, is_return):
            if n is None:
                print("  " + what)
            else:
                print(f"  #{n} 0x{what:016x} in {describe(what, is_return)}")

        print(f"backtrace (pc 0x{pc:x}, frame pointer 0x{fp:x}):")
        frame_walk(a, pc, fp, emit, sp, lr)


# ---- janus-threads and janus-ps ----------------------------------------------------------------
#
# Not there yet: the kernel has no threads or processes before the processes issue. Both
# commands look their table up by symbol each time they run, so they start working on their
# own once it exists, in this expected shape (anything else is printed field by field):
#
#   thread_list: either an array of struct thread (or of pointers to it: a slot is in use when
#                non-NULL), or a pointer to the first struct thread, the list linked through
#                a pointer field `all_next` (or `next`, or `list_next`) and ended by NULL or by
#                coming back to the first. A struct slot of an array is in use when its field
#                `in_use` (or `used`) is true; without one, when its `state` is not an
#                enumerator named *UNUSED or *FREE (or, not an enum, is non-zero); without
#                either, always.
#   proc_table:  the same for struct proc.
#   Fields shown when present, in this order (others are left out): thread: id or tid, state,
#   name, cpu, on_cpu, proc (its pid); proc: pid, ppid, parent (its pid), state, name or comm,
#   nthreads. `state` prints as its enumerator name when it is an enum. struct cpu's field
#   `current` (the running thread, core/sched.c) is shown by janus-cpus and marked here.

THREAD_FIELDS = ("id", "tid", "state", "name", "cpu", "on_cpu", "proc")
PROC_FIELDS = ("pid", "ppid", "parent", "state", "name", "comm", "nthreads")
LIST_LINKS = ("all_next", "next", "list_next")
UNUSED_STATES = ("UNUSED", "FREE")


def table_entries(value):
    """The in-use entries (struct values) of an array or linked list, as described above."""
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY:
        for i in range(t.range()[1] + 1):
            e = value[i]
            if e.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
                if int(e):
                    yield e.dereference()
            elif slot_in_use(e):
                yield e
        return
    if t.code != gdb.TYPE_CODE_PTR:
        raise gdb.GdbError(f"unexpected type {value.type}: see the comment in tools/gdb/janus.py")
    first, p, seen = int(value), value, 0
    while int(p) and seen < 100000:
        e = p.dereference()
        yield e
        seen += 1
        link = next((f for f in LIST_LINKS if has_field(e, f)), None)
        if link is None:
            return
        p = e[link]
        if int(p) == first:
            return


def slot_in_use(e):
    for flag in ("in_use", "used"):
        if has_field(e, flag):
            return bool(e[flag])
    if not has_field(e, "state"):
        return True
    state = e["state"]
    if state.type.strip_typedefs().code == gdb.TYPE_CODE_ENUM:
        return not str(state).endswith(UNUSED_STATES)
    return int(state) != 0


def thread_text(ptr):
    """A struct thread pointer as 0xADDR "name" (or just the address)."""
    if not int(ptr):
        return "none"
    text = f"0x{int(ptr) & MASK64:x}"
    try:
        t = ptr.dereference()
        if has_field(t, "name"):
            text += f" {field_text(t, 'name').split('=', 1)[1]}"
    except gdb.error:
        pass
    return text


def field_text(e, name):
    v = e[name]
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY and t.target().sizeof == 1:
        return f"{name}={v.string(length=t.sizeof).split(chr(0))[0]!r}"
    if t.code == gdb.TYPE_CODE_PTR and name in ("proc", "parent"):
        target = v.dereference() if int(v) else None
        pid = int(target["pid"]) if target is not None and has_field(target, "pid") else None
        return f"{name}={'-' if target is None else pid if pid is not None else hex(int(v))}"
    return f"{name}={v}"


def list_table(symbol, fields, what, current=()):
    value = lookup_global(symbol)
    if value is None:
        print(f"no {what} yet (processes issue): the kernel has no `{symbol}` symbol")
        return
    count = 0
    for e in table_entries(value):
        shown = [f for f in fields if has_field(e, f)]
        text = " ".join(field_text(e, f) for f in shown) if shown else str(e)
        mark = "*" if e.address is not None and int(e.address) in current else " "
        print(f"{mark} 0x{int(e.address) & MASK64 if e.address is not None else 0:x}  {text}")
        count += 1
    print(f"{count} {what}" + (" (* running on a CPU)" if current else ""))


def running_threads():
    cpus = lookup_global("cpus")
    if cpus is None or not has_field(cpus[0], "current"):
        return set()
    return {int(cpus[i]["current"]) & MASK64 for i in range(cpus.type.range()[1] + 1)
            if int(cpus[i]["current"])}


class JanusThreads(gdb.Command):
    """List the kernel's threads (from `thread_list`; see tools/gdb/janus.py for the shape).

Usage: janus-threads
Until the processes issue adds threads this says so."""

    def __init__(self):
        super().__init__("janus-threads", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        list_table("thread_list", THREAD_FIELDS, "threads", running_threads())


class JanusPs(gdb.Command):
    """List the processes (from `proc_table`; see tools/gdb/janus.py for the shape).

Usage: janus-ps
Until the processes issue adds processes this says so."""

    def __init__(self):
        super().__init__("janus-ps", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        list_table("proc_table", PROC_FIELDS, "processes")


JanusCpus()
JanusPt()
JanusBt()
JanusThreads()
JanusPs()
print("Janus helpers: janus-cpus, janus-pt ADDR, janus-bt [PC FP], janus-threads, janus-ps "
      "(help <command>)")
