/*
 * arch/aarch64/smp.c: starting secondary CPUs with PSCI CPU_ON, and their per-CPU setup.
 *
 * CPU_ON (REFERENCE 7) takes the target's MPIDR (the DTB's cpu node reg, bi->cpu_hwid), a
 * physical entry address and a context id. The new CPU starts at EL1 with its MMU and caches
 * off, interrupts masked and x0 = the context id. The entry is aarch64_secondary_entry
 * (entry.S, in .text.head, which the identity map covers) and the context is the physical
 * address of a start record {TTBR1, stack_top, entry, arg} (aarch64.h START_*). entry.S
 * switches the MMU on exactly as the boot CPU did (same MAIR, TCR, SCTLR; TTBR1 = the current
 * kernel tables; TTBR0 = the identity map until it runs at its high address, then empty with
 * EPD0), then takes SP, VBAR_EL1 and a root frame and calls entry(arg).
 *
 * Records are never reused: a CPU that timed out may still read its record late, so each
 * start gets its own slot. Each is one cache line, cleaned to the point of coherency before
 * CPU_ON because the new CPU's first read of it is uncached.
 *
 * arch_cpu_init_secondary, called first by core's entry on the new CPU (after
 * arch_set_this_cpu): vectors, this CPU's GIC redistributor and CPU interface, PAN.
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/errno.h"
#include "core/layout.h"

#include "aarch64.h"

#define PSCI_CPU_ON 0xc4000003u /* SMC64 */

/* PSCI return codes. */
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED (-3)
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define PSCI_INVALID_ADDRESS (-9)

struct start_record {
	uint64_t ttbr1;
	uint64_t stack_top;
	uint64_t entry;
	uint64_t arg;
} __attribute__((aligned(START_SIZE)));

_Static_assert(__builtin_offsetof(struct start_record, ttbr1) == START_TTBR1, "START_TTBR1");
_Static_assert(__builtin_offsetof(struct start_record, stack_top) == START_STACK, "START_STACK");
_Static_assert(__builtin_offsetof(struct start_record, entry) == START_ENTRY, "START_ENTRY");
_Static_assert(__builtin_offsetof(struct start_record, arg) == START_ARG, "START_ARG");
_Static_assert(sizeof(struct start_record) == START_SIZE, "START_SIZE");

static struct start_record start_records[MAX_CPUS];
static unsigned nstarted;

/* Clean [p, p + n) to the point of coherency, so an uncached reader sees it. */
static void clean_to_poc(const void *p, size_t n)
{
	uint64_t line = 4u << ((read_sysreg(ctr_el0) >> 16) & 0xf); /* DminLine */
	uintptr_t a = (uintptr_t)p & ~(line - 1);

	__asm__ volatile("dsb ish" : : : "memory");
	for (; a < (uintptr_t)p + n; a += line)
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	__asm__ volatile("dsb sy" : : : "memory");
}

static int psci_errno(int64_t ret)
{
	switch (ret) {
	case 0: return 0;
	case PSCI_INVALID_PARAMETERS: return -ENODEV; /* no CPU with that MPIDR */
	case PSCI_ALREADY_ON: case PSCI_ON_PENDING: return -EBUSY;
	case PSCI_DENIED: return -EPERM;
	case PSCI_NOT_SUPPORTED: return -ENOSYS;
	case PSCI_INVALID_ADDRESS: return -EFAULT;
	default: return -EIO;
	}
}

int arch_cpu_start(uint64_t hwid, uintptr_t stack_top, void (*entry)(void *), void *arg)
{
	struct start_record *rec;
	int err;

	if (stack_top % 16 || !entry)
		return -EINVAL;
	if (nstarted >= MAX_CPUS)
		return -ENOSPC;
	rec = &start_records[nstarted];
	*rec = (struct start_record){aarch64_kernel_ttbr1(), stack_top, (uintptr_t)entry,
				     (uintptr_t)arg};
	clean_to_poc(rec, sizeof *rec);
	err = psci_errno(aarch64_psci_call(PSCI_CPU_ON, hwid,
					   virt_to_phys(aarch64_secondary_entry),
					   virt_to_phys(rec)));
	if (!err)
		nstarted++; /* the CPU owns this record now */
	return err;
}

void arch_cpu_init_secondary(void)
{
	arch_traps_init();
	aarch64_gic_cpu_init();
	aarch64_pan_enable();
}
