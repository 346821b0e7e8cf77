/*
 * arch/arch.h: the one interface between the portable kernel (core/, fs/, drivers/) and a port.
 *
 * Every function a port must provide is declared here, grouped by role, with its contract in
 * the manner of NetBSD's section-9 pages: preconditions, what it must not do, what it returns.
 * The portable code includes this header and nothing else from arch/. The build puts exactly
 * one port's folder (arch/x86_64 or arch/aarch64) on the include path; the last line of this
 * file pulls in that port's arch_inline.h, which supplies the bodies of the small hot-path
 * functions declared `static inline` below. No #ifdef on an architecture name appears here or
 * in portable code: the build picks the arch.
 *
 * Hooks marked [later] are declared now so the interface has its final shape; they are
 * implemented by the issue that first needs them (memory, processes, signals). A missing hook
 * fails the link; there are no weak defaults.
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot_info.h"

/* ---- Boot --------------------------------------------------------------------------------- */

/* The port's entry code calls this once on the boot CPU, with the MMU set up as the port needs,
 * a valid stack, .bss zeroed and interrupts masked. Defined in core/main.c. Never returns. */
_Noreturn void kmain(const struct boot_info *bi);

/* Name of the architecture as uname(2) reports it: "x86_64" or "aarch64". */
extern const char arch_name[];

/* ---- Console (polled; usable before interrupts and from panic) ---------------------------- */

/* Write one byte to the boot console, waiting for room. Translates nothing ('\n' is sent as
 * is; core adds '\r'). Callable with interrupts masked and from any CPU; the caller (core's
 * console lock) serialises. */
void arch_console_putc(char c);

/* Return the next received byte, or -1 if none is waiting. Never blocks. */
int arch_console_getc(void);

/* ---- Power -------------------------------------------------------------------------------- */

/* Power the machine off so that QEMU exits with `status` (0..127). x86_64: ACPI S5 for 0,
 * isa-debug-exit otherwise (QEMU's rc is 2*status+1; the runner maps it back). aarch64: PSCI
 * SYSTEM_OFF for 0, semihosting SYS_EXIT_EXTENDED otherwise. Never returns; if the device is
 * absent it halts the CPU forever. */
_Noreturn void arch_power_off(int status);

/* Stop this CPU for good (interrupts masked, wait-for-interrupt loop). */
_Noreturn void arch_halt(void);

/* ---- CPU and interrupt state (inline: bodies in arch_inline.h) ------------------------------ */

/* Mask interrupts on this CPU and return the previous state for arch_irq_restore. */
static inline unsigned long arch_irq_save(void);
/* Restore the state returned by arch_irq_save (re-enables only if it was enabled). */
static inline void arch_irq_restore(unsigned long state);
static inline void arch_irq_enable(void);
static inline void arch_irq_disable(void);
static inline bool arch_irq_enabled(void);

/* Index of the running CPU, 0..ncpus-1 (0 on the boot CPU). Stable while interrupts are off. */
static inline unsigned arch_cpu_id(void);

/* A free-running cycle/tick counter (TSC; CNTVCT_EL0). Monotonic on one CPU, not calibrated:
 * use core's clock for time. */
static inline uint64_t arch_cycle_count(void);

/* Hint to the CPU that we are spinning (pause; yield). */
static inline void arch_cpu_relax(void);

/* Wait for an interrupt (hlt; wfi). Returns after the next interrupt or event. */
static inline void arch_wait_for_interrupt(void);

/* Frame pointer of the caller's frame. Frames on both ports are laid out as
 * { previous frame pointer, return address }, so core walks them portably. */
static inline uintptr_t arch_frame_pointer(void);

/* ---- Traps ---------------------------------------------------------------------------------
 * One path into core for synchronous exceptions: the port saves a struct trapframe, fills a
 * struct trap_info (core/trap.h) describing the exception by role, and calls core's
 * trap_handle(tf, &info). Interrupts go to irq_dispatch/timer_tick instead.
 * -------------------------------------------------------------------------------------------- */

/* The per-port register snapshot saved on exception entry. Opaque to core; read by role. */
struct trapframe;

uintptr_t arch_tf_pc(const struct trapframe *tf);
uintptr_t arch_tf_sp(const struct trapframe *tf);
uintptr_t arch_tf_fp(const struct trapframe *tf);
/* True if the exception came from user mode. */
bool arch_tf_from_user(const struct trapframe *tf);

/* Print every register of the trapframe through kprintf (used by panic). */
void arch_tf_dump(const struct trapframe *tf);

/* Install this CPU's exception vectors. Called once per CPU early in boot. */
void arch_traps_init(void);

/* ---- Interrupt controller ------------------------------------------------------------------
 * Device interrupts are named by their platform number: the IOAPIC GSI on x86_64, the GIC INTID
 * on aarch64, as boot_info and the PCI code report them, or an MSI's number from
 * arch_msi_alloc (below). On an interrupt the port
 * acknowledges the controller, calls core's irq_dispatch(irq) (core/irq.h) with interrupts
 * masked, then signals end-of-interrupt; its timer interrupt calls core's timer_tick() instead.
 * -------------------------------------------------------------------------------------------- */

enum { IRQ_EDGE = 0, IRQ_LEVEL = 1, IRQ_ACTIVE_LOW = 2 };

/* Bring up the interrupt controller for the boot CPU (x86_64: mask both 8259s, enable the
 * LAPIC, program the IOAPIC; aarch64: GICv3 distributor, this CPU's redistributor and system
 * register interface). Every device interrupt starts masked. Interrupts stay disabled on the
 * CPU: kmain enables them once handlers are in place. */
void arch_irq_init(const struct boot_info *bi);

/* Route device interrupt `irq` to the boot CPU with the given IRQ_* trigger flags and unmask
 * it. 0, or -EINVAL if the controller has no such input (for an MSI: not allocated, or flags
 * other than IRQ_EDGE). Masking an MSI here may lose a message that arrives meanwhile (it is
 * for silencing an interrupt nobody handles); a driver that must hold its interrupts back
 * masks the vector in the device's MSI-X table, which keeps them pending. */
int arch_irq_unmask(unsigned irq, unsigned flags);
void arch_irq_mask(unsigned irq);

/* Where PCI INTx pin `pin` (1-4 = INTA-INTD) of function bus:dev.fn on the host bridge's root
 * bus arrives: 0 with *irq (the platform number, for irq_register) and *flags (IRQ_* trigger
 * and polarity), -ENOENT if the platform routes it nowhere, -EINVAL for a pin outside 1-4.
 * drivers/pci.c has already applied the PCI-to-PCI bridge swizzle for a function behind
 * bridges, so bus:dev.fn is the root-bus device the interrupt reaches. The port decides from
 * its firmware's description (x86_64: q35's ACPI _PRT, as measured; aarch64: the DTB's
 * interrupt-map of the ECAM host bridge). Any context; reads firmware data only. */
int arch_pci_intx(unsigned bus, unsigned dev, unsigned fn, unsigned pin, unsigned *irq,
		  unsigned *flags);

/* Make the console UART raise its interrupt (bi->uart_irq) when a byte arrives. The handler
 * core registers drains arch_console_getc() until it returns -1, which also clears the UART's
 * interrupt condition. */
void arch_console_rx_irq_enable(void);

/* ---- Message-signalled interrupts ----------------------------------------------------------
 * A PCI function using MSI-X raises an interrupt by writing a 32-bit `data` to the physical
 * address `addr`. The port decides what such a write becomes and names the result with a
 * platform interrupt number of its own: below IRQ_MAX (core/irq.h), never equal to a GSI/INTID
 * that arch_pci_intx or boot_info can return, always edge-triggered. core's irq_register,
 * irq_dispatch and irq_count then serve it like any other, and arch_irq_unmask/arch_irq_mask
 * work on it (the device's own MSI-X mask bits are drivers/pci.c's business). x86_64: a free
 * IDT vector; the message is a write to the boot CPU's local APIC. aarch64: an LPI that the
 * GIC ITS maps from (DeviceID = requester id through the host bridge's msi-map, EventID) to
 * the boot CPU's redistributor; the message is the EventID written to GITS_TRANSLATER. Every
 * MSI is delivered to the boot CPU, like the INTx lines.
 * -------------------------------------------------------------------------------------------- */

/* Allocate one MSI for the PCI function with requester id rid (bus << 8 | dev << 3 | fn on
 * the host bridge boot_info describes): 0 with *irq (for irq_register, flags IRQ_EDGE) and the
 * *addr and *data the function must write. The interrupt starts masked; irq_register unmasks
 * it. -ENODEV if the platform takes no MSIs from that function (aarch64: no usable ITS, or no
 * msi-map entry covers rid), -ENOSPC when vectors or events run out, -ENOMEM. Thread context
 * (it may allocate memory and wait for the interrupt controller); interrupts enabled or not. */
int arch_msi_alloc(unsigned rid, unsigned *irq, uint64_t *addr, uint32_t *data);

/* Give back an MSI from arch_msi_alloc that has no handler registered (the driver fell back
 * to INTx): masked, unmapped, its number free for reuse. An irq that arch_msi_alloc did not
 * return is ignored. Thread context. */
void arch_msi_free(unsigned irq);

/* ---- Time ------------------------------------------------------------------------------------ */

/* Frequency in Hz of arch_cycle_count()'s counter: CNTFRQ_EL0 on aarch64, the TSC calibrated
 * against the ACPI PM timer on x86_64. Constant after arch_time_init. */
uint64_t arch_counter_freq(void);

/* Calibrate what needs calibrating (x86_64: TSC and LAPIC timer). Boot CPU, before
 * arch_timer_start. */
void arch_time_init(const struct boot_info *bi);

/* Start this CPU's periodic timer interrupt at hz; each interrupt calls timer_tick(). */
void arch_timer_start(unsigned hz);

/* Wall-clock time from the RTC (CMOS on x86_64, PL031 on aarch64), in seconds since the Unix
 * epoch; whole seconds only. */
uint64_t arch_rtc_seconds(void);

/* ---- MMU -------------------------------------------------------------------------------------
 * Page-table formats and walks stay in the port; what is mapped where is core policy
 * (core/layout.h). Page-table pages come from core's frame allocator (alloc_page/free_page,
 * core/pmm.h) and are reached through phys_to_virt(). prot is a mask of MMU_* bits; ranges are
 * page-aligned (4 KiB pages; the port may use larger blocks only inside arch_mmu_init's direct
 * map). Every call that removes or weakens a mapping invalidates the TLB for it on this CPU
 * and, once other CPUs run, on every CPU.
 * -------------------------------------------------------------------------------------------- */
enum { MMU_READ = 1, MMU_WRITE = 2, MMU_EXEC = 4, MMU_USER = 8, MMU_DEVICE = 16 };
struct arch_aspace;

/* Boot CPU, after pmm_boot_init: build the final kernel page tables and switch to them:
 * the direct map of every bi->mem range (read-write, not executable), the kernel image with
 * section permissions (text R+X, rodata R, data/bss R+W; nothing both writable and
 * executable), the port's private device windows, an unmapped guard page below the boot stack,
 * and the kernel half's top-level tables preallocated so every address space shares them. The
 * user half is left empty. Early tables that are no longer needed may be freed. */
void arch_mmu_init(const struct boot_info *bi);

/* The kernel's own address space (kernel half only); pass it to map kernel addresses. */
struct arch_aspace *arch_kernel_aspace(void);

/* New address space: empty user half, kernel half shared with every other. NULL when out of
 * memory. */
struct arch_aspace *arch_aspace_create(void);
/* Free the page-table pages of the user half (not the frames they map). Must not be active on
 * any CPU. */
void arch_aspace_destroy(struct arch_aspace *as);
/* Make `as` this CPU's user address space. Interrupts off or preemption disabled. */
void arch_aspace_activate(struct arch_aspace *as);
/* Map [va, va+len) to [pa, pa+len). 0, -ENOMEM (no table page; nothing of the range stays
 * mapped), -EEXIST (a page is already mapped; nothing changed), -EINVAL (unaligned, or the
 * range crosses the user/kernel split, or MMU_USER on a kernel address). */
int arch_mmu_map(struct arch_aspace *as, uintptr_t va, uint64_t pa, size_t len, unsigned prot);
/* Unmap; pages that were not mapped are skipped. 0, -EINVAL, or -ENOMEM when a larger
 * direct-map block must be split and no table page is left (nothing changed). A zero length
 * is a successful no-op for map, unmap and protect alike. In the user half, every page-table
 * page below the top level that the range reaches and leaves with no entry is freed, after
 * the TLB flush (core/pt_free.h); the top level and the kernel half's tables never are. */
int arch_mmu_unmap(struct arch_aspace *as, uintptr_t va, size_t len);
/* Change protection of mapped pages; -ENOENT if a page in the range is not mapped, -ENOMEM as
 * for unmap (nothing changed in either case). */
int arch_mmu_protect(struct arch_aspace *as, uintptr_t va, size_t len, unsigned prot);
/* Point the one mapped page at va to the frame pa with prot, in one step (copy-on-write):
 * 0, -ENOENT (va is not mapped by a page; nothing changed) or -EINVAL (as for map). It needs
 * no table page, so it never fails for lack of memory, where unmap + map could: unmap may
 * free the tables map then needs. The old translation is flushed everywhere on return. */
int arch_mmu_replace(struct arch_aspace *as, uintptr_t va, uint64_t pa, unsigned prot);
/* Translate one address: 0 and *pa (of that byte), *prot filled, or -ENOENT. */
int arch_mmu_query(struct arch_aspace *as, uintptr_t va, uint64_t *pa, unsigned *prot);
/* The first mapped page at or above *va (page-aligned) and below end: 0 with *va moved there
 * and *pa, *prot as arch_mmu_query gives them (either may be NULL); -ENOENT with *va = end if
 * there is none. One walk under one lock that skips whole missing tables: what a loop over
 * a sparse region (fork, unmap, reprotect) uses instead of a query per page. */
int arch_mmu_next(struct arch_aspace *as, uintptr_t *va, uintptr_t end, uint64_t *pa,
		  unsigned *prot);

/* Switch this CPU to the stack ending at stack_top and call fn(arg) there with a fresh root
 * frame (null frame pointer); fn must not return. Used by kmain to leave the boot stack for a
 * guarded core-allocated one, and by secondary CPUs. */
_Noreturn void arch_switch_stack(uintptr_t stack_top, void (*fn)(void *), void *arg);

/* ---- Context switch (arch/<arch>/context.S) -------------------------------------------------
 * Kernel threads (core/sched.c) are switched by swapping stacks. Only what the C ABI makes
 * callee-saved is kept, on the old thread's own stack (x86_64: rbx, rbp, r12-r15; aarch64:
 * x19-x28, x29, x30); the kernel uses no FP/SIMD registers. Interrupt state is not part of
 * it: core switches with the scheduler lock held (interrupts masked), and each thread gets
 * its own state back when it releases that lock. Per-thread port state for user mode (x86_64
 * TSS.rsp0 and FS base, aarch64 TPIDR_EL0, FP/SIMD) will be switched at the spot context.S
 * marks, through a hook core calls with the next thread; nothing needs one yet.
 * -------------------------------------------------------------------------------------------- */

/* Save the callee-saved registers on the current stack, store the stack pointer in *old_sp
 * and resume the thread whose saved stack pointer is new_sp: it returns from its own earlier
 * call of arch_context_switch, or starts (arch_thread_stack_init). Interrupts masked. The
 * scheduler lock is held across it and released by the thread that resumes: the one lock
 * allowed to cross a switch (documented in core/sched.c). Returns when some CPU, not
 * necessarily this one, switches back to the caller. */
void arch_context_switch(uintptr_t *old_sp, uintptr_t new_sp);

/* Write, just below stack_top, the saved frame of a thread that has never run, so that the
 * first arch_context_switch to it enters a port trampoline that calls core's
 * sched_thread_start() (which releases the scheduler lock and enables interrupts) and then
 * entry(arg) on a root frame (null frame pointer). entry must not return. Touches only the
 * new stack. Returns the stack pointer to pass as new_sp. */
uintptr_t arch_thread_stack_init(void *stack_top, void (*entry)(void *), void *arg);

/* ---- Per-CPU data and SMP ----------------------------------------------------------------- */

struct cpu; /* core/cpu.h */

/* Point this CPU's per-CPU register (x86_64: GS base; aarch64: TPIDR_EL1) at c. The port's
 * boot code calls it with &cpus[0] before anything can print; core calls it on each secondary.
 * arch_this_cpu() (inline) reads it back. */
void arch_set_this_cpu(struct cpu *c);
static inline struct cpu *arch_this_cpu(void);

/* Start the CPU with firmware id hwid (APIC id / MPIDR) so that it runs entry(arg) on the
 * given stack, at the kernel's privilege, with the kernel page tables active, interrupts
 * masked and .bss visible. 0 if the CPU was started (it may not have reached entry yet),
 * negative errno otherwise. Boot CPU only, one at a time. */
int arch_cpu_start(uint64_t hwid, uintptr_t stack_top, void (*entry)(void *), void *arg);

/* On a just-started secondary CPU, called first by core's entry: install this CPU's exception
 * vectors, its interrupt controller interface and anything else per-CPU the port keeps. */
void arch_cpu_init_secondary(void);

/* ---- User mode (arch/<arch>/user.c, user_entry.S, uaccess.S, syscall_abi.c) --------------
 * A thread that runs user code keeps its user registers in a struct trapframe at the very top
 * of its kernel stack (arch_user_tf). Every entry from user mode (syscall instruction,
 * exception, interrupt) saves them there; every return to user mode restores them from there.
 * The port's syscall entry only marshals: it saves the frame and calls core's
 * syscall_handle(tf) (core/syscall.h). Its exception entry calls trap_handle (user faults
 * included), its interrupt entry irq_dispatch/timer_tick and sched_preempt_check. On every
 * path back to user mode, as the last step before restoring the frame, with interrupts
 * masked, the port calls core's user_return(tf) (core/proc.h), which does pending work
 * (reschedule, signals, exit) and asserts that no spinlock is held.
 * -------------------------------------------------------------------------------------------- */

/* Per-thread port state for user mode, defined by the port in arch_thread.h and embedded in
 * struct thread as t->arch: x86_64 FS base and the FP/SIMD save area; aarch64 TPIDR_EL0 and
 * the FP/SIMD registers. Zero-initialised with the thread. */
struct arch_thread;
struct thread;

/* Prepare t (not running) for user code: default FP/SIMD control state (x86_64 FCW 0x37f,
 * MXCSR 0x1f80; aarch64 FPCR 0), every FP/SIMD register zero, TLS 0. May allocate: 0 or
 * -ENOMEM. Thread context. */
int arch_thread_user_init(struct thread *t);
/* fork/clone: give child (already arch_thread_user_init'd, not running) the running thread's
 * current FP/SIMD registers and TLS register. */
void arch_thread_fork(struct thread *child);
/* exec: reset the running thread's FP/SIMD state and TLS to the arch_thread_user_init
 * defaults, so nothing of the old image leaks into the new one. */
void arch_thread_exec_reset(void);
/* Free what arch_thread_user_init allocated (t no longer runs). Safe on a zeroed arch_thread. */
void arch_thread_release(struct thread *t);
/* Set t's thread pointer (x86_64 FS base; aarch64 TPIDR_EL0): t is the running thread (it
 * takes effect at once) or has not run yet. */
void arch_thread_set_tls(struct thread *t, uintptr_t tls);
uintptr_t arch_thread_get_tls(const struct thread *t);
/* Scheduler hook, called by core (sched_lock held, interrupts masked) right before
 * arch_context_switch from prev to next on this CPU: save prev's user state that lives in
 * registers (FP/SIMD, TLS) if prev->proc, load next's if next->proc, and point the entry
 * stack for traps from user mode (x86_64 TSS.rsp0 and the syscall stack) at next->stack_top.
 * Kernel threads (proc == NULL) have no user state. Must not sleep or take locks. */
void arch_thread_switch(struct thread *prev, struct thread *next);

/* Where the user trapframe of the thread whose kernel stack ends at stack_top lives. */
struct trapframe *arch_user_tf(uintptr_t stack_top);
/* Fill *tf for the first user instruction at pc with stack pointer sp: user mode, interrupts
 * enabled, default flags, every other register zero. */
void arch_tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp);
/* Copy a whole user trapframe (fork/clone). */
void arch_tf_copy(struct trapframe *dst, const struct trapframe *src);
/* Enter user mode with the registers in tf, which is arch_user_tf of the running thread's
 * kernel stack; the kernel stack is reset to that point. Interrupts masked, user_return
 * already called, no spinlock held. Never returns. */
_Noreturn void arch_enter_user(struct trapframe *tf);

/* The syscall register ABI, by role. nr: x86_64 rax (as on entry), aarch64 x8. Argument i
 * (0-5): x86_64 rdi rsi rdx r10 r8 r9; aarch64 x0-x5, with x0 as it was on entry even after
 * arch_tf_set_return. The return value goes to rax / x0. */
unsigned long arch_tf_syscall_nr(const struct trapframe *tf);
unsigned long arch_tf_arg(const struct trapframe *tf, unsigned i);
/* The number and all six arguments at once (syscall_handle's fast path: one call, not seven). */
unsigned long arch_tf_syscall_args(const struct trapframe *tf, unsigned long a[6]);
void arch_tf_set_return(struct trapframe *tf, unsigned long value);
void arch_tf_set_pc(struct trapframe *tf, uintptr_t pc);
void arch_tf_set_sp(struct trapframe *tf, uintptr_t sp);
/* Make the syscall that entered with tf run again on return to user mode: the PC goes back
 * over the syscall instruction and the number/first-argument register gets its entry value
 * (x86_64 rax = nr; aarch64 x0 = original x0). Used by core for syscall restart. */
void arch_tf_restart_syscall(struct trapframe *tf);

/* The signal-return trampoline for handlers installed without SA_RESTORER, as Linux arm64's
 * vDSO provides one (glibc relies on it; musl always sets SA_RESTORER): write its machine code
 * (at most 64 bytes) into buf and return its length, or 0 if the port's ABI requires
 * SA_RESTORER (x86_64). exec maps it read+execute at MM_SIGTRAMP (core/mm.h). */
size_t arch_sigtramp_code(void *buf);

/* The return-value register (rax / x0) as it is in tf. */
unsigned long arch_tf_get_return(const struct trapframe *tf);

/* ---- Signal frames [signals issue] (arch/<arch>/signal.c) -----------------------------------
 * Linux's rt_sigframe for the port: x86_64 { restorer return address, ucontext (uc_flags,
 * uc_link, uc_stack, mcontext with the general registers, err, trapno, oldmask, cr2, fpstate
 * pointer, uc_sigmask), siginfo, the XSAVE/FXSAVE image }; aarch64 { siginfo, ucontext with
 * sigcontext (x0-x30, sp, pc, pstate, fault_address) and its __reserved records
 * (fpsimd_context, end marker) }. Core decides which signal, which stack and which mask;
 * the port only lays out and reads back the frame.
 * -------------------------------------------------------------------------------------------- */
struct sigframe_info {
	int sig;
	const void *siginfo;      /* 128 bytes, Linux's siginfo_t as core filled it */
	uintptr_t handler;        /* where the handler starts */
	uintptr_t restorer;       /* sa_restorer (SA_RESTORER): the handler's return address */
	uint64_t mask;            /* the mask to restore at sigreturn (uc_sigmask) */
	uintptr_t sp;             /* top of the stack to build on (the alternate stack's top, or
	                           * tf's sp); the port subtracts the red zone (x86_64: 128 bytes)
	                           * and aligns as the ABI requires */
	uintptr_t ss_sp;          /* uc_stack: the alternate stack as it was */
	uint64_t ss_size;
	int ss_flags;
	uint64_t fault_addr;      /* x86_64 cr2 / aarch64 fault_address for fault signals */
};
/* Write the frame to user memory through core/uaccess.h (it may land on a copy-on-write or
 * untouched page) with the running thread's registers from tf and its live FP/SIMD state,
 * and set tf so the handler runs: pc = handler, sp = the frame (x86_64: pointing at the
 * restorer return address, 16-byte aligned + 8 as at a call), arguments (sig, &siginfo,
 * &ucontext), aarch64 x30 = restorer; the FP/SIMD state the handler starts with is the
 * default one only if Linux does so (x86_64 resets it; aarch64 keeps it). 0, or -EFAULT if the
 * frame cannot be written (core then kills with SIGSEGV). */
int arch_signal_frame_setup(struct trapframe *tf, const struct sigframe_info *si);
/* rt_sigreturn: read the frame at tf's user sp (as the handler's return left it), restore
 * every register, flag and the FP/SIMD state from it, refusing privilege changes (x86_64:
 * selectors are forced to the user ones, RFLAGS only the user-changeable bits, rip must be
 * canonical; aarch64: PSTATE must say EL0t with only NZCV/DAIF-free user bits), and give back
 * the saved mask and alternate stack. 0, or -EFAULT / -EINVAL for a frame that cannot be read
 * or is invalid (core then kills with SIGSEGV). */
int arch_signal_frame_restore(struct trapframe *tf, uint64_t *mask, uintptr_t *ss_sp,
			      uint64_t *ss_size, int *ss_flags);

/* The port's user-visible CPU description for the initial stack: AT_HWCAP, AT_HWCAP2 and the
 * AT_PLATFORM string (NULL for none), as Linux gives them on this CPU. */
uint64_t arch_hwcap(void);
uint64_t arch_hwcap2(void);
const char *arch_platform(void);

/* Fault-safe user copies (arch/<arch>/uaccess.S). Core calls them only through
 * core/uaccess.h, which has already refused ranges that are not wholly below USER_TOP. Each
 * faulting instruction is listed in the exception table (core/trap.h: struct extable_entry,
 * section .extable); on a fault the kernel first tries to resolve it (demand paging,
 * copy-on-write) and otherwise resumes at the fixup, which makes the copy return -EFAULT.
 * They honour SMAP / PAN (user access is opened only inside them) and user permissions. */
/* n bytes: n, or -EFAULT if any byte could not be copied (how many did is unspecified). */
long arch_copy_from_user(void *dst, uintptr_t usrc, size_t n);
long arch_copy_to_user(uintptr_t udst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most n bytes including the NUL: its length (without
 * the NUL), -EFAULT, or -ENAMETOOLONG when no NUL is within n bytes. */
long arch_strncpy_from_user(char *dst, uintptr_t usrc, size_t n);
/* Zero n user bytes: n or -EFAULT. */
long arch_clear_user(uintptr_t udst, size_t n);
/* Atomic compare-and-exchange of the 32-bit user word at uaddr (4-byte aligned, below
 * USER_TOP): 0 with *old set to the value found (swapped if it equalled expected), or
 * -EFAULT. For futexes. */
int arch_futex_cmpxchg(uintptr_t uaddr, uint32_t expected, uint32_t desired, uint32_t *old);

/* The ELF machine this port runs (EM_X86_64 / EM_AARCH64, core/elf.h). */
extern const unsigned arch_elf_machine;

#include "abi.h"
#include "abi_stat.h"
#include "arch_thread.h"
#include "arch_inline.h"

#endif
