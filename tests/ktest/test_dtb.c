/*
 * tests/ktest/test_dtb.c: the DTB parser on a known tree (tests/data/test.dts, linked in),
 * identical on both ports; on a port booted with a device tree, also the boot DTB itself.
 */
#include "arch/arch.h"
#include "core/dtb.h"
#include "core/errno.h"
#include "core/ktest.h"
#include "core/layout.h"

extern const unsigned char test_dtb[];
extern const unsigned int test_dtb_len;

KTEST(dtb_known_tree)
{
	struct dtb dt;
	uint64_t a, s;
	uint32_t len;

	KT_EXPECT_EQ(dtb_init(&dt, test_dtb, test_dtb_len), 0);
	int chosen = dtb_path(&dt, "/chosen");
	KT_EXPECT(chosen >= 0);
	KT_EXPECT_STREQ(dtb_prop(&dt, chosen, "bootargs", &len), "console=ttyAMA0 ktest=all");
	int mem = dtb_next_by_type(&dt, -1, "memory");
	KT_EXPECT_STREQ(dtb_node_name(&dt, mem), "memory@40000000");
	KT_EXPECT_EQ(dtb_reg(&dt, mem, 0, &a, &s), 0);
	KT_EXPECT_EQ(a, 0x40000000);
	KT_EXPECT_EQ(s, 0x20000000);
	KT_EXPECT_EQ(dtb_reg(&dt, mem, 1, &a, &s), -ENOENT);
	mem = dtb_next_by_type(&dt, mem, "memory");
	KT_EXPECT_EQ(dtb_reg(&dt, mem, 0, &a, &s), 0);
	KT_EXPECT_EQ(a, 0x100000000ull);
	KT_EXPECT_EQ(dtb_next_by_type(&dt, mem, "memory"), -ENOENT);
	int rtc = dtb_next_compatible(&dt, -1, "arm,pl031");
	KT_EXPECT_EQ(rtc, dtb_path(&dt, "/soc/rtc"));
	KT_EXPECT_EQ(dtb_reg(&dt, rtc, 1, &a, &s), 0); /* 1 address + 1 size cell from /soc */
	KT_EXPECT_EQ(a, 0x09011000);
	KT_EXPECT_EQ(s, 0x100);
	KT_EXPECT(dtb_is_compatible(&dt, dtb_path(&dt, "/pl011"), "arm,primecell"));
	KT_EXPECT_EQ(dtb_path(&dt, "/nonexistent"), -ENOENT);
}

KTEST(dtb_rejects_garbage)
{
	struct dtb dt;
	static const unsigned char zeros[64];
	KT_EXPECT_EQ(dtb_init(&dt, zeros, sizeof(zeros)), -EINVAL);
	KT_EXPECT_EQ(dtb_init(&dt, test_dtb, 39), -EINVAL);
	KT_EXPECT_EQ(dtb_init(&dt, test_dtb, test_dtb_len - 1), -EINVAL); /* truncated */
}

KTEST(dtb_boot_tree)
{
	const struct boot_info *bi = kernel_boot_info();
	struct dtb dt;

	if (!bi->dtb_phys) {
		ktest_skip("this port boots without a device tree");
		return;
	}
	KT_EXPECT_EQ(dtb_init(&dt, phys_to_virt(bi->dtb_phys), 1u << 20), 0);
	int mem = dtb_next_by_type(&dt, -1, "memory");
	uint64_t a, s;
	KT_EXPECT_EQ(dtb_reg(&dt, mem, 0, &a, &s), 0);
	KT_EXPECT_EQ(a, bi->mem[0].base);
}
