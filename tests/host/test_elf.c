/*
 * tests/host/test_elf.c: the ELF loader's plan and "#!" parsing (core/elf.c) under ASan/UBSan.
 *
 * ELF files are made here by a small in-memory builder: one static ET_EXEC for x86_64 shaped
 * like musl's hello (PT_PHDR, four PT_LOADs, PT_TLS, PT_GNU_STACK) and one static-PIE ET_DYN
 * for aarch64 (no PT_PHDR, 64 KiB p_align), plus each of them as the other type. Each is
 * checked field by field, then every rule is broken once on purpose, then 20,000+ random
 * mutations (bit flips, field-targeted values, swapped headers, truncations) must each give
 * -ENOEXEC or a plan that passes an independent check (plan_ok): segments page-aligned,
 * disjoint, in [0x10000, USER_TOP), file ranges inside the file, the entry executable, and
 * AT_PHDR pointing at the real table in a simulated address space. Arguments MACHINE PATH ...
 * name real binaries (musl hello, static-PIE hello, busybox) that get the same treatment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/elf.h"
#include "core/errno.h"
#include "core/exec_stack.h"
#include "core/layout.h"
#include "tap.h"

/* ---- a tiny ELF builder ---- */

enum { F_TYPE = 0, F_FLAGS = 4, F_OFFSET = 8, F_VADDR = 16, F_FILESZ = 32, F_MEMSZ = 40,
       F_ALIGN = 48 };
#define PH(i, f) (64 + 56 * (i) + (f))

struct fph {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct felf {
	unsigned type, machine;
	uint64_t entry, phoff;
	unsigned nph;
	struct fph ph[24];
	size_t size;
};

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static uint8_t *emit(const struct felf *f)
{
	uint8_t *b = malloc(f->size);
	for (size_t i = 0; i < f->size; i++)
		b[i] = (uint8_t)(i * 131 + 7);
	memset(b, 0, 64);
	memcpy(b, "\177ELF\2\1\1", 7);
	put(b + 16, f->type, 2);
	put(b + 18, f->machine, 2);
	put(b + 20, 1, 4);
	put(b + 24, f->entry, 8);
	put(b + 32, f->phoff, 8);
	put(b + 52, 64, 2);
	put(b + 54, 56, 2);
	put(b + 56, f->nph, 2);
	put(b + 58, 64, 2);
	for (unsigned i = 0; i < f->nph; i++) {
		uint8_t *p = b + f->phoff + 56 * i;
		const struct fph *h = &f->ph[i];
		const uint64_t v[8] = {h->type,  h->flags,  h->offset, h->vaddr,
		                       h->vaddr, h->filesz, h->memsz,  h->align}; /* p_paddr = p_vaddr */
		for (int k = 0; k < 8; k++)
			put(p + (k < 2 ? 4 * k : 8 * (k - 1)), v[k], k < 2 ? 4 : 8);
	}
	return b;
}

/* x86_64 static ET_EXEC like musl's hello (ld.lld, max-page-size 4096). */
static struct felf tmpl_x86(void)
{
	struct felf f = {.type = ET_EXEC, .machine = EM_X86_64, .entry = 0x201e80, .phoff = 64,
	                 .nph = 7, .size = 0x4aa8};
	f.ph[0] = (struct fph){PT_PHDR, PF_R, 0x40, 0x200040, 7 * 56, 7 * 56, 8};
	f.ph[1] = (struct fph){PT_LOAD, PF_R, 0, 0x200000, 0xe74, 0xe74, 0x1000};
	f.ph[2] = (struct fph){PT_LOAD, PF_R | PF_X, 0xe80, 0x201e80, 0x3adb, 0x3adb, 0x1000};
	f.ph[3] = (struct fph){PT_LOAD, PF_R | PF_W, 0x4960, 0x206960, 0x18, 0x6a0, 0x1000};
	f.ph[4] = (struct fph){PT_LOAD, PF_R | PF_W, 0x4980, 0x207980, 0x128, 0x7c0, 0x1000};
	f.ph[5] = (struct fph){PT_TLS, PF_R, 0x4980, 0x207980, 0x10, 0x48, 8};
	f.ph[6] = (struct fph){PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16};
	return f;
}

/* aarch64 static PIE: linked at 0, 64 KiB alignment, no PT_PHDR. */
static struct felf tmpl_a64(void)
{
	struct felf f = {.type = ET_DYN, .machine = EM_AARCH64, .entry = 0x12210, .phoff = 64,
	                 .nph = 6, .size = 0x5e20};
	f.ph[0] = (struct fph){PT_LOAD, PF_R, 0, 0, 0x1204, 0x1204, 0x10000};
	f.ph[1] = (struct fph){PT_LOAD, PF_R | PF_X, 0x1210, 0x12210, 0x4aac, 0x4aac, 0x10000};
	f.ph[2] = (struct fph){PT_LOAD, PF_R | PF_W, 0x5cc0, 0x26cc0, 0x160, 0x340, 0x10000};
	f.ph[3] = (struct fph){PT_DYNAMIC, PF_R | PF_W, 0x5d00, 0x26d00, 0x100, 0x100, 8};
	f.ph[4] = (struct fph){PT_GNU_RELRO, PF_R, 0x5cc0, 0x26cc0, 0x160, 0x340, 1};
	f.ph[5] = (struct fph){PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16};
	return f;
}

/* The same file at another type: x86 as a PIE linked high, aarch64 as ET_EXEC at 4 MiB. */
static struct felf retype(struct felf f)
{
	if (f.type == ET_EXEC) {
		f.type = ET_DYN;
		return f;
	}
	f.type = ET_EXEC;
	f.entry += 0x400000;
	for (unsigned i = 0; i < f.nph; i++)
		if (f.ph[i].type != PT_GNU_STACK)
			f.ph[i].vaddr += 0x400000;
	return f;
}

/* ---- a simulated address space and the independent plan check ---- */

/* Byte at user address a once img is loaded from file, or -1 if unmapped. */
static int sim_byte(const struct elf_image *img, const uint8_t *file, uint64_t a)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if (a < s->map_start || a >= s->map_end)
			continue;
		if (a >= s->vaddr && a < s->file_end)
			return file[s->offset + (a - s->vaddr)];
		return 0;
	}
	return -1;
}

static bool sim_equal(const struct elf_image *img, const uint8_t *file, uint64_t a,
                      const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sim_byte(img, file, a + i) != want[i])
			return false;
	return true;
}

static bool raw_header_ok(const uint8_t *b, unsigned machine)
{
	unsigned type = (unsigned)get(b + 16, 2), phnum = (unsigned)get(b + 56, 2);
	return !memcmp(b, "\177ELF\2\1\1", 7) && (type == ET_EXEC || type == ET_DYN) &&
	       get(b + 18, 2) == machine && get(b + 20, 4) == 1 && get(b + 52, 2) == 64 &&
	       get(b + 54, 2) == 56 && phnum >= 1 && phnum <= ELF_MAX_PHNUM;
}

static bool seg_ok(const struct elf_segment *s, uint64_t file_size)
{
	return s->memsz && s->filesz <= s->memsz && !(s->map_start & 0xfff) &&
	       !(s->map_end & 0xfff) && s->map_start >= ELF_MIN_VADDR && s->map_end <= USER_TOP &&
	       s->map_start <= s->vaddr && s->vaddr + s->memsz <= s->map_end &&
	       s->map_end - s->vaddr < s->memsz + 0x1000 && s->vaddr - s->map_start < 0x1000 &&
	       s->offset <= file_size && s->filesz <= file_size - s->offset &&
	       !((s->vaddr ^ s->offset) & 0xfff) && s->file_end == s->vaddr + s->filesz &&
	       s->file_page_end >= s->file_end && s->file_page_end <= s->map_end &&
	       s->file_page_end - s->file_end < 0x1000 && s->prot <= 7;
}

static bool segs_ok(const struct elf_image *img, uint64_t file_size)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	bool entry = false;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if (!seg_ok(s, file_size))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (s->map_start < img->segs[j].map_end && img->segs[j].map_start < s->map_end)
				return false;
		lo = s->map_start < lo ? s->map_start : lo;
		hi = s->map_end > hi ? s->map_end : hi;
		if ((s->prot & ELF_PROT_EXEC) && img->entry >= s->vaddr && img->entry < s->file_end)
			entry = true;
	}
	return entry && img->lo == lo && img->hi == hi && img->brk_start == hi;
}

/* Everything an accepted file must satisfy, checked from the raw bytes and the plan. */
static bool plan_ok(const struct elf_image *img, const uint8_t *b, uint64_t file_size,
                    unsigned machine)
{
	if (img->reason || !raw_header_ok(b, machine) || img->nsegs == 0 || img->has_interp)
		return false;
	uint64_t phoff = get(b + 32, 8);
	unsigned phnum = (unsigned)get(b + 56, 2), loads = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *p = b + phoff + 56 * i;
		loads += get(p, 4) == PT_LOAD && get(p + 40, 8) != 0;
		if (get(p, 4) == PT_INTERP)
			return false;
	}
	if (loads != img->nsegs || img->phnum != phnum || img->phent != 56 ||
	    !segs_ok(img, file_size) || img->type != get(b + 16, 2))
		return false;
	if (img->type == ET_EXEC ? img->load_bias != 0 : (img->load_bias & (img->align - 1)) != 0)
		return false;
	if (img->entry != get(b + 24, 8) + img->load_bias)
		return false;
	if (img->phdr_addr && !sim_equal(img, b, img->phdr_addr, b + phoff, 56 * phnum))
		return false;
	const struct elf_tls *t = &img->tls;
	if (t->present && (t->filesz > t->memsz || (t->align & (t->align - 1)) ||
	                   (t->filesz && sim_byte(img, b, t->vaddr + t->filesz - 1) < 0)))
		return false;
	return true;
}

/* ---- the templates, field by field ---- */

static void test_x86_exec(void)
{
	struct felf f = tmpl_x86();
	uint8_t *b = emit(&f);
	struct elf_image img;
	CHECK_EQ(elf_bytes_needed(b, 16), 64);
	CHECK_EQ(elf_bytes_needed(b, 64), 64 + 7 * 56);
	CHECK_EQ(elf_parse(b, f.size, f.size, EM_X86_64, &img), 0);
	CHECK(img.reason == NULL);
	CHECK_EQ(img.type, ET_EXEC);
	CHECK_EQ(img.load_bias, 0);
	CHECK_EQ(img.entry, 0x201e80);
	CHECK_EQ(img.phdr_addr, 0x200040);
	CHECK_EQ(img.phent, 56);
	CHECK_EQ(img.phnum, 7);
	CHECK_EQ(img.nsegs, 4);
	static const uint64_t want[4][9] = {
		{0x200000, 0xe74, 0, 0xe74, 0x200000, 0x201000, 0x200e74, 0x201000, 1},
		{0x201e80, 0x3adb, 0xe80, 0x3adb, 0x201000, 0x206000, 0x20595b, 0x206000, 5},
		{0x206960, 0x6a0, 0x4960, 0x18, 0x206000, 0x207000, 0x206978, 0x207000, 3},
		{0x207980, 0x7c0, 0x4980, 0x128, 0x207000, 0x209000, 0x207aa8, 0x208000, 3},
	};
	for (int i = 0; i < 4; i++) {
		const struct elf_segment *s = &img.segs[i];
		uint64_t got[9] = {s->vaddr, s->memsz, s->offset, s->filesz, s->map_start,
		                   s->map_end, s->file_end, s->file_page_end, s->prot};
		for (int k = 0; k < 9; k++)
			CHECK_EQ(got[k], want[i][k]);
	}
	CHECK_EQ(img.lo, 0x200000);
	CHECK_EQ(img.hi, 0x209000);
	CHECK_EQ(img.brk_start, 0x209000);
	CHECK(img.tls.present);
	CHECK_EQ(img.tls.vaddr, 0x207980);
	CHECK_EQ(img.tls.filesz, 0x10);
	CHECK_EQ(img.tls.memsz, 0x48);
	CHECK_EQ(img.tls.align, 8);
	CHECK(img.has_gnu_stack && !img.stack_exec && !img.has_interp);
	CHECK(plan_ok(&img, b, f.size, EM_X86_64));
	CHECK_EQ(elf_image_set_bias(&img, 0x1000), -EINVAL); /* ET_EXEC stays where it is */
	CHECK_EQ(elf_image_set_bias(&img, 0), 0);
	free(b);
	tap_point("x86_64 ET_EXEC: every field of the plan");
}

static void test_a64_dyn(void)
{
	struct felf f = tmpl_a64();
	uint8_t *b = emit(&f);
	struct elf_image img;
	const uint64_t bias = 0x555555560000; /* ELF_DYN_BASE rounded up to 64 KiB */
	CHECK_EQ(elf_parse(b, f.size, f.size, EM_AARCH64, &img), 0);
	CHECK_EQ(img.type, ET_DYN);
	CHECK_EQ(img.align, 0x10000);
	CHECK_EQ(img.load_bias, bias);
	CHECK_EQ(img.entry, bias + 0x12210);
	CHECK_EQ(img.phdr_addr, bias + 64); /* no PT_PHDR: from the segment holding e_phoff */
	CHECK_EQ(img.nsegs, 3);
	CHECK_EQ(img.segs[0].map_start, bias);
	CHECK_EQ(img.segs[0].map_end, bias + 0x2000);
	CHECK_EQ(img.segs[1].vaddr, bias + 0x12210);
	CHECK_EQ(img.segs[1].map_start, bias + 0x12000);
	CHECK_EQ(img.segs[1].map_end, bias + 0x17000);
	CHECK_EQ(img.segs[1].prot, ELF_PROT_READ | ELF_PROT_EXEC);
	CHECK_EQ(img.segs[2].file_end, bias + 0x26e20);
	CHECK_EQ(img.segs[2].file_page_end, bias + 0x27000);
	CHECK_EQ(img.brk_start, bias + 0x27000);
	CHECK(!img.tls.present);
	CHECK(plan_ok(&img, b, f.size, EM_AARCH64));

	struct elf_image moved = img;
	CHECK_EQ(elf_image_set_bias(&moved, 0x7f0000000000), 0);
	CHECK_EQ(moved.entry, 0x7f0000012210);
	CHECK_EQ(moved.phdr_addr, 0x7f0000000040);
	CHECK_EQ(moved.segs[2].map_end, 0x7f0000027000);
	CHECK(plan_ok(&moved, b, f.size, EM_AARCH64));
	CHECK_EQ(elf_image_set_bias(&moved, 0x7f0000001000), -EINVAL); /* not 64 KiB aligned */
	CHECK_EQ(elf_image_set_bias(&moved, 0), -EINVAL);              /* page 0 */
	CHECK_EQ(elf_image_set_bias(&moved, USER_TOP - 0x10000), -EINVAL);
	CHECK_EQ(elf_image_set_bias(&moved, USER_TOP - 0x30000), 0);   /* ends at USER_TOP - 0x9000 */
	CHECK_EQ(moved.entry, USER_TOP - 0x30000 + 0x12210);
	free(b);
	tap_point("aarch64 static-PIE ET_DYN: bias, AT_PHDR without PT_PHDR, elf_image_set_bias");
}

static void test_retyped(void)
{
	struct felf f = retype(tmpl_x86());
	uint8_t *b = emit(&f);
	struct elf_image img;
	CHECK_EQ(elf_parse(b, f.size, f.size, EM_X86_64, &img), 0);
	CHECK_EQ(img.load_bias, ELF_DYN_BASE - 0x200000); /* lowest page lands on the base */
	CHECK_EQ(img.lo, ELF_DYN_BASE);
	CHECK_EQ(img.phdr_addr, ELF_DYN_BASE + 0x40);
	CHECK(plan_ok(&img, b, f.size, EM_X86_64));
	free(b);
	f = retype(tmpl_a64());
	b = emit(&f);
	CHECK_EQ(elf_parse(b, f.size, f.size, EM_AARCH64, &img), 0);
	CHECK_EQ(img.entry, 0x412210);
	CHECK_EQ(img.lo, 0x400000);
	CHECK(plan_ok(&img, b, f.size, EM_AARCH64));
	free(b);
	f = tmpl_a64(); /* the PIE as ET_EXEC at its link address 0 */
	f.type = ET_EXEC;
	b = emit(&f);
	CHECK_EQ(elf_parse(b, f.size, f.size, EM_AARCH64, &img), -ENOEXEC);
	CHECK_STREQ(img.reason, "PT_LOAD below 0x10000 (mmap_min_addr)");
	free(b);
	tap_point("x86_64 ET_DYN linked high, aarch64 ET_EXEC, ET_EXEC in page 0 refused");
}

/* ---- every rule broken once ---- */

struct rawcase {
	const char *reason; /* expected reason prefix */
	unsigned off, size;
	uint64_t val;
};

static const struct rawcase raw_cases[] = {
	{"bad ELF magic", 0, 1, 0x7e}, {"bad ELF magic", 3, 1, 'f'},
	{"not a 64-bit", 4, 1, 1}, {"not a 64-bit", 4, 1, 0}, {"not little-endian", 5, 1, 2},
	{"bad EI_VERSION", 6, 1, 0}, {"not a SYSV", 7, 1, 9}, {"not an executable", 16, 2, 1},
	{"not an executable", 16, 2, 4}, {"not an executable", 16, 2, 0},
	{"wrong machine", 18, 2, EM_AARCH64}, {"wrong machine", 18, 2, 0},
	{"bad e_version", 20, 4, 0}, {"bad e_version", 20, 4, 2}, {"bad e_ehsize", 52, 2, 52},
	{"bad e_phentsize", 54, 2, 32}, {"bad e_phentsize", 54, 2, 0},
	{"no program headers", 56, 2, 0}, {"too many program headers", 56, 2, 74},
	{"too many program headers", 56, 2, 0xffff}, {"program headers overlap", 32, 8, 0},
	{"program headers overlap", 32, 8, 8}, {"program headers past the end", 32, 8, 0x4a00},
	{"program headers too far", 32, 8, ~0ull}, {"program headers too far", 32, 8, 0xfff0},
	{"entry point outside", 24, 8, 0}, {"entry point outside", 24, 8, 0x200100},
	{"entry point outside", 24, 8, 0x206960}, {"entry point outside", 24, 8, 0x20595b},
	{"PT_LOAD with p_filesz > p_memsz", PH(3, F_FILESZ), 8, 0x6a1},
	{"PT_LOAD past the end", PH(4, F_FILESZ), 8, 0x129},
	{"PT_LOAD past the end", PH(4, F_OFFSET), 8, ~0ull - 0x50},
	{"PT_LOAD with p_filesz > p_memsz", PH(2, F_FILESZ), 8, ~0ull},
	{"PT_LOAD p_align", PH(1, F_ALIGN), 8, 0x1800},
	{"PT_LOAD p_offset and p_vaddr", PH(2, F_VADDR), 8, 0x201e81},
	{"PT_LOAD segments share a page", PH(2, F_VADDR), 8, 0x200e80},
	{"overlapping PT_LOAD", PH(3, F_VADDR), 8, 0x204960},
	{"PT_LOAD beyond", PH(4, F_MEMSZ), 8, ~0ull},
	{"PT_LOAD beyond", PH(4, F_VADDR), 8, USER_TOP + 0x980},
	{"PT_LOAD beyond", PH(4, F_VADDR), 8, USER_TOP - 0x680},
	{"entry point outside", PH(2, F_FLAGS), 4, PF_R},
	{"entry point outside", PH(2, F_TYPE), 4, PT_NULL},
	{"PT_INTERP", PH(6, F_TYPE), 4, PT_INTERP},
	{"more than one PT_TLS", PH(6, F_TYPE), 4, PT_TLS},
	{"more than one PT_PHDR", PH(6, F_TYPE), 4, PT_PHDR},
	{"PT_PHDR does not", PH(0, F_VADDR), 8, 0x200048},
	{"PT_PHDR does not", PH(0, F_VADDR), 8, 0x300000},
	{"PT_TLS with p_filesz", PH(5, F_FILESZ), 8, 0x49},
	{"PT_TLS p_align", PH(5, F_ALIGN), 8, 3},
	{"PT_TLS image outside", PH(5, F_VADDR), 8, 0x300000},
	{"PT_TLS image outside", PH(5, F_VADDR), 8, 0x207aa0},
};

static void test_rules(void)
{
	struct felf f = tmpl_x86();
	uint8_t *b = emit(&f), *c = malloc(f.size);
	struct elf_image img;
	for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++) {
		const struct rawcase *rc = &raw_cases[i];
		memcpy(c, b, f.size);
		put(c + rc->off, rc->val, rc->size);
		int err = elf_parse(c, f.size, f.size, EM_X86_64, &img);
		CHECK_EQ(err, -ENOEXEC);
		if (!img.reason || strncmp(img.reason, rc->reason, strlen(rc->reason))) {
			printf("# case %zu: reason \"%s\", expected \"%s...\"\n", i,
			       img.reason ? img.reason : "(null)", rc->reason);
			tap_cur_failures++;
		}
		CHECK_EQ(img.nsegs, 0); /* nothing half-filled is left behind */
		CHECK(img.has_interp == (rc->val == PT_INTERP && rc->off == PH(6, F_TYPE)));
	}
	CHECK_EQ(elf_parse(b, f.size, f.size - 1, EM_X86_64, &img), -ENOEXEC);
	CHECK_STREQ(img.reason, "PT_LOAD past the end of the file (truncated?)");
	CHECK_EQ(elf_parse(b, 64 + 7 * 56 - 1, f.size, EM_X86_64, &img), -ENOEXEC);
	CHECK_STREQ(img.reason, "program headers past the buffer (see elf_bytes_needed)");
	CHECK_EQ(elf_parse(b, 64 + 7 * 56, f.size, EM_X86_64, &img), 0);
	CHECK_EQ(elf_parse(b, 63, f.size, EM_X86_64, &img), -ENOEXEC);
	CHECK_STREQ(img.reason, "truncated ELF header");
	free(b);
	free(c);
	tap_point("each header rule, broken alone, gives -ENOEXEC with its reason");
}

static int parse_felf(struct felf *f, unsigned machine, struct elf_image *img)
{
	uint8_t *b = emit(f);
	int err = elf_parse(b, f->size, f->size, machine, img);
	if (!err)
		CHECK(plan_ok(img, b, f->size, machine));
	free(b);
	return err;
}

static void test_variants(void)
{
	struct elf_image img;
	struct felf f = tmpl_x86();
	f.ph[6].flags |= PF_X;
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), 0);
	CHECK(img.has_gnu_stack && img.stack_exec);
	f.ph[6].type = PT_NOTE; /* no PT_GNU_STACK */
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), 0);
	CHECK(!img.has_gnu_stack && !img.stack_exec);
	f.ph[6] = (struct fph){PT_LOAD, PF_R, 0, 0, 0, 0, 0}; /* empty PT_LOAD: ignored */
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), 0);
	CHECK_EQ(img.nsegs, 4);
	f = tmpl_x86(); /* the table at the end of the file, outside every segment */
	f.ph[0].type = PT_NOTE;
	f.phoff = f.size;
	f.size += 7 * 56;
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), 0);
	CHECK_EQ(img.phdr_addr, 0);
	f.ph[0].type = PT_PHDR; /* a PT_PHDR that does not match */
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), -ENOEXEC);
	tap_point("PT_GNU_STACK, an empty PT_LOAD, program headers no segment maps");
}

static void test_limits(void)
{
	struct elf_image img;
	struct felf f = tmpl_x86(); /* ELF_MAX_SEGMENTS segments fit, one more does not */
	f.nph = 1 + ELF_MAX_SEGMENTS + 1;
	for (unsigned i = 1; i < f.nph; i++) {
		uint64_t v = 0x300000 + 0x1000 * i;
		f.ph[i] = (struct fph){PT_LOAD, PF_R | PF_X, 0x1000 * i, v, 0x10, 0x10, 0x1000};
	}
	f.ph[0].filesz = f.ph[0].memsz = 56 * f.nph;
	f.ph[0].vaddr = 0x300040;
	f.ph[1] = (struct fph){PT_LOAD, PF_R | PF_X, 0, 0x300000, 0x800, 0x800, 0x1000};
	f.entry = 0x300100;
	f.size = 0x1000 * f.nph + 0x10;
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), -ENOEXEC);
	CHECK_STREQ(img.reason, "too many PT_LOAD segments");
	f.nph--;
	f.ph[0].filesz = f.ph[0].memsz = 56 * f.nph;
	CHECK_EQ(parse_felf(&f, EM_X86_64, &img), 0);
	CHECK_EQ(img.nsegs, ELF_MAX_SEGMENTS);

	f = tmpl_a64();
	f.ph[0].align = 1ull << 47; /* the base rounds up to USER_TOP: no room */
	CHECK_EQ(parse_felf(&f, EM_AARCH64, &img), -ENOEXEC);
	CHECK_STREQ(img.reason, "no room for the image at its alignment");
	f.ph[0].align = 1ull << 62;
	CHECK_EQ(parse_felf(&f, EM_AARCH64, &img), -ENOEXEC);
	f.ph[0].align = 1ull << 21; /* 2 MiB: fine */
	CHECK_EQ(parse_felf(&f, EM_AARCH64, &img), 0);
	CHECK_EQ(img.load_bias, 0x555555600000);
	tap_point("at most ELF_MAX_SEGMENTS PT_LOADs; a huge p_align");
}

/* ---- truncation and mutation ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static long accepted, rejected;

/* Parse one candidate; any result other than a sound plan or -ENOEXEC is a failure. */
static void judge(const uint8_t *b, size_t buf_len, uint64_t file_size, unsigned machine)
{
	struct elf_image img;
	int err = elf_parse(b, buf_len, file_size, machine, &img);
	if (err == 0 && plan_ok(&img, b, file_size, machine)) {
		accepted++;
		return;
	}
	if (err == -ENOEXEC && img.reason && img.reason[0]) {
		rejected++;
		return;
	}
	printf("# mutation judged wrong: err %d reason %s\n", err, img.reason ? img.reason : "-");
	tap_cur_failures++;
}

static void test_truncations(const uint8_t *b, size_t size, unsigned machine, const char *name)
{
	size_t need = elf_bytes_needed(b, size);
	for (size_t len = 0; len < size; len++) {
		struct elf_image img;
		if (len < need)
			CHECK_EQ(elf_parse(b, len, size, machine, &img), -ENOEXEC);
		CHECK_EQ(elf_parse(b, size, len, machine, &img), -ENOEXEC); /* every file truncated */
		CHECK_EQ(elf_bytes_needed(b, len), len < 64 ? 64 : need);
	}
	char title[128];
	snprintf(title, sizeof(title), "%s: truncated at every length gives -ENOEXEC", name);
	tap_point(title);
}

static uint64_t interesting(uint64_t old, size_t size)
{
	static const uint64_t vals[] = {0, 1, 2, 3, 7, 8, 56, 64, 0xfff, 0x1000, 0x1001, 0xffff,
	                                0x10000, USER_TOP - 0x1000, USER_TOP, USER_TOP + 0x1000,
	                                1ull << 63, ~0ull, ~0ull - 0xfff, 0x555555554000};
	switch (rnd() % 6) {
	case 0: return vals[rnd() % (sizeof(vals) / sizeof(vals[0]))];
	case 1: return old + (rnd() % 5) - 2;
	case 2: return old ^ (1ull << (rnd() % 64));
	case 3: return old + (rnd() % 2 ? 0x1000 : -0x1000ull);
	case 4: return size + (rnd() % 3) - 1;
	default: return rnd() >> (rnd() % 64);
	}
}

static void mutate_field(uint8_t *c, size_t size, uint64_t phoff, unsigned nph)
{
	static const unsigned ef[][2] = {{4, 1}, {5, 1}, {6, 1}, {7, 1}, {16, 2}, {18, 2},
	                                 {20, 4}, {24, 8}, {32, 8}, {52, 2}, {54, 2}, {56, 2}};
	static const unsigned pf[][2] = {{0, 4}, {4, 4}, {8, 8}, {16, 8}, {32, 8}, {40, 8}, {48, 8}};
	uint64_t off;
	unsigned n;
	if (rnd() % 4 == 0 || nph == 0) {
		size_t k = rnd() % (sizeof(ef) / sizeof(ef[0]));
		off = ef[k][0], n = ef[k][1];
	} else {
		size_t k = rnd() % (sizeof(pf) / sizeof(pf[0]));
		off = phoff + 56 * (rnd() % nph) + pf[k][0], n = pf[k][1];
	}
	if (off + n <= size)
		put(c + off, interesting(get(c + off, n), size), n);
}

static void mutate(uint8_t *c, size_t size, uint64_t phoff, unsigned nph, size_t hdr_end)
{
	switch (rnd() % 5) {
	case 0: c[rnd() % hdr_end] ^= (uint8_t)(1u << (rnd() % 8)); break;
	case 1: c[rnd() % hdr_end] = (uint8_t)rnd(); break;
	case 2: c[rnd() % size] ^= (uint8_t)(1u << (rnd() % 8)); break;
	case 3:
		if (nph > 1) { /* swap two program headers */
			uint8_t tmp[56];
			uint8_t *x = c + phoff + 56 * (rnd() % nph), *y = c + phoff + 56 * (rnd() % nph);
			memcpy(tmp, x, 56), memmove(x, y, 56), memcpy(y, tmp, 56);
		}
		break;
	default: mutate_field(c, size, phoff, nph); break;
	}
}

static void fuzz(const uint8_t *b, size_t size, unsigned machine, long rounds, const char *name)
{
	uint8_t *c = malloc(size);
	uint64_t phoff = get(b + 32, 8);
	unsigned nph = (unsigned)get(b + 56, 2);
	size_t hdr_end = elf_bytes_needed(b, size);
	long acc0 = accepted, rej0 = rejected;
	for (long r = 0; r < rounds; r++) {
		memcpy(c, b, size);
		for (int m = 1 + (int)(rnd() % 4); m > 0; m--)
			mutate(c, size, phoff, nph, hdr_end);
		size_t buf_len = rnd() % 8 ? size : rnd() % (hdr_end + 1); /* sometimes truncated */
		uint64_t file_size = rnd() % 8 ? size : rnd() % (size + 1);
		judge(c, buf_len, file_size, machine);
		judge(c, buf_len, file_size, machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64);
	}
	free(c);
	printf("# %s: of %ld parses (own and other machine), %ld gave a sound plan, %ld -ENOEXEC\n",
	       name, 2 * rounds, accepted - acc0, rejected - rej0);
	CHECK(accepted > acc0 && rejected > rej0);
	char title[128];
	snprintf(title, sizeof(title), "%s: %ld random mutations, each -ENOEXEC or a sound plan",
	         name, rounds);
	tap_point(title);
}

static void test_synthetic_fuzz(void)
{
	struct felf t[4] = {tmpl_x86(), retype(tmpl_x86()), tmpl_a64(), retype(tmpl_a64())};
	const char *names[4] = {"x86_64 ET_EXEC", "x86_64 ET_DYN", "aarch64 ET_DYN",
	                        "aarch64 ET_EXEC"};
	for (int i = 0; i < 4; i++) {
		uint8_t *b = emit(&t[i]);
		test_truncations(b, t[i].size, t[i].machine, names[i]);
		fuzz(b, t[i].size, t[i].machine, 15000, names[i]);
		free(b);
	}
}

/* ---- real binaries ---- */

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	*size = fread(b, 1, (size_t)n, fp);
	fclose(fp);
	return b;
}

/* Build the initial stack for img and check musl's view of it: AT_PHDR holds the table, and
 * (static PIE) AT_PHDR - PT_PHDR.p_vaddr is the load bias. */
static void check_with_stack(const struct elf_image *img, const uint8_t *b)
{
	static uint8_t stack[8192];
	static const uint8_t rnd16[16] = {1, 2, 3};
	const char *argv[] = {"prog"};
	struct exec_stack_in in = {.argv = argv, .argc = 1, .execfn = "/bin/prog", .random = rnd16,
	                           .phdr = img->phdr_addr, .phent = img->phent,
	                           .phnum = img->phnum, .entry = img->entry};
	struct exec_stack_out out;
	const uint64_t top = 0x7ffffffff000;
	CHECK_EQ(exec_stack_build(&in, stack, sizeof(stack), top, &out), 0);
	const uint8_t *aux = stack + sizeof(stack) - (top - out.auxv);
	uint64_t phdr = 0, entry = 0, w[2];
	for (; memcpy(w, aux, 16), w[0] != AT_NULL; aux += 16) {
		phdr = w[0] == AT_PHDR ? w[1] : phdr;
		entry = w[0] == AT_ENTRY ? w[1] : entry;
	}
	CHECK_EQ(entry, img->entry);
	CHECK(phdr && sim_equal(img, b, phdr, b + get(b + 32, 8), 56 * img->phnum));
	for (unsigned i = 0; i < img->phnum; i++) {
		uint8_t ph[56];
		for (int k = 0; k < 56; k++)
			ph[k] = (uint8_t)sim_byte(img, b, phdr + 56 * i + k);
		if (get(ph, 4) == PT_PHDR)
			CHECK_EQ(phdr - get(ph + 16, 8), img->load_bias);
	}
}

static void test_real(unsigned machine, const char *path)
{
	size_t size = 0;
	uint8_t *b = slurp(path, &size);
	char title[300];
	snprintf(title, sizeof(title), "real file %s (machine %u)", path, machine);
	CHECK(b != NULL);
	if (!b) {
		tap_point(title);
		return;
	}
	struct elf_image img;
	size_t need = elf_bytes_needed(b, size < ELF_HDR_READ ? size : ELF_HDR_READ);
	CHECK(need <= ELF_HDR_READ);
	int err = elf_parse(b, need, size, machine, &img);
	CHECK_EQ(err, 0);
	if (err)
		printf("# %s: %s\n", path, img.reason);
	CHECK(plan_ok(&img, b, size, machine));
	CHECK(img.phdr_addr != 0);
	if (img.type == ET_DYN)
		CHECK_EQ(img.lo, (ELF_DYN_BASE + img.align - 1) & ~(img.align - 1));
	printf("# %s: %s, %u segments, entry %#llx, AT_PHDR %#llx, brk %#llx, tls %d\n", path,
	       img.type == ET_DYN ? "ET_DYN" : "ET_EXEC", img.nsegs, (unsigned long long)img.entry,
	       (unsigned long long)img.phdr_addr, (unsigned long long)img.brk_start,
	       img.tls.present);
	if (!err)
		check_with_stack(&img, b);
	CHECK_EQ(elf_parse(b, size, size, machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64, &img),
	         -ENOEXEC);
	tap_point(title);
	snprintf(title, sizeof(title), "mutated %s", path);
	fuzz(b, size, machine, 4000, title);
	free(b);
}

/* ---- "#!" ---- */

struct scase {
	const char *text;
	size_t len; /* 0: strlen */
	int err;
	const char *interp, *arg; /* arg NULL: none */
};

static void test_script(void)
{
	static const struct scase cases[] = {
		{"#!/bin/sh\necho hi\n", 0, 0, "/bin/sh", NULL},
		{"#! /bin/sh -e \n", 0, 0, "/bin/sh", "-e"},
		{"#!/usr/bin/env python3 -u -x\n", 0, 0, "/usr/bin/env", "python3 -u -x"},
		{"#!\t/bin/sh\t\targ  with  spaces\t \n", 0, 0, "/bin/sh", "arg  with  spaces"},
		{"#!/bin/sh", 0, 0, "/bin/sh", NULL}, /* no newline, short file */
		{"#!/bin/sh\r\n", 0, 0, "/bin/sh\r", NULL}, /* CR is not a blank, as on Linux */
		{"#!/bin/sh\0-e\n", 13, 0, "/bin/sh", NULL},
		{"#!/bin/sh \0abc\n", 15, 0, "/bin/sh", ""},
		{"#!", 0, -ENOEXEC, NULL, NULL}, /* Linux tries to open "" (ENOENT) */
		{"#!\0/bin/sh\n", 12, -ENOEXEC, NULL, NULL},
		{"#!\n", 0, -ENOEXEC, NULL, NULL},
		{"#!   \t \nfoo", 0, -ENOEXEC, NULL, NULL},
		{"#/bin/sh\n", 0, -ENOEXEC, NULL, NULL},
		{"\177ELF", 0, -ENOEXEC, NULL, NULL},
		{"", 0, -ENOEXEC, NULL, NULL},
	};
	struct script_interp si;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		int err = script_parse(c->text, c->len ? c->len : strlen(c->text), &si);
		CHECK_EQ(err, c->err);
		if (err)
			continue;
		CHECK_STREQ(si.interp, c->interp);
		CHECK(si.has_arg == (c->arg != NULL));
		if (c->arg)
			CHECK_STREQ(si.arg, c->arg);
	}
	char big[400];
	memset(big, 'a', sizeof(big));
	memcpy(big, "#!/", 3); /* an interpreter path longer than the buffer: truncated, refused */
	CHECK_EQ(script_parse(big, sizeof(big), &si), -ENOEXEC);
	memcpy(big, "#!/bin/sh ", 10); /* a long argument is cut at byte 255 */
	CHECK_EQ(script_parse(big, sizeof(big), &si), 0);
	CHECK_STREQ(si.interp, "/bin/sh");
	CHECK_EQ(strlen(si.arg), 245);
	big[300] = '\n'; /* a newline past the buffer changes nothing */
	CHECK_EQ(script_parse(big, sizeof(big), &si), 0);
	CHECK_EQ(strlen(si.arg), 245);
	tap_point("script_parse follows Linux's #! rules");
}

static void test_script_argv(void)
{
	struct script_interp si;
	const char *out[8], *argv[] = {"./s.sh", "one", "two"};
	CHECK_EQ(script_parse("#!/bin/sh -x\n", 13, &si), 0);
	CHECK_EQ(script_argv(&si, "/tmp/s.sh", argv, 3, out, 8), 5);
	CHECK_STREQ(out[0], "/bin/sh");
	CHECK_STREQ(out[1], "-x");
	CHECK_STREQ(out[2], "/tmp/s.sh");
	CHECK_STREQ(out[3], "one");
	CHECK_STREQ(out[4], "two");
	CHECK_EQ(script_argv(&si, "/tmp/s.sh", argv, 3, out, 4), -E2BIG);
	CHECK_EQ(script_argv(&si, "/tmp/s.sh", NULL, 0, out, 8), 3); /* empty argv */
	CHECK_EQ(script_parse("#!/bin/sh\n", 10, &si), 0);
	CHECK_EQ(script_argv(&si, "s", argv, 1, out, 8), 2);
	CHECK_STREQ(out[1], "s");

	char junk[SCRIPT_BUF_SIZE + 8]; /* random lines never fault and give sane strings */
	for (int r = 0; r < 20000; r++) {
		size_t n = rnd() % sizeof(junk);
		for (size_t i = 0; i < n; i++)
			junk[i] = "#! \t\n\0ab/"[rnd() % 9];
		if (n >= 2 && rnd() % 2)
			junk[0] = '#', junk[1] = '!';
		if (script_parse(junk, n, &si) == 0) {
			CHECK(si.interp[0] && !strpbrk(si.interp, " \t\n"));
			CHECK(!strchr(si.arg, '\n'));
			CHECK(strlen(si.interp) + strlen(si.arg) < SCRIPT_BUF_SIZE);
		}
	}
	tap_point("script_argv builds [interp, arg, path, argv[1..]]; random lines are safe");
}

int main(int argc, char **argv)
{
	test_x86_exec();
	test_a64_dyn();
	test_retyped();
	test_rules();
	test_variants();
	test_limits();
	test_synthetic_fuzz();
	for (int i = 1; i + 1 < argc; i += 2)
		test_real((unsigned)strtoul(argv[i], NULL, 0), argv[i + 1]);
	test_script();
	test_script_argv();
	return tap_done();
}
