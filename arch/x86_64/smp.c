/*
 * arch/x86_64/smp.c: starting the secondary CPUs, their per-CPU setup, and TLB shootdowns.
 *
 * Start (REFERENCE 8). A parked secondary CPU needs INIT, then a start-up IPI (SIPI) whose
 * vector is the page number of the real-mode code it begins at. arch_cpu_start() copies
 * entry.S's trampoline to SMP_TRAMPOLINE_PA (0x8000, below 1 MiB, kept out of the frame
 * allocator by boot.c and reached through the direct map), fills in x86_ap_boot (kernel CR3,
 * the boot CPU's CR4 so the features mmu.c enabled match, stack, entry, arg), and sends INIT,
 * waits 10 ms, SIPI, and a second SIPI if the CPU has not reported in 200 us later (a CPU
 * already running ignores it; under TCG back-to-back also works). The trampoline runs on
 * x86_ap_pml4: an identity map of the first 2 MiB (the trampoline page itself, which must stay
 * reachable across the switch to paging) plus a copy of the kernel half's 256 top-level
 * entries, which never change (mmu.c preallocates them); it is below 4 GiB, in the image,
 * because the trampoline loads CR3 in 32-bit mode. Once at its high address the CPU switches
 * to the kernel's own CR3 (no identity map) and sets x86_ap_boot.started before calling
 * entry(arg). arch_cpu_start() waits for that flag (up to a second), so x86_ap_boot can be
 * reused for the next CPU; a CPU that never reports in is sent INIT again, which parks it for
 * good, so it cannot run later on another CPU's parameters.
 *
 * Per CPU. Core's secondary entry calls arch_set_this_cpu (cpu.c: GS base), then
 * arch_cpu_init_secondary(): the IDT and this CPU's TSS (arch_traps_init), its LAPIC
 * (irq.c), and joining the TLB shootdowns. arch_timer_start() then reuses the boot CPU's LAPIC
 * timer calibration (timer.c).
 *
 * TLB shootdown. mmu.c flushes its own TLB, then calls x86_tlb_shootdown() with mmu_lock held,
 * which serialises the requests. The request goes to every other CPU that has joined, as an
 * NMI: a CPU spinning with interrupts masked (on a lock the caller of arch_mmu_unmap holds, say)
 * still takes an NMI, so the wait cannot deadlock the way a maskable IPI would. Each target
 * flushes the range in its NMI handler (trap.c -> x86_tlb_shootdown_nmi) and clears its bit;
 * the initiator returns when all bits are clear, and panics naming the CPUs if they are not
 * within a second.
 */
#include <stddef.h>

#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/layout.h"
#include "core/panic.h"
#include "core/string.h"
#include "core/time.h"
#include "x86.h"

#define INIT_DELAY_NS 10000000ull      /* 10 ms after INIT */
#define SIPI_WAIT_NS 200000ull         /* 200 us before the second SIPI */
#define START_TIMEOUT_NS 1000000000ull /* a second to reach ap_start_high */
#define XAPIC_MAX_ID 0xfe              /* 0xff is the broadcast id */

_Static_assert(offsetof(struct x86_ap_boot, cr3) == AP_BOOT_CR3, "AP_BOOT_CR3");
_Static_assert(offsetof(struct x86_ap_boot, cr4) == AP_BOOT_CR4, "AP_BOOT_CR4");
_Static_assert(offsetof(struct x86_ap_boot, stack) == AP_BOOT_STACK, "AP_BOOT_STACK");
_Static_assert(offsetof(struct x86_ap_boot, entry) == AP_BOOT_ENTRY, "AP_BOOT_ENTRY");
_Static_assert(offsetof(struct x86_ap_boot, arg) == AP_BOOT_ARG, "AP_BOOT_ARG");
_Static_assert(offsetof(struct x86_ap_boot, started) == AP_BOOT_STARTED, "AP_BOOT_STARTED");
_Static_assert(MAX_CPUS <= 32, "the shootdown masks are 32 bits");

uint64_t x86_ap_pml4[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t ap_pdpt[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t ap_pd[512] __attribute__((aligned(PAGE_SIZE)));
struct x86_ap_boot x86_ap_boot;
static bool trampoline_ready;

/* ---- Starting a CPU ---------------------------------------------------------------------- */

static void trampoline_install(void)
{
	size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);

	if (size > PAGE_SIZE)
		panic("smp: the trampoline is %zu bytes, more than a page", size);
	memcpy(phys_to_virt(SMP_TRAMPOLINE_PA), ap_trampoline_start, size);
	ap_pd[0] = PTE_P | PTE_W | PTE_PS; /* physical 0-2 MiB, executable */
	ap_pdpt[0] = virt_to_phys(ap_pd) | PTE_P | PTE_W;
	x86_ap_pml4[0] = virt_to_phys(ap_pdpt) | PTE_P | PTE_W;
	memcpy(&x86_ap_pml4[256], (uint64_t *)phys_to_virt(x86_kernel_pml4()) + 256,
	       256 * sizeof(uint64_t));
	trampoline_ready = true;
}

static bool ap_started(void)
{
	return __atomic_load_n(&x86_ap_boot.started, __ATOMIC_ACQUIRE) != 0;
}

static bool wait_started(uint64_t ns)
{
	uint64_t end = time_ns() + ns;
	while (!ap_started() && time_ns() < end)
		arch_cpu_relax();
	return ap_started();
}

int arch_cpu_start(uint64_t hwid, uintptr_t stack_top, void (*entry)(void *), void *arg)
{
	if (hwid > XAPIC_MAX_ID || hwid == x86_apic_id() || !entry || stack_top % 16)
		return -EINVAL;
	if (!trampoline_ready)
		trampoline_install();
	x86_ap_boot = (struct x86_ap_boot){
		.cr3 = x86_kernel_pml4(),
		.cr4 = read_cr4(),
		.stack = stack_top,
		.entry = (uintptr_t)entry,
		.arg = (uintptr_t)arg,
	};
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* x86_ap_boot before the IPIs */

	uint32_t apic = (uint32_t)hwid;
	x86_lapic_send_ipi(apic, LAPIC_ICR_INIT | LAPIC_ICR_ASSERT);
	time_delay_ns(INIT_DELAY_NS);
	for (unsigned sipi = 0; sipi < 2 && !ap_started(); sipi++) {
		x86_lapic_send_ipi(apic, LAPIC_ICR_STARTUP | (SMP_TRAMPOLINE_PA >> 12));
		wait_started(sipi == 0 ? SIPI_WAIT_NS : START_TIMEOUT_NS);
	}
	if (ap_started())
		return 0;
	x86_lapic_send_ipi(apic, LAPIC_ICR_INIT | LAPIC_ICR_ASSERT); /* park it for good */
	return -EIO;
}

void arch_cpu_init_secondary(void)
{
	arch_traps_init();
	x86_lapic_init_cpu();
	x86_tlb_join();
}

/* ---- TLB shootdown ----------------------------------------------------------------------- */

static struct {
	uintptr_t va;
	size_t npages;
} tlb_request;
static uint32_t tlb_cpus;    /* CPUs on the kernel tables that take shootdowns */
static uint32_t tlb_pending; /* CPUs that have yet to flush tlb_request */
static uint8_t tlb_apic_id[MAX_CPUS];

void x86_tlb_join(void)
{
	unsigned i = arch_cpu_id();
	tlb_apic_id[i] = (uint8_t)x86_apic_id();
	__atomic_fetch_or(&tlb_cpus, 1u << i, __ATOMIC_SEQ_CST);
}

static _Noreturn void shootdown_timeout(uint32_t missing)
{
	panic("smp: TLB shootdown: CPU mask %#x did not flush within a second", missing);
}

void x86_tlb_shootdown(uintptr_t va, size_t npages, uint32_t mask)
{
	uint32_t targets = __atomic_load_n(&tlb_cpus, __ATOMIC_ACQUIRE) & ~(1u << arch_cpu_id()) & mask;
	if (!targets)
		return;
	tlb_request.va = va;
	tlb_request.npages = npages;
	__atomic_store_n(&tlb_pending, targets, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (targets & (1u << i))
			x86_lapic_send_ipi(tlb_apic_id[i], LAPIC_ICR_NMI);

	uint64_t start = arch_cycle_count(), limit = arch_counter_freq();
	uint32_t left;
	while ((left = __atomic_load_n(&tlb_pending, __ATOMIC_ACQUIRE)) != 0) {
		if (limit && arch_cycle_count() - start > limit)
			shootdown_timeout(left);
		arch_cpu_relax();
	}
}

bool x86_tlb_shootdown_nmi(void)
{
	uint32_t bit = 1u << arch_cpu_id();
	if (!(__atomic_load_n(&tlb_pending, __ATOMIC_ACQUIRE) & bit))
		return false;
	x86_tlb_flush_local(tlb_request.va, tlb_request.npages);
	__atomic_fetch_and(&tlb_pending, ~bit, __ATOMIC_RELEASE);
	return true;
}
