/*
 * tests/ktest/test_boot_info.c: what the port told core about the machine is sane. The runner
 * passes test.ram=<MiB> (the -m it gave QEMU) so the RAM size is checked against the truth.
 */
#include "arch/arch.h"
#include "core/cmdline.h"
#include "core/ktest.h"
#include "core/string.h"


KTEST(boot_info_ram)
{
	const struct boot_info *bi = kernel_boot_info();
	unsigned long want = cmdline_get_ulong(bi->cmdline, "test.ram", 0);
	uint64_t usable = 0;

	if (want)
		KT_EXPECT_EQ(bi->ram_installed >> 20, want);
	KT_EXPECT(bi->nmem > 0);
	for (unsigned i = 0; i < bi->nmem; i++)
		usable += bi->mem[i].size;
	KT_EXPECT(usable <= bi->ram_installed);
	KT_EXPECT(usable >= bi->ram_installed / 2);
}

KTEST(boot_info_kernel_in_ram)
{
	const struct boot_info *bi = kernel_boot_info();
	bool inside = false;

	KT_EXPECT(bi->kernel_phys_start < bi->kernel_phys_end);
	for (unsigned i = 0; i < bi->nmem; i++)
		if (bi->kernel_phys_start >= bi->mem[i].base &&
		    bi->kernel_phys_end <= bi->mem[i].base + bi->mem[i].size)
			inside = true;
	KT_EXPECT(inside);
	KT_EXPECT(bi->nreserved > 0);
}

KTEST(boot_info_cmdline_and_cpu)
{
	const struct boot_info *bi = kernel_boot_info();
	char sel[64];

	KT_EXPECT(cmdline_get(bi->cmdline, "ktest", sel, sizeof(sel)));
	KT_EXPECT(strlen(bi->cpu_model) > 0);
	KT_EXPECT(bi->ncpus >= 1);
	KT_EXPECT(bi->uart_base != 0);
	KT_EXPECT_EQ(arch_cpu_id(), 0);
	KT_EXPECT(strcmp(arch_name, "x86_64") == 0 || strcmp(arch_name, "aarch64") == 0);
}
