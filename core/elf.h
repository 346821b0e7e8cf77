/*
 * core/elf.h: validate an ELF executable and turn it into a loading plan; parse "#!" lines.
 *
 * Pure logic: no memory mapping, no file I/O, no architecture knowledge. exec reads the start
 * of the file, elf_parse() checks every header field it relies on and fills struct elf_image
 * with what the kernel must map (page-aligned segments, the entry point, AT_PHDR, the TLS
 * template, the brk start); exec then maps it and builds the stack (core/exec_stack.h).
 * The machine (EM_X86_64 or EM_AARCH64) comes from the port, so this file never tests an
 * architecture. Every malformed file gives -ENOEXEC with a reason string, never a fault.
 *
 * Supported: 64-bit little-endian ELF, ET_EXEC (loaded at its link addresses) and ET_DYN
 * without PT_INTERP (static PIE, loaded at ELF_DYN_BASE or a caller-chosen bias; the program
 * relocates itself). PT_INTERP (dynamically linked programs) is refused with -ENOEXEC.
 *
 * Typical use:
 *   read min(file_size, ELF_HDR_READ) bytes at offset 0 into buf;
 *   need = elf_bytes_needed(buf, n); if need > n, read the first `need` bytes instead;
 *   err = elf_parse(buf, n, file_size, ARCH_ELF_MACHINE, &img);   // img.reason on error
 *   for each img.segs[i]: map it as described at struct elf_segment;
 *   brk starts at img.brk_start; sp and auxv from core/exec_stack.c with img.entry,
 *   img.phdr_addr, img.phent, img.phnum.
 */
#ifndef CORE_ELF_H
#define CORE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* e_machine values the ports pass in. */
#define EM_X86_64 62
#define EM_AARCH64 183

/* e_type values. */
#define ET_EXEC 2
#define ET_DYN 3

/* Program header types this loader looks at (the others are ignored). */
#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551u
#define PT_GNU_RELRO 0x6474e552u

/* p_flags. */
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

/* Segment protections in struct elf_segment (bit-compatible with PROT_READ/WRITE/EXEC). */
#define ELF_PROT_READ 1u
#define ELF_PROT_WRITE 2u
#define ELF_PROT_EXEC 4u

#define ELF_EHDR_SIZE 64
#define ELF_PHDR_SIZE 56
#define ELF_PAGE_SIZE 4096ull

/* Limits (see elf.c for the reasons). */
#define ELF_MAX_PHNUM (4096 / ELF_PHDR_SIZE) /* Linux: the table must fit in one page */
#define ELF_MAX_SEGMENTS 16                  /* PT_LOAD entries with memsz > 0 */
#define ELF_HDR_MAX 0x10000ull     /* the program headers must end within the first 64 KiB */
#define ELF_HDR_READ 4096          /* what exec should read first: enough for every normal file */
#define ELF_MIN_VADDR 0x10000ull   /* nothing is mapped below (Linux's mmap_min_addr default) */
#define ELF_DYN_BASE 0x555555554000ull /* default load address of a static PIE (2/3 of 2^47) */

/*
 * One PT_LOAD as the kernel must map it. The pages [map_start, map_end) get protection prot;
 * within them, the bytes [vaddr, file_end) are the file's bytes [offset, offset + filesz) and
 * every other byte is zero. That recipe is enough for a loader that copies into fresh zeroed
 * pages. A loader that maps whole file pages (Linux style: file page page_down(offset) at
 * map_start, through page_up(file_end)) must instead zero [file_end, file_page_end) itself
 * when memsz > filesz (the "bss" that shares the last file page) and use fresh zero pages for
 * [file_page_end, map_end). The segments of one image never share a page.
 */
struct elf_segment {
	uint64_t vaddr;         /* p_vaddr + load bias: first byte of the segment */
	uint64_t memsz;         /* p_memsz (> 0) */
	uint64_t offset;        /* p_offset: file offset of vaddr */
	uint64_t filesz;        /* p_filesz (<= memsz; may be 0 for a pure bss segment) */
	uint64_t map_start;     /* page_down(vaddr) */
	uint64_t map_end;       /* page_up(vaddr + memsz) */
	uint64_t file_end;      /* vaddr + filesz: zero from here on */
	uint64_t file_page_end; /* min(page_up(file_end), map_end) */
	unsigned prot;          /* ELF_PROT_* from p_flags */
};

/* The PT_TLS template (musl and the thread code read it through AT_PHDR; exec may ignore it). */
struct elf_tls {
	bool present;
	uint64_t vaddr;         /* initialisation image, load bias applied */
	uint64_t filesz, memsz; /* image size, total size (the rest is zeroed) */
	uint64_t align;         /* power of two, >= 1 */
};

struct elf_image {
	unsigned type;          /* ET_EXEC or ET_DYN */
	unsigned machine;
	uint64_t load_bias;     /* added to every p_vaddr: 0 for ET_EXEC */
	uint64_t align;         /* largest PT_LOAD p_align (>= ELF_PAGE_SIZE): a bias must be a
	                         * multiple of it */
	uint64_t entry;         /* e_entry + bias (AT_ENTRY); inside an executable segment */
	uint64_t phdr_addr;     /* AT_PHDR: where the program headers are in memory, or 0 when no
	                         * segment maps them (Linux passes a useless value then) */
	uint64_t phent, phnum;  /* AT_PHENT (always 56), AT_PHNUM */
	unsigned nsegs;
	struct elf_segment segs[ELF_MAX_SEGMENTS]; /* in program header order */
	uint64_t lo;            /* lowest mapped address (map_start of the lowest segment) */
	uint64_t hi;            /* end of the highest mapping (its map_end) */
	uint64_t brk_start;     /* where the heap starts: == hi (page aligned) */
	struct elf_tls tls;
	bool stack_exec;        /* PT_GNU_STACK asked for an executable stack (PF_X) */
	bool has_gnu_stack;     /* there was a PT_GNU_STACK */
	bool has_interp;        /* there was a PT_INTERP (elf_parse then fails) */
	const char *reason;     /* why elf_parse failed (static string), NULL on success */
};

/*
 * How many bytes from the start of the file elf_parse needs: the ELF header and the program
 * header table. With fewer than ELF_EHDR_SIZE bytes it answers ELF_EHDR_SIZE; when the header
 * is already invalid (so elf_parse will refuse it whatever follows) it answers len. Never more
 * than ELF_HDR_MAX.
 */
size_t elf_bytes_needed(const void *buf, size_t len);

/*
 * Validate the ELF file whose first buf_len bytes are hdr_buf (file_size bytes in all) for a
 * machine of type expected_machine, and fill *out. ET_DYN images get the bias that puts their
 * lowest page at ELF_DYN_BASE (rounded up to their alignment). 0 on success; -ENOEXEC with
 * out->reason set when the file is not a loadable static executable for this machine (bad
 * magic, class, data encoding, version, OS ABI, type, machine, header sizes, truncated headers
 * or segments, overlapping or out-of-range segments, misaligned offsets, entry outside an
 * executable segment, PT_INTERP, ...). Nothing but *out is written.
 */
int elf_parse(const void *hdr_buf, size_t buf_len, uint64_t file_size, unsigned expected_machine,
              struct elf_image *out);

/*
 * Move a parsed ET_DYN image to another load bias (e.g. a randomised one), updating every
 * address in *img. -EINVAL if img is ET_EXEC (only bias 0 is allowed), if bias is not a
 * multiple of img->align, or if the image would leave [ELF_MIN_VADDR, USER_TOP); *img is
 * unchanged then.
 */
int elf_image_set_bias(struct elf_image *img, uint64_t bias);

/* ---- "#!" scripts ---- */

#define SCRIPT_BUF_SIZE 256 /* Linux's BINPRM_BUF_SIZE: only this much of the file is looked at */

struct script_interp {
	char interp[SCRIPT_BUF_SIZE]; /* interpreter path, NUL-terminated, never empty */
	char arg[SCRIPT_BUF_SIZE];    /* the optional argument, NUL-terminated */
	bool has_arg;
};

/*
 * Parse a "#!" line the way Linux does. buf holds the first min(file_size, SCRIPT_BUF_SIZE)
 * bytes of the file (more are ignored; fewer act as if NUL-padded). The line ends at the
 * first newline; spaces and tabs around the interpreter are skipped; the interpreter ends at
 * the first space, tab or NUL; everything after it (leading and trailing blanks trimmed) is
 * one argument, which may contain spaces. Without a newline in the buffer the argument is
 * silently truncated, but an interpreter path that might be truncated is refused. 0 on
 * success; -ENOEXEC if the file does not start with "#!" or names no interpreter (also when
 * the name is empty because a NUL follows the blanks: Linux would try to open "" and fail
 * with ENOENT instead).
 */
int script_parse(const char *buf, size_t len, struct script_interp *out);

/*
 * The interpreter's argv, Linux style: [interp, arg (if any), script_path, argv[1..argc)].
 * Writes pointers (into si, script_path and argv) to out[0..n); returns n, or -E2BIG if it
 * needs more than cap entries. An argc of 0 is treated like argv == {""}.
 */
long script_argv(const struct script_interp *si, const char *script_path,
                 const char *const *argv, size_t argc, const char **out, size_t cap);

#endif
