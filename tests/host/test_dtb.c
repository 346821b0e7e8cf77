/*
 * tests/host/test_dtb.c: the DTB parser (core/dtb.c) under ASan/UBSan: the known-answer tree,
 * QEMU's own virt-machine tree (dumped at build time), and thousands of corrupted copies of
 * both, which must give errors or answers but never a crash, a hang or a sanitizer report.
 *   test_dtb TEST.dtb QEMU-VIRT.dtb
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtb.h"
#include "core/errno.h"
#include "tap.h"

static unsigned char *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	unsigned char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void known_tree(const unsigned char *blob, size_t len)
{
	struct dtb dt;
	uint64_t a, s;
	uint32_t plen;

	CHECK_EQ(dtb_init(&dt, blob, len), 0);
	CHECK_STREQ(dtb_prop(&dt, dtb_path(&dt, "/chosen"), "bootargs", &plen),
		    "console=ttyAMA0 ktest=all");
	CHECK_EQ(plen, strlen("console=ttyAMA0 ktest=all") + 1);
	int mem = dtb_path(&dt, "/memory@100000000");
	CHECK_EQ(dtb_reg(&dt, mem, 0, &a, &s), 0);
	CHECK_EQ(a, 0x100000000ll);
	CHECK_EQ(s, 0x10000000);
	CHECK_EQ(dtb_path(&dt, "/memory"), dtb_next_by_type(&dt, -1, "memory"));
	int rtc = dtb_path(&dt, "/soc/rtc@9010000");
	CHECK(rtc >= 0);
	CHECK_EQ(dtb_parent(&dt, rtc), dtb_path(&dt, "/soc"));
	CHECK_EQ(dtb_parent(&dt, dtb_path(&dt, "/")), -ENOENT);
	CHECK_EQ(dtb_reg(&dt, rtc, 0, &a, &s), 0);
	CHECK_EQ(a, 0x09010000);
	CHECK_EQ(dtb_reg(&dt, rtc, 2, &a, &s), -ENOENT);
	CHECK_EQ(dtb_prop_u32(&dt, dtb_path(&dt, "/soc"), "#size-cells", 9), 1);
	CHECK_EQ(dtb_prop_u32(&dt, rtc, "absent", 9), 9);
	CHECK(dtb_prop(&dt, rtc, "absent", NULL) == NULL);
	CHECK(dtb_is_compatible(&dt, rtc, "arm,primecell"));
	CHECK(!dtb_is_compatible(&dt, rtc, "arm,prime"));
	tap_point("known tree: paths, props, reg with per-parent cell sizes, parents");
}

/* The facts REFERENCE.md section 7 measured on QEMU 7.2's virt machine with GICv3. */
static void qemu_virt_tree(const unsigned char *blob, size_t len)
{
	struct dtb dt;
	uint64_t a, s;

	CHECK_EQ(dtb_init(&dt, blob, len), 0);
	int mem = dtb_next_by_type(&dt, -1, "memory");
	CHECK_EQ(dtb_reg(&dt, mem, 0, &a, &s), 0);
	CHECK_EQ(a, 0x40000000);
	CHECK_EQ(s, 512ll << 20);
	int uart = dtb_next_compatible(&dt, -1, "arm,pl011");
	CHECK_EQ(dtb_reg(&dt, uart, 0, &a, &s), 0);
	CHECK_EQ(a, 0x09000000);
	int gic = dtb_next_compatible(&dt, -1, "arm,gic-v3");
	CHECK_EQ(dtb_reg(&dt, gic, 0, &a, &s), 0);
	CHECK_EQ(a, 0x08000000);
	CHECK_EQ(dtb_reg(&dt, gic, 1, &a, &s), 0);
	CHECK_EQ(a, 0x080a0000);
	int pci = dtb_next_compatible(&dt, -1, "pci-host-ecam-generic");
	CHECK_EQ(dtb_reg(&dt, pci, 0, &a, &s), 0);
	CHECK_EQ(a, 0x4010000000ll);
	int cpus = 0;
	for (int c = -1; (c = dtb_next_by_type(&dt, c, "cpu")) >= 0;)
		cpus++;
	CHECK_EQ(cpus, 2);
	tap_point("QEMU virt tree: memory, PL011, GICv3, ECAM, two CPUs");
}

/* Flip random bytes (biased to the header and the first structure words) many times. */
static void corruption(const unsigned char *orig, size_t len, unsigned rounds, unsigned seed)
{
	unsigned char *copy = malloc(len);
	unsigned ok = 0;
	srand(seed);
	for (unsigned r = 0; r < rounds; r++) {
		memcpy(copy, orig, len);
		int flips = 1 + rand() % 8;
		for (int i = 0; i < flips; i++) {
			size_t at = rand() % 2 ? (size_t)rand() % 64 : (size_t)rand() % len;
			copy[at] = (unsigned char)rand();
		}
		struct dtb dt;
		if (dtb_init(&dt, copy, len) != 0)
			continue;
		ok++;
		uint64_t a, s;
		for (int n = -1; (n = dtb_next_by_type(&dt, n, "memory")) >= 0;)
			dtb_reg(&dt, n, 0, &a, &s);
		for (int n = -1; (n = dtb_next_compatible(&dt, n, "arm,pl011")) >= 0;)
			dtb_parent(&dt, n);
		dtb_prop(&dt, dtb_path(&dt, "/chosen"), "bootargs", NULL);
		dtb_path(&dt, "/soc/rtc");
	}
	printf("# %u of %u corrupted blobs still had a valid header\n", ok, rounds);
	free(copy);
}

int main(int argc, char **argv)
{
	size_t tlen, qlen;
	if (argc != 3) {
		printf("Bail out! usage: test_dtb TEST.dtb QEMU.dtb\n");
		return 1;
	}
	unsigned char *test = load(argv[1], &tlen), *qemu = load(argv[2], &qlen);
	known_tree(test, tlen);
	qemu_virt_tree(qemu, qlen);
	corruption(test, tlen, 5000, 1);
	corruption(qemu, qlen, 2000, 2);
	tap_point("5000 + 2000 corrupted blobs: errors, never a crash or hang");
	free(test);
	free(qemu);
	return tap_done();
}
