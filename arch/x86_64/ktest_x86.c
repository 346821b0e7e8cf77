/*
 * arch/x86_64/ktest_x86.c: in-kernel tests of the x86_64 port's interrupt path, RTC date
 * math, interrupt-controller bounds, page tables, per-CPU state and TLB shootdowns (run with
 * ktest=all, like core's; the cross-CPU ones skip on one CPU).
 *
 * x86_irq_regs_preserved loads every general register (rbp included) and sets DF and CF,
 * then halts with interrupts enabled until three interrupts have come and gone, and checks
 * that iretq gave everything back. The first is a self-IPI whose handler (x86_selftest_hook)
 * overwrites every register the C ABI lets a function clobber, so a register trap_common
 * forgot to restore shows up here even if today's handlers happen not to touch it (checked:
 * dropping the r10 restore fails the test). The others are timer ticks.
 * x86_msi_vector_dispatch checks the MSI vectors' path the same way, with self-IPIs standing
 * in for a device's message.
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/ktest.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/smp.h"
#include "core/time.h"
#include "x86.h"

#define NREGS 15 /* rax rbx rcx rdx rsi rdi rbp r8-r15, in trapframe order */

static const char *const reg_names[NREGS] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
					     "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

/* Static, so the asm reaches them without a base register: it overwrites all of them. */
static uint64_t patterns[NREGS];
static uint64_t seen[NREGS + 1]; /* the registers after the interrupts, then rflags */

static volatile unsigned hook_runs;

/* Runs inside the interrupt: scribble on every caller-saved register and the flags. */
static void clobber_scratch_registers(void)
{
	hook_runs++;
	__asm__ volatile("mov $-1, %%rax\n\t"
			 "mov %%rax, %%rcx\n\t"
			 "mov %%rax, %%rdx\n\t"
			 "mov %%rax, %%rsi\n\t"
			 "mov %%rax, %%rdi\n\t"
			 "mov %%rax, %%r8\n\t"
			 "mov %%rax, %%r9\n\t"
			 "mov %%rax, %%r10\n\t"
			 "mov %%rax, %%r11\n\t"
			 "xor %%eax, %%eax" /* CF clear, ZF set */
			 :
			 :
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "cc");
}

/* Queue a self-IPI on VEC_SELFTEST; interrupts are off, so it waits in the IRR. */
static void send_selftest_ipi(void)
{
	x86_lapic_write(LAPIC_ICR_HI, 0);
	x86_lapic_write(LAPIC_ICR_LO, LAPIC_ICR_SELF | VEC_SELFTEST);
	while (x86_lapic_read(LAPIC_ICR_LO) & LAPIC_ICR_PENDING)
		arch_cpu_relax();
}

static void halt_with_registers_loaded(void)
{
	__asm__ volatile(
		"push %%rbp\n\t"
		"lea %[pat], %%rax\n\t"
		"mov 8(%%rax), %%rbx\n\t"
		"mov 16(%%rax), %%rcx\n\t"
		"mov 24(%%rax), %%rdx\n\t"
		"mov 32(%%rax), %%rsi\n\t"
		"mov 40(%%rax), %%rdi\n\t"
		"mov 48(%%rax), %%rbp\n\t"
		"mov 56(%%rax), %%r8\n\t"
		"mov 64(%%rax), %%r9\n\t"
		"mov 72(%%rax), %%r10\n\t"
		"mov 80(%%rax), %%r11\n\t"
		"mov 88(%%rax), %%r12\n\t"
		"mov 96(%%rax), %%r13\n\t"
		"mov 104(%%rax), %%r14\n\t"
		"mov 112(%%rax), %%r15\n\t"
		"mov 0(%%rax), %%rax\n\t"
		"std\n\t"
		"stc\n\t"
		"sti\n\t" /* hlt runs in sti's shadow: no interrupt is taken between them */
		"hlt\n\t"
		"hlt\n\t"
		"hlt\n\t"
		"cli\n\t"
		"pushfq\n\t"
		"cld\n\t"
		"push %%rax\n\t"
		"lea %[out], %%rax\n\t"
		"mov %%rbx, 8(%%rax)\n\t"
		"mov %%rcx, 16(%%rax)\n\t"
		"mov %%rdx, 24(%%rax)\n\t"
		"mov %%rsi, 32(%%rax)\n\t"
		"mov %%rdi, 40(%%rax)\n\t"
		"mov %%rbp, 48(%%rax)\n\t"
		"mov %%r8, 56(%%rax)\n\t"
		"mov %%r9, 64(%%rax)\n\t"
		"mov %%r10, 72(%%rax)\n\t"
		"mov %%r11, 80(%%rax)\n\t"
		"mov %%r12, 88(%%rax)\n\t"
		"mov %%r13, 96(%%rax)\n\t"
		"mov %%r14, 104(%%rax)\n\t"
		"mov %%r15, 112(%%rax)\n\t"
		"pop %%rbx\n\t"
		"mov %%rbx, 0(%%rax)\n\t"
		"pop %%rbx\n\t"
		"mov %%rbx, 120(%%rax)\n\t"
		"pop %%rbp"
		: [out] "=m"(seen)
		: [pat] "m"(patterns)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
		  "r14", "r15", "cc", "memory");
}

KTEST(x86_irq_regs_preserved)
{
	for (unsigned i = 0; i < NREGS; i++)
		patterns[i] = 0x5a5a000000000000ull + (i + 1) * 0x010101010101ull; /* all 64 bits */
	uint64_t ticks = time_ticks(arch_cpu_id());
	hook_runs = 0;
	x86_selftest_hook = clobber_scratch_registers;
	unsigned long s = arch_irq_save();
	send_selftest_ipi();
	halt_with_registers_loaded();
	arch_irq_restore(s);
	x86_selftest_hook = NULL;
	KT_EXPECT_EQ(hook_runs, 1);
	KT_EXPECT(time_ticks(arch_cpu_id()) > ticks);
	for (unsigned i = 0; i < NREGS; i++)
		if (seen[i] != patterns[i])
			ktest_fail(__FILE__, __LINE__, "%s == %#lx after interrupts, was %#lx",
				   reg_names[i], (unsigned long)seen[i],
				   (unsigned long)patterns[i]);
	KT_EXPECT(seen[NREGS] & RFLAGS_DF);
	KT_EXPECT(seen[NREGS] & RFLAGS_CF);
}

/* A self-IPI on GSI 23's vector must reach irq_dispatch(23). Nobody has registered 23, so
 * core counts it, masks the (already masked) pin and warns; the count is what is checked. */
KTEST(x86_gsi_vector_dispatch)
{
	const unsigned gsi = 23;
	uint64_t before = irq_count(gsi);
	unsigned long s = arch_irq_save();
	x86_lapic_write(LAPIC_ICR_HI, 0);
	x86_lapic_write(LAPIC_ICR_LO, LAPIC_ICR_SELF | (VEC_GSI_BASE + gsi));
	arch_irq_restore(s);
	for (unsigned i = 0; i < 1000000 && irq_count(gsi) == before; i++)
		arch_cpu_relax();
	KT_EXPECT_EQ(irq_count(gsi) - before, 1);
}

/* Send vector to this CPU and wait (100 ms at most) for irq's count to move; true if it did. */
static bool self_ipi_counted(unsigned vector, unsigned irq)
{
	uint64_t before = irq_count(irq), deadline = time_ns() + 100 * 1000 * 1000ull;
	unsigned long s = arch_irq_save();
	x86_lapic_write(LAPIC_ICR_HI, 0);
	x86_lapic_write(LAPIC_ICR_LO, LAPIC_ICR_SELF | vector);
	arch_irq_restore(s);
	while (irq_count(irq) == before && time_ns() < deadline)
		arch_cpu_relax();
	return irq_count(irq) != before;
}

/* An MSI's message is its vector at the LAPIC: a self-IPI on that vector stands in for the
 * device. Dispatched as irq = vector - 32 once unmasked, dropped while masked; after the free
 * the vector is unexpected again (not tried: that panics by design). */
KTEST(x86_msi_vector_dispatch)
{
	unsigned irq;
	uint64_t addr;
	uint32_t data;
	KT_EXPECT_EQ(arch_msi_alloc(0x08, &irq, &addr, &data), 0);
	KT_EXPECT_EQ(irq, data - VEC_GSI_BASE);
	KT_EXPECT(data >= VEC_MSI_FIRST && data <= VEC_MSI_LAST);
	KT_EXPECT_EQ(addr & ~0xff000ull, MSI_ADDR_BASE);
	KT_EXPECT(!self_ipi_counted(data, irq)); /* allocated masked */
	KT_EXPECT_EQ(arch_irq_unmask(irq, IRQ_EDGE), 0);
	KT_EXPECT(self_ipi_counted(data, irq)); /* no handler: core counts it and masks it */
	KT_EXPECT(!self_ipi_counted(data, irq));
	arch_msi_free(irq);
}

KTEST(x86_irq_bounds)
{
	KT_EXPECT_EQ(arch_irq_unmask(24, IRQ_EDGE), -EINVAL); /* q35's IOAPIC has pins 0-23 */
	KT_EXPECT_EQ(arch_irq_unmask(IRQ_MAX, IRQ_LEVEL), -EINVAL);
	arch_irq_mask(1000); /* out of range: ignored, not a wild register write */
}

KTEST(x86_rtc_date_math)
{
	KT_EXPECT_EQ(x86_unix_seconds(1970, 1, 1, 0, 0, 0), 0);
	KT_EXPECT_EQ(x86_unix_seconds(2000, 2, 29, 23, 59, 59), 951868799);
	KT_EXPECT_EQ(x86_unix_seconds(2000, 3, 1, 0, 0, 0), 951868800);
	KT_EXPECT_EQ(x86_unix_seconds(2024, 2, 29, 12, 34, 56), 1709210096);
	KT_EXPECT_EQ(x86_unix_seconds(2069, 12, 31, 23, 59, 59), 3155759999);
	KT_EXPECT_EQ(x86_unix_seconds(2100, 3, 1, 0, 0, 0), 4107542400);
}

/* ---- Page tables, per-CPU state, TLB shootdowns ------------------------------------------ */

#define RWX (MMU_READ | MMU_WRITE | MMU_EXEC)
/* Scratch kernel addresses of these tests only: below core's tests' pages at the vmap end. */
#define X86_SCRATCH (VMAP_AREA_BASE + VMAP_AREA_SIZE - 256 * (uint64_t)PAGE_SIZE)

/* Run fn(arg) on CPU cpu: here if it is this one, else through core's mailbox; false if it did
 * not finish within a second. */
static bool run_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu == arch_cpu_id()) {
		fn(arg);
		return true;
	}
	if (smp_call_on(cpu, fn, arg) != 0)
		return false;
	uint64_t deadline = time_ns() + NSEC_PER_SEC;
	while (!smp_call_done(cpu) && time_ns() < deadline)
		arch_cpu_relax();
	return smp_call_done(cpu);
}

struct cpu_state {
	struct cpu *self;
	uint64_t gs_base, kernel_gs_base, cr3, cr4;
	unsigned apic_id;
	uint16_t tr;
};

static void read_cpu_state(void *arg)
{
	struct cpu_state *st = arg;
	st->self = arch_this_cpu();
	st->gs_base = rdmsr(MSR_GS_BASE);
	st->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	st->cr3 = read_cr3();
	st->cr4 = read_cr4();
	st->apic_id = x86_apic_id();
	__asm__ volatile("str %0" : "=r"(st->tr));
}

/* Every CPU: GS points at a block whose first word is its struct cpu (KERNEL_GS_BASE holds a
 * user GS base, swapped in on the way to user mode), its own TSS, the
 * kernel tables, the boot CPU's CR4, and the APIC id the MADT gave for it. */
KTEST(x86_per_cpu_state)
{
	const struct boot_info *bi = kernel_boot_info();
	uint64_t cr4 = read_cr4();

	for (unsigned i = 0; i < ncpus_online; i++) {
		struct cpu_state st = {0};
		KT_EXPECT(run_on(i, read_cpu_state, &st));
		KT_EXPECT(st.self == &cpus[i]);
		KT_EXPECT(st.gs_base != 0);
		KT_EXPECT(st.kernel_gs_base < USER_TOP); /* a user GS base while in the kernel */
		KT_EXPECT(*(struct cpu **)st.gs_base == &cpus[i]);
		KT_EXPECT_EQ(st.tr, GDT_TSS(i));
		KT_EXPECT_EQ(st.cr3 & PTE_ADDR_MASK, x86_kernel_pml4());
		KT_EXPECT_EQ(st.cr4, cr4);
		KT_EXPECT_EQ(st.apic_id, bi->cpu_hwid[i]);
	}
}

/* What arch_mmu_init built: no identity map, the boot stack's guard, the direct map, the
 * trampoline read-only where it is linked, and the CPU features CPUID offers turned on. */
KTEST(x86_kernel_tables)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uint64_t pa;
	unsigned prot;
	uint32_t r[4];

	KT_EXPECT_EQ(arch_mmu_query(k, SMP_TRAMPOLINE_PA, &pa, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_query(k, 0x100000, &pa, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_query(k, (uintptr_t)boot_stack_guard, &pa, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_query(k, (uintptr_t)boot_stack_guard + PAGE_SIZE, &pa, &prot), 0);
	KT_EXPECT_EQ(prot & RWX, MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(arch_mmu_query(k, DIRECT_MAP_BASE + 0x100123, &pa, &prot), 0);
	KT_EXPECT_EQ(pa, 0x100123);
	KT_EXPECT_EQ(prot & (RWX | MMU_USER), MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(arch_mmu_query(k, (uintptr_t)ap_trampoline_start, &pa, &prot), 0);
	KT_EXPECT_EQ(prot & RWX, MMU_READ);
	KT_EXPECT_EQ(arch_mmu_query(k, USER_TOP, &pa, &prot), -ENOENT); /* not canonical */
	cpuid(7, 0, r);
	KT_EXPECT(read_cr4() & CR4_PGE);
	KT_EXPECT_EQ(!!(read_cr4() & CR4_SMEP), !!(r[1] & (1u << 7)));
	KT_EXPECT_EQ(!!(read_cr4() & CR4_SMAP), !!(r[1] & (1u << 20)));
}

/* Changing one page of the direct map splits its 2 MiB page; the neighbours keep theirs. */
KTEST(x86_direct_map_split)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uint64_t pa = alloc_page(), got;
	unsigned prot;
	volatile uint64_t *v = phys_to_virt(pa);
	uintptr_t next = (uintptr_t)v ^ PAGE_SIZE; /* the other page of an aligned pair */

	KT_EXPECT(pa != 0);
	*v = 0x6a616e7573;
	KT_EXPECT_EQ(arch_mmu_protect(k, (uintptr_t)v, PAGE_SIZE, MMU_READ), 0);
	KT_EXPECT_EQ(arch_mmu_query(k, (uintptr_t)v + 8, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa + 8);
	KT_EXPECT_EQ(prot & RWX, MMU_READ);
	KT_EXPECT_EQ(arch_mmu_query(k, next, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa ^ PAGE_SIZE);
	KT_EXPECT_EQ(prot & RWX, MMU_READ | MMU_WRITE);
	KT_EXPECT_EQ(*v, 0x6a616e7573);
	KT_EXPECT_EQ(arch_mmu_protect(k, (uintptr_t)v, PAGE_SIZE, MMU_READ | MMU_WRITE), 0);
	*v = 0;
	free_page(pa);
}

/* -EEXIST and -EINVAL change nothing; a no-access page stays mapped; device memory. */
KTEST(x86_mmu_contracts)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uint64_t pa = alloc_pages(2), got;
	unsigned prot;

	KT_EXPECT(pa != 0);
	KT_EXPECT_EQ(arch_mmu_map(k, X86_SCRATCH + 2 * PAGE_SIZE, pa, PAGE_SIZE, MMU_READ), 0);
	KT_EXPECT_EQ(arch_mmu_map(k, X86_SCRATCH, pa, 4 * PAGE_SIZE, MMU_READ), -EEXIST);
	KT_EXPECT_EQ(arch_mmu_query(k, X86_SCRATCH, &got, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_map(k, X86_SCRATCH, pa, PAGE_SIZE, MMU_READ | MMU_USER), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, X86_SCRATCH, pa + 1, PAGE_SIZE, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_map(k, USER_TOP, pa, PAGE_SIZE, MMU_READ), -EINVAL);
	KT_EXPECT_EQ(arch_mmu_protect(k, X86_SCRATCH + 2 * PAGE_SIZE, PAGE_SIZE, 0), 0);
	KT_EXPECT_EQ(arch_mmu_query(k, X86_SCRATCH + 2 * PAGE_SIZE, &got, &prot), 0);
	KT_EXPECT_EQ(got, pa);
	KT_EXPECT_EQ(prot, 0);
	KT_EXPECT_EQ(arch_mmu_protect(k, X86_SCRATCH + PAGE_SIZE, 2 * PAGE_SIZE, MMU_READ),
		     -ENOENT);
	KT_EXPECT_EQ(arch_mmu_unmap(k, X86_SCRATCH, 4 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(arch_mmu_map(k, X86_SCRATCH, pa, PAGE_SIZE, MMU_READ | MMU_DEVICE), 0);
	KT_EXPECT_EQ(arch_mmu_query(k, X86_SCRATCH, &got, &prot), 0);
	KT_EXPECT_EQ(prot & (RWX | MMU_DEVICE), MMU_READ | MMU_DEVICE);
	KT_EXPECT_EQ(arch_mmu_unmap(k, X86_SCRATCH, PAGE_SIZE), 0);
	free_pages(pa, 2);
}

/* Take every free frame, as a list threaded through the blocks themselves. */
static uint64_t exhaust_memory(void)
{
	uint64_t list = 0;
	for (int order = PMM_MAX_ORDER; order >= 0; order--) {
		uint64_t pa;
		while ((pa = alloc_pages((unsigned)order)) != 0) {
			uint64_t *b = phys_to_virt(pa);
			b[0] = list;
			b[1] = (uint64_t)order;
			list = pa;
		}
	}
	return list;
}

static void give_back(uint64_t list)
{
	while (list) {
		uint64_t *b = phys_to_virt(list), next = b[0];
		free_pages(list, (unsigned)b[1]);
		list = next;
	}
}

/* Out of table pages, map fails with -ENOMEM and leaves no page of the range mapped. */
KTEST(x86_mmu_out_of_memory)
{
	uint64_t before = pmm_free_frames(), got;
	unsigned prot;
	struct arch_aspace *as = arch_aspace_create();
	uint64_t list = exhaust_memory();

	KT_EXPECT(as != NULL && list != 0);
	KT_EXPECT(arch_aspace_create() == NULL);
	KT_EXPECT_EQ(arch_mmu_map(as, 0x1ff000, 0x100000, 2 * PAGE_SIZE, MMU_READ | MMU_USER),
		     -ENOMEM);
	give_back(list);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x1ff000, &got, &prot), -ENOENT);
	KT_EXPECT_EQ(arch_mmu_query(as, 0x200000, &got, &prot), -ENOENT);
	arch_aspace_destroy(as);
	KT_EXPECT_EQ(pmm_free_frames(), before);
}

static volatile uint64_t remote_value;

static void remote_read(void *arg)
{
	remote_value = *(volatile uint64_t *)arg;
}

/* CPU 1 reads a page (so its TLB holds the translation), CPU 0 unmaps the range and maps the
 * page to another frame: CPU 1 must then read the new frame. QEMU's TCG keeps a TLB per vCPU,
 * so without the shootdown CPU 1 really reads the old frame (checked: both cases fail with
 * the shootdown disabled). npages above FLUSH_PAGES_MAX takes the full-flush path. */
static void check_shootdown(size_t npages)
{
	struct arch_aspace *k = arch_kernel_aspace();
	uint64_t a = alloc_page(), b = alloc_page();
	uintptr_t first = X86_SCRATCH, last = first + (npages - 1) * PAGE_SIZE;

	*(uint64_t *)phys_to_virt(a) = 0xaaaa;
	*(uint64_t *)phys_to_virt(b) = 0xbbbb;
	for (size_t i = 0; i < npages; i++)
		KT_EXPECT_EQ(arch_mmu_map(k, first + i * PAGE_SIZE, a, PAGE_SIZE, MMU_READ), 0);
	KT_EXPECT(run_on(1, remote_read, (void *)last));
	KT_EXPECT_EQ(remote_value, 0xaaaa);
	KT_EXPECT_EQ(arch_mmu_unmap(k, first, npages * PAGE_SIZE), 0);
	KT_EXPECT_EQ(arch_mmu_map(k, last, b, PAGE_SIZE, MMU_READ), 0);
	KT_EXPECT(run_on(1, remote_read, (void *)last));
	KT_EXPECT_EQ(remote_value, 0xbbbb);
	KT_EXPECT_EQ(arch_mmu_unmap(k, last, PAGE_SIZE), 0);
	free_page(a);
	free_page(b);
}

KTEST(x86_tlb_shootdown)
{
	if (ncpus_online < 2 || arch_cpu_id() == 1) {
		ktest_skip("needs -smp 2 or more");
		return;
	}
	check_shootdown(1);
	check_shootdown(64);
}
