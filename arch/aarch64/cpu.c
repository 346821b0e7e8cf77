/*
 * arch/aarch64/cpu.c: what CPU this is and what it can do, from the ID registers only.
 *
 * The model name comes from MIDR_EL1 (implementer, part number, variant and revision as
 * "rXpY"). Features are read from the ID_AA64* registers rather than inferred from the model,
 * because QEMU's models differ (cortex-a72 is ARMv8.0 with neither PAN nor LSE atomics,
 * neoverse-n1 has both) and "max" changes from release to release. The result is appended to
 * the model string, which kmain prints in its banner, and kept in aarch64_cpu_features for
 * the code that will use PAN and LSE.
 *
 * PAN (Privileged Access Never, ARMv8.1): with PSTATE.PAN set, an EL1 load or store to a page
 * EL0 may access faults, so a stray kernel dereference of a user pointer is caught.
 * aarch64_pan_enable clears SCTLR_EL1.SPAN (then every exception into EL1 sets PSTATE.PAN) and
 * sets PSTATE.PAN now, on each CPU whose own ID register says it has PAN; on cortex-a72 (no
 * PAN; the PAN register is undefined there) it does nothing. The register is named by its
 * encoding (S3_0_C4_C2_3) so the assembler needs no ARMv8.1 target.
 *
 * arch_set_this_cpu: TPIDR_EL1 = the struct cpu pointer (read by arch_this_cpu, arch_inline.h).
 */
#include "arch/arch.h"
#include "core/cpu.h"
#include "core/kprintf.h"

#include "aarch64.h"

const char arch_name[] = "aarch64";

unsigned aarch64_cpu_features;

struct cpu_part {
	uint16_t part;
	const char *name;
};

/* Implementer 0x41 (Arm Ltd.): the cores QEMU models, and their neighbours. */
static const struct cpu_part arm_parts[] = {
	{0xd03, "Cortex-A53"}, {0xd04, "Cortex-A35"},  {0xd05, "Cortex-A55"},
	{0xd07, "Cortex-A57"}, {0xd08, "Cortex-A72"},  {0xd09, "Cortex-A73"},
	{0xd0a, "Cortex-A75"}, {0xd0b, "Cortex-A76"},  {0xd0c, "Neoverse-N1"},
	{0xd0d, "Cortex-A77"}, {0xd40, "Neoverse-V1"}, {0xd41, "Cortex-A78"},
	{0xd47, "Cortex-A710"}, {0xd49, "Neoverse-N2"}, {0xd4f, "Neoverse-V2"},
};

static const char *arm_part_name(unsigned implementer, unsigned part)
{
	if (implementer != 0x41)
		return NULL;
	for (size_t i = 0; i < sizeof arm_parts / sizeof arm_parts[0]; i++)
		if (arm_parts[i].part == part)
			return arm_parts[i].name;
	return NULL;
}

#define PSTATE_PAN (UL(1) << 22)

static bool cpu_has_pan(void)
{
	return (read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf; /* PAN: 1 = PAN, 2 = PAN2, 3 = PAN3 */
}

static unsigned detect_features(void)
{
	uint64_t isar0 = read_sysreg(id_aa64isar0_el1);
	unsigned f = 0;

	if (cpu_has_pan())
		f |= CPU_FEAT_PAN;
	if (((isar0 >> 20) & 0xf) >= 2) /* Atomic: 2 = LSE (CAS, LDADD, SWP...) */
		f |= CPU_FEAT_LSE;
	return f;
}

void aarch64_cpu_identify(char *buf, size_t n)
{
	uint64_t midr = read_sysreg(midr_el1);
	unsigned implementer = (midr >> 24) & 0xff, variant = (midr >> 20) & 0xf;
	unsigned part = (midr >> 4) & 0xfff, revision = midr & 0xf;
	const char *name = arm_part_name(implementer, part);
	int len;

	aarch64_cpu_features = detect_features();
	if (name)
		len = ksnprintf(buf, n, "ARM %s r%up%u", name, variant, revision);
	else
		len = ksnprintf(buf, n, "implementer 0x%02x part 0x%03x r%up%u", implementer, part,
				variant, revision);
	if (len < 0 || (size_t)len >= n || !aarch64_cpu_features)
		return;
	ksnprintf(buf + len, n - (size_t)len, " (%s%s%s)",
		  aarch64_cpu_features & CPU_FEAT_PAN ? "PAN" : "",
		  aarch64_cpu_features == (CPU_FEAT_PAN | CPU_FEAT_LSE) ? " " : "",
		  aarch64_cpu_features & CPU_FEAT_LSE ? "LSE" : "");
}

bool aarch64_pan_enable(void)
{
	if (!cpu_has_pan())
		return false;
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~SCTLR_SPAN);
	write_sysreg(s3_0_c4_c2_3, PSTATE_PAN); /* PAN */
	isb();
	return true;
}

void arch_set_this_cpu(struct cpu *c)
{
	write_sysreg(tpidr_el1, (uintptr_t)c);
}
