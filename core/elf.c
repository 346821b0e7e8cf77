/*
 * core/elf.c: ELF validation and the loading plan (core/elf.h), and "#!" line parsing.
 *
 * Design: the file's bytes are never trusted and never cast to structs. Fields are decoded
 * byte by byte (little-endian, so the host suite decodes exactly what the kernel does), every
 * offset and size is checked for overflow before use, and the first failed rule returns
 * -ENOEXEC with a static reason. The plan is built in the file's link addresses first, then
 * shifted by the load bias once the whole image is known to fit.
 *
 * Rules beyond what Linux enforces, chosen so exec can map each segment independently:
 *   - PT_LOAD segments may not overlap or even share a page (Linux lets a later mmap win);
 *   - p_offset and p_vaddr must be congruent modulo the page size (Linux maps garbage);
 *   - the entry point must lie in the file-backed part of an executable segment;
 *   - PT_PHDR, when present, must describe the real program header table inside a segment;
 *   - at most ELF_MAX_SEGMENTS non-empty PT_LOADs, one PT_TLS, one PT_PHDR, and the table
 *     must end within the first ELF_HDR_MAX bytes (real linkers put it at offset 64);
 *   - EI_OSABI must be SYSV (0) or GNU/Linux (3); e_ehsize must be 64.
 * Section headers are ignored, as Linux does: nothing in them matters to loading.
 * Limits taken from Linux: at most 4096 bytes of program headers, nothing below 0x10000.
 */
#include "core/elf.h"

#include "core/errno.h"
#include "core/layout.h"
#include "core/string.h"

#define PAGE_MASK (ELF_PAGE_SIZE - 1)

static uint64_t page_down(uint64_t v)
{
	return v & ~PAGE_MASK;
}

/* Callers guarantee v <= USER_TOP, so this cannot overflow. */
static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Little-endian field of n bytes. */
static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* ---- decoded headers ---- */

struct ehdr {
	unsigned type, machine, ehsize, phentsize, phnum;
	uint32_t version;
	uint64_t entry, phoff;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

/* Parse state: the image being filled plus what only the checks need. */
struct ctx {
	struct elf_image *img;
	const uint8_t *buf;
	uint64_t file_size;
	struct ehdr eh;
	bool has_phdr, has_tls;
	uint64_t phdr_vaddr;   /* PT_PHDR's p_vaddr */
};

static int fail(struct elf_image *img, const char *why)
{
	img->reason = why;
	return -ENOEXEC;
}

static void read_ehdr(const uint8_t *p, struct ehdr *eh)
{
	eh->type = (unsigned)rd(p + 16, 2);
	eh->machine = (unsigned)rd(p + 18, 2);
	eh->version = (uint32_t)rd(p + 20, 4);
	eh->entry = rd(p + 24, 8);
	eh->phoff = rd(p + 32, 8);
	eh->ehsize = (unsigned)rd(p + 52, 2);
	eh->phentsize = (unsigned)rd(p + 54, 2);
	eh->phnum = (unsigned)rd(p + 56, 2);
}

static void read_phdr(const uint8_t *p, struct phdr *ph)
{
	ph->type = (uint32_t)rd(p, 4);
	ph->flags = (uint32_t)rd(p + 4, 4);
	ph->offset = rd(p + 8, 8);
	ph->vaddr = rd(p + 16, 8);
	ph->filesz = rd(p + 32, 8);
	ph->memsz = rd(p + 40, 8);
	ph->align = rd(p + 48, 8);
}

/* ---- the ELF header ---- */

static int check_ident(const uint8_t *p, struct elf_image *img)
{
	if (p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
		return fail(img, "bad ELF magic");
	if (p[4] != 2)
		return fail(img, "not a 64-bit ELF file (EI_CLASS)");
	if (p[5] != 1)
		return fail(img, "not little-endian (EI_DATA)");
	if (p[6] != 1)
		return fail(img, "bad EI_VERSION");
	if (p[7] != 0 && p[7] != 3)
		return fail(img, "not a SYSV or GNU/Linux binary (EI_OSABI)");
	return 0;
}

/* The fields of the ELF header itself, and where the program header table lies. */
static int check_ehdr(struct ctx *c, size_t avail, unsigned machine)
{
	const struct ehdr *eh = &c->eh;
	struct elf_image *img = c->img;

	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return fail(img, "not an executable (e_type is neither ET_EXEC nor ET_DYN)");
	if (eh->machine != machine)
		return fail(img, "wrong machine (e_machine)");
	if (eh->version != 1)
		return fail(img, "bad e_version");
	if (eh->ehsize != ELF_EHDR_SIZE)
		return fail(img, "bad e_ehsize");
	if (eh->phentsize != ELF_PHDR_SIZE)
		return fail(img, "bad e_phentsize");
	if (eh->phnum == 0)
		return fail(img, "no program headers");
	if (eh->phnum > ELF_MAX_PHNUM)
		return fail(img, "too many program headers");
	if (eh->phoff < ELF_EHDR_SIZE)
		return fail(img, "program headers overlap the ELF header");
	uint64_t size = (uint64_t)eh->phnum * ELF_PHDR_SIZE;
	if (eh->phoff > ELF_HDR_MAX || eh->phoff + size > ELF_HDR_MAX)
		return fail(img, "program headers too far into the file");
	if (eh->phoff + size > c->file_size)
		return fail(img, "program headers past the end of the file");
	if (eh->phoff + size > avail)
		return fail(img, "program headers past the buffer (see elf_bytes_needed)");
	return 0;
}

size_t elf_bytes_needed(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (len < ELF_EHDR_SIZE)
		return ELF_EHDR_SIZE;
	struct ehdr eh;
	read_ehdr(p, &eh);
	if (p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F' ||
	    eh.phentsize != ELF_PHDR_SIZE || eh.phnum == 0 || eh.phnum > ELF_MAX_PHNUM ||
	    eh.phoff > ELF_HDR_MAX)
		return len;
	uint64_t end = eh.phoff + (uint64_t)eh.phnum * ELF_PHDR_SIZE;
	if (end > ELF_HDR_MAX)
		return len;
	return end < ELF_EHDR_SIZE ? ELF_EHDR_SIZE : (size_t)end;
}

/* ---- program headers ---- */

static unsigned prot_of(uint32_t flags)
{
	return (flags & PF_R ? ELF_PROT_READ : 0) | (flags & PF_W ? ELF_PROT_WRITE : 0) |
	       (flags & PF_X ? ELF_PROT_EXEC : 0);
}

/* One PT_LOAD, in link addresses; a non-empty one is appended to img->segs. */
static int add_load(struct ctx *c, const struct phdr *ph)
{
	struct elf_image *img = c->img;

	if (ph->filesz > ph->memsz)
		return fail(img, "PT_LOAD with p_filesz > p_memsz");
	if (ph->filesz && (ph->offset > c->file_size || ph->filesz > c->file_size - ph->offset))
		return fail(img, "PT_LOAD past the end of the file (truncated?)");
	if (ph->align > 1 && !is_pow2(ph->align))
		return fail(img, "PT_LOAD p_align is not a power of two");
	if ((ph->vaddr ^ ph->offset) & PAGE_MASK)
		return fail(img, "PT_LOAD p_offset and p_vaddr differ modulo the page size");
	if (ph->memsz == 0)
		return 0; /* maps nothing */
	if (ph->vaddr >= USER_TOP || ph->memsz > USER_TOP - ph->vaddr)
		return fail(img, "PT_LOAD beyond the user address space");
	if (img->nsegs == ELF_MAX_SEGMENTS)
		return fail(img, "too many PT_LOAD segments");

	struct elf_segment *s = &img->segs[img->nsegs++];
	s->vaddr = ph->vaddr;
	s->memsz = ph->memsz;
	s->offset = ph->offset;
	s->filesz = ph->filesz;
	s->map_start = page_down(ph->vaddr);
	s->map_end = page_up(ph->vaddr + ph->memsz);
	s->file_end = ph->vaddr + ph->filesz;
	s->file_page_end = page_up(s->file_end) < s->map_end ? page_up(s->file_end) : s->map_end;
	s->prot = prot_of(ph->flags);
	if (ph->align > img->align)
		img->align = ph->align;
	return 0;
}

static int add_tls(struct ctx *c, const struct phdr *ph)
{
	struct elf_image *img = c->img;
	if (c->has_tls)
		return fail(img, "more than one PT_TLS");
	if (ph->filesz > ph->memsz)
		return fail(img, "PT_TLS with p_filesz > p_memsz");
	if (ph->align > 1 && !is_pow2(ph->align))
		return fail(img, "PT_TLS p_align is not a power of two");
	c->has_tls = true;
	img->tls.present = true;
	img->tls.vaddr = ph->vaddr;
	img->tls.filesz = ph->filesz;
	img->tls.memsz = ph->memsz;
	img->tls.align = ph->align ? ph->align : 1;
	return 0;
}

static int one_phdr(struct ctx *c, const struct phdr *ph)
{
	struct elf_image *img = c->img;
	switch (ph->type) {
	case PT_LOAD:
		return add_load(c, ph);
	case PT_INTERP:
		img->has_interp = true;
		return fail(img, "PT_INTERP: dynamically linked programs are not supported");
	case PT_PHDR:
		if (c->has_phdr)
			return fail(img, "more than one PT_PHDR");
		c->has_phdr = true;
		c->phdr_vaddr = ph->vaddr;
		return 0;
	case PT_TLS:
		return add_tls(c, ph);
	case PT_GNU_STACK:
		img->has_gnu_stack = true;
		img->stack_exec = (ph->flags & PF_X) != 0;
		return 0;
	default:
		return 0; /* PT_NULL, PT_DYNAMIC, PT_NOTE, PT_GNU_RELRO, ...: nothing to map */
	}
}

static int walk_phdrs(struct ctx *c)
{
	for (unsigned i = 0; i < c->eh.phnum; i++) {
		struct phdr ph;
		read_phdr(c->buf + c->eh.phoff + (uint64_t)i * ELF_PHDR_SIZE, &ph);
		int err = one_phdr(c, &ph);
		if (err)
			return err;
	}
	if (c->img->nsegs == 0)
		return fail(c->img, "no PT_LOAD segment");
	return 0;
}

/* ---- whole-image checks (link addresses) ---- */

static int check_overlap(struct elf_image *img)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *a = &img->segs[i];
		for (unsigned j = i + 1; j < img->nsegs; j++) {
			const struct elf_segment *b = &img->segs[j];
			if (a->map_start >= b->map_end || b->map_start >= a->map_end)
				continue;
			if (a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz)
				return fail(img, "overlapping PT_LOAD segments");
			return fail(img, "PT_LOAD segments share a page");
		}
	}
	return 0;
}

/* The segment whose file-backed bytes hold [addr, addr + len), or NULL. */
static const struct elf_segment *file_backed(const struct elf_image *img, uint64_t addr,
                                             uint64_t len)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if (addr >= s->vaddr && addr <= s->file_end && len <= s->file_end - addr)
			return s;
	}
	return NULL;
}

static int check_entry(struct elf_image *img, uint64_t entry)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if ((s->prot & ELF_PROT_EXEC) && entry >= s->vaddr && entry < s->file_end)
			return 0;
	}
	return fail(img, "entry point outside every executable segment");
}

/* AT_PHDR in link addresses; *mapped is false when no segment holds the table. */
static int find_phdr(struct ctx *c, uint64_t *addr, bool *mapped)
{
	uint64_t size = (uint64_t)c->eh.phnum * ELF_PHDR_SIZE;
	*mapped = false;
	if (c->has_phdr) {
		const struct elf_segment *s = file_backed(c->img, c->phdr_vaddr, size);
		if (!s || s->offset + (c->phdr_vaddr - s->vaddr) != c->eh.phoff)
			return fail(c->img, "PT_PHDR does not describe the mapped program headers");
		*addr = c->phdr_vaddr;
		*mapped = true;
		return 0;
	}
	for (unsigned i = 0; i < c->img->nsegs; i++) {
		const struct elf_segment *s = &c->img->segs[i];
		if (c->eh.phoff >= s->offset && c->eh.phoff - s->offset <= s->filesz &&
		    size <= s->filesz - (c->eh.phoff - s->offset)) {
			*addr = s->vaddr + (c->eh.phoff - s->offset);
			*mapped = true;
			return 0;
		}
	}
	*addr = 0;
	return 0;
}

static int check_tls(struct elf_image *img)
{
	if (img->tls.present && img->tls.filesz &&
	    !file_backed(img, img->tls.vaddr, img->tls.filesz))
		return fail(img, "PT_TLS image outside the file-backed segments");
	return 0;
}

static void span(struct elf_image *img)
{
	img->lo = UINT64_MAX;
	img->hi = 0;
	for (unsigned i = 0; i < img->nsegs; i++) {
		if (img->segs[i].map_start < img->lo)
			img->lo = img->segs[i].map_start;
		if (img->segs[i].map_end > img->hi)
			img->hi = img->segs[i].map_end;
	}
	img->brk_start = img->hi;
}

/* ---- load bias ---- */

/* Add delta (mod 2^64) to every address of the image. */
static void shift(struct elf_image *img, uint64_t delta, bool phdr_mapped)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		struct elf_segment *s = &img->segs[i];
		s->vaddr += delta;
		s->map_start += delta;
		s->map_end += delta;
		s->file_end += delta;
		s->file_page_end += delta;
	}
	img->entry += delta;
	if (phdr_mapped)
		img->phdr_addr += delta;
	if (img->tls.present)
		img->tls.vaddr += delta;
	img->lo += delta;
	img->hi += delta;
	img->brk_start += delta;
	img->load_bias += delta;
}

/* Would the image, moved so its lowest page is at new_lo, fit the user address space? */
static bool fits_at(const struct elf_image *img, uint64_t new_lo)
{
	return new_lo >= ELF_MIN_VADDR && new_lo < USER_TOP && img->hi - img->lo <= USER_TOP - new_lo;
}

/* ET_DYN: put the lowest page at ELF_DYN_BASE rounded up to the image's alignment. */
static int place_dyn(struct elf_image *img, bool phdr_mapped)
{
	uint64_t a = img->align;
	if (a > USER_TOP)
		return fail(img, "PT_LOAD p_align too large to place the image");
	uint64_t base = (ELF_DYN_BASE + a - 1) & ~(a - 1);
	uint64_t lo_aligned = img->lo & ~(a - 1);
	uint64_t new_lo = base + (img->lo - lo_aligned);
	if (!fits_at(img, new_lo))
		return fail(img, "no room for the image at its alignment");
	shift(img, base - lo_aligned, phdr_mapped);
	return 0;
}

static int place(struct elf_image *img, bool phdr_mapped)
{
	if (img->type == ET_DYN)
		return place_dyn(img, phdr_mapped);
	if (img->lo < ELF_MIN_VADDR)
		return fail(img, "PT_LOAD below 0x10000 (mmap_min_addr)");
	return 0;
}

int elf_image_set_bias(struct elf_image *img, uint64_t bias)
{
	if (img->type != ET_DYN)
		return bias == img->load_bias ? 0 : -EINVAL;
	if (bias & (img->align - 1))
		return -EINVAL;
	uint64_t delta = bias - img->load_bias;
	if (!fits_at(img, img->lo + delta))
		return -EINVAL;
	shift(img, delta, img->phdr_addr != 0);
	return 0;
}

/* ---- elf_parse ---- */

static int parse(struct ctx *c, size_t avail, unsigned machine)
{
	struct elf_image *img = c->img;
	int err;
	if (avail < ELF_EHDR_SIZE)
		return fail(img, "truncated ELF header");
	if ((err = check_ident(c->buf, img)))
		return err;
	read_ehdr(c->buf, &c->eh);
	if ((err = check_ehdr(c, avail, machine)) || (err = walk_phdrs(c)))
		return err;
	img->type = c->eh.type;
	img->machine = c->eh.machine;
	img->entry = c->eh.entry;
	img->phent = ELF_PHDR_SIZE;
	img->phnum = c->eh.phnum;
	bool phdr_mapped;
	if ((err = check_overlap(img)) || (err = check_entry(img, c->eh.entry)) ||
	    (err = find_phdr(c, &img->phdr_addr, &phdr_mapped)) || (err = check_tls(img)))
		return err;
	span(img);
	return place(img, phdr_mapped);
}

int elf_parse(const void *hdr_buf, size_t buf_len, uint64_t file_size, unsigned expected_machine,
              struct elf_image *out)
{
	struct ctx c = {.img = out, .buf = hdr_buf, .file_size = file_size};
	size_t avail = buf_len < file_size ? buf_len : (size_t)file_size;

	memset(out, 0, sizeof(*out));
	out->align = ELF_PAGE_SIZE;
	int err = parse(&c, avail, expected_machine);
	if (err) {
		const char *why = out->reason;
		bool interp = out->has_interp;
		memset(out, 0, sizeof(*out));
		out->reason = why;
		out->has_interp = interp;
	}
	return err;
}

/* ---- "#!" scripts ---- */

static bool spacetab(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool terminator(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\0';
}

/* First index in [from, to] (inclusive) whose byte is not a space/tab, or -1. */
static int next_non_spacetab(const char *b, int from, int to)
{
	for (int i = from; i <= to; i++)
		if (!spacetab(b[i]))
			return i;
	return -1;
}

static int next_terminator(const char *b, int from, int to)
{
	for (int i = from; i <= to; i++)
		if (terminator(b[i]))
			return i;
	return -1;
}

/* Index just past the line ("\n" or, without one, the buffer's last byte), or -1. */
static int line_end(const char *b)
{
	const char *nl = memchr(b, '\n', SCRIPT_BUF_SIZE);
	if (nl)
		return (int)(nl - b);
	int first = next_non_spacetab(b, 2, SCRIPT_BUF_SIZE - 1);
	if (first < 0 || next_terminator(b, first, SCRIPT_BUF_SIZE - 1) < 0)
		return -1; /* only blanks, or an interpreter path that may be truncated */
	return SCRIPT_BUF_SIZE - 1;
}

/* Copy b[from, to) up to its first NUL into dst (SCRIPT_BUF_SIZE bytes). */
static void copy_field(char *dst, const char *b, int from, int to)
{
	size_t n = strnlen(b + from, (size_t)(to - from));
	memcpy(dst, b + from, n);
	dst[n] = '\0';
}

int script_parse(const char *buf, size_t len, struct script_interp *out)
{
	char b[SCRIPT_BUF_SIZE];
	size_t n = len < sizeof(b) ? len : sizeof(b);

	memset(out, 0, sizeof(*out));
	memset(b, 0, sizeof(b));
	memcpy(b, buf, n);
	if (b[0] != '#' || b[1] != '!')
		return -ENOEXEC;
	int end = line_end(b);
	if (end < 0)
		return -ENOEXEC;
	while (spacetab(b[end - 1]))
		end--; /* stops at the '!' */
	int name = next_non_spacetab(b, 2, end);
	if (name < 0 || name == end)
		return -ENOEXEC;
	int sep = next_terminator(b, name, end);
	if (sep == name)
		return -ENOEXEC; /* a NUL right away: Linux would try to open "" */
	copy_field(out->interp, b, name, sep < 0 ? end : sep);
	if (sep >= 0 && b[sep] != '\0') {
		int arg = next_non_spacetab(b, sep, end);
		if (arg >= 0 && arg < end) {
			copy_field(out->arg, b, arg, end);
			out->has_arg = true;
		}
	}
	return 0;
}

long script_argv(const struct script_interp *si, const char *script_path,
                 const char *const *argv, size_t argc, const char **out, size_t cap)
{
	size_t rest = argc > 1 ? argc - 1 : 0;
	size_t need = 2 + (si->has_arg ? 1 : 0) + rest;
	if (need > cap)
		return -E2BIG;
	size_t k = 0;
	out[k++] = si->interp;
	if (si->has_arg)
		out[k++] = si->arg;
	out[k++] = script_path;
	for (size_t i = 1; i < argc; i++)
		out[k++] = argv[i];
	return (long)k;
}
