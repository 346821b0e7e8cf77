// covers: BOOT-005 BOOT-006 SEC-010
//
// The initial stack and the auxiliary vector as the kernel builds them, and fresh memory.
// The program's ELF entry point is entry_probe (linked with --entry, like abi_entry): before
// musl's _start touches anything it saves the stack pointer and ORs together every word from
// the start of the stack pointer's page up to the stack pointer, the unused part of the
// initial stack that the kernel handed over (SEC-010). main then walks the raw stack from
// the saved pointer (BOOT-005), checks the auxv against the program's own ELF header, both
// in memory (__ehdr_start) and in the file AT_EXECFN names (BOOT-006), and re-executes
// itself ("boot_stack random") to see a second run's AT_RANDOM and AT_EXECFN.
//
// Addresses differ between platforms, so they are compared with JT_EQV/JT_OKV and only the
// verdicts reach the compared output.
#define _GNU_SOURCE
#include "jtest.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096ul
#define SELF "/bin/boot_stack"
#define SELF_OTHER "/bin/../bin/boot_stack" /* the re-exec's path: AT_EXECFN must be this */

/* Initialized, so in .data: the probe scans .bss, which must be untouched when it runs. */
uint64_t probe_sp = ~0ull;    /* the stack pointer at the first instruction */
uint64_t probe_below = ~0ull; /* OR of the words from its page's start up to it */
uint64_t probe_bss = ~0ull;   /* OR of the words from _edata to the page end after _end */

#if defined(__x86_64__)
__asm__(".text\n.globl entry_probe\n"
	"entry_probe:\n"
	"  movq %rsp, probe_sp(%rip)\n"
	"  movq %rsp, %rcx\n  andq $-4096, %rcx\n  xorl %eax, %eax\n"
	"1: cmpq %rsp, %rcx\n  jae 2f\n  orq (%rcx), %rax\n  addq $8, %rcx\n  jmp 1b\n"
	"2: movq %rax, probe_below(%rip)\n"
	"  leaq _edata+7(%rip), %rcx\n  andq $-8, %rcx\n"
	"  leaq _end+4095(%rip), %rdx\n  andq $-4096, %rdx\n  xorl %eax, %eax\n"
	"3: cmpq %rdx, %rcx\n  jae 4f\n  orq (%rcx), %rax\n  addq $8, %rcx\n  jmp 3b\n"
	"4: movq %rax, probe_bss(%rip)\n"
	"  xorl %eax, %eax\n  xorl %ecx, %ecx\n  xorl %edx, %edx\n"
	"  jmp _start\n");
#define HWCAP_WANT 0ul
#elif defined(__aarch64__)
__asm__(".text\n.globl entry_probe\n"
	"entry_probe:\n"
	"  mov x9, sp\n  adrp x10, probe_sp\n  str x9, [x10, :lo12:probe_sp]\n"
	"  and x11, x9, #0xfffffffffffff000\n  mov x12, #0\n"
	"1: cmp x11, x9\n  b.hs 2f\n  ldr x13, [x11], #8\n  orr x12, x12, x13\n  b 1b\n"
	"2: adrp x10, probe_below\n  str x12, [x10, :lo12:probe_below]\n"
	"  adrp x11, _edata\n  add x11, x11, :lo12:_edata\n"
	"  add x11, x11, #7\n  and x11, x11, #0xfffffffffffffff8\n"
	"  adrp x14, _end\n  add x14, x14, :lo12:_end\n"
	"  add x14, x14, #4095\n  and x14, x14, #0xfffffffffffff000\n  mov x12, #0\n"
	"3: cmp x11, x14\n  b.hs 4f\n  ldr x13, [x11], #8\n  orr x12, x12, x13\n  b 3b\n"
	"4: adrp x10, probe_bss\n  str x12, [x10, :lo12:probe_bss]\n"
	"  mov x9, #0\n  mov x10, #0\n  mov x11, #0\n  mov x12, #0\n  mov x13, #0\n  mov x14, #0\n"
	"  b _start\n");
#define HWCAP_WANT 3ul /* HWCAP_FP | HWCAP_ASIMD */
#endif
extern const char entry_probe[];
extern const Elf64_Ehdr __ehdr_start;
extern const char _edata[], _end[];

/* ---- SEC-010: fresh memory reads as zero ------------------------------------------------- */

static bool all_zero(const volatile uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8)
		if (*(const volatile uint64_t *)(p + i))
			return false;
	return true;
}

/* Stack pages well below the current frame, which nothing has used yet. noinline: its frame
 * is the deepest one when it runs. */
static __attribute__((noinline)) bool deep_stack_zero(void)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0) & ~(PAGE - 1);
	return all_zero((const volatile uint8_t *)(frame - 256 * 1024), 240 * 1024);
}

static bool brk_zero(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	size_t n = 64 * 1024;
	if ((uintptr_t)syscall(SYS_brk, cur + n) != cur + n)
		return false;
	bool ok = all_zero((uint8_t *)cur, n & ~7ul);
	/* Dirty it, give it back, take it again: the new pages are zero again. */
	memset((void *)cur, 0xa5, n);
	syscall(SYS_brk, cur);
	syscall(SYS_brk, cur + n);
	ok = ok && all_zero((uint8_t *)cur, n & ~7ul);
	syscall(SYS_brk, cur);
	return ok;
}

static bool mmap_zero(void)
{
	size_t n = 256 * 1024;
	uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	bool ok = all_zero(p, n);
	memset(p, 0x5a, n);
	/* MAP_FIXED over the dirty pages: fresh zero pages. */
	uint8_t *q = mmap(p, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok = ok && q == p && all_zero(q, n);
	memset(q, 0x3c, n);
	munmap(q, n);
	q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = ok && q != MAP_FAILED && all_zero(q, n);
	/* Grown by mremap: the new part is zero too. */
	memset(q, 0x77, n);
	uint8_t *r = mremap(q, n, 2 * n, MREMAP_MAYMOVE);
	ok = ok && r != MAP_FAILED && r[0] == 0x77 && all_zero(r + n, n);
	munmap(r != MAP_FAILED ? r : q, r != MAP_FAILED ? 2 * n : n);
	return ok;
}

/* A file mapping's last page past the end of the file reads as zero (17-byte /hello.txt). */
static bool file_tail_zero(int prot)
{
	int fd = open("/hello.txt", O_RDONLY);
	uint8_t *p = mmap(NULL, PAGE, prot, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	bool ok = memcmp(p, "Hello from ext2!\n", 17) == 0;
	for (size_t i = 17; i < PAGE; i++)
		ok = ok && p[i] == 0;
	munmap(p, PAGE);
	return ok;
}

/* The other PT_LOAD segments' tails past their file bytes (e.g. .relro_padding), which
 * nothing writes; the segment holding .bss was checked by the probe before anything ran. */
static bool segment_tails_zero(void)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM);
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz <= ph[i].p_filesz)
			continue;
		uintptr_t lo = (ph[i].p_vaddr + ph[i].p_filesz + 7) & ~7ul;
		uintptr_t hi = (ph[i].p_vaddr + ph[i].p_memsz + PAGE - 1) & ~(PAGE - 1);
		if ((uintptr_t)_edata >= ph[i].p_vaddr && (uintptr_t)_edata < hi)
			continue;
		ok = ok && all_zero((const uint8_t *)lo, (hi - lo) & ~7ul);
	}
	return ok;
}

/* A child fills 4 MiB with a pattern and exits; the parent's fresh 4 MiB (likely the same
 * frames) must not show it. */
static bool previous_process_gone(void)
{
	size_t n = 4ul << 20;
	pid_t c = fork();
	if (c == 0) {
		uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(2);
		memset(p, 0xc3, n);
		_exit(0);
	}
	int st = -1;
	waitpid(c, &st, 0);
	uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st != 0 || p == MAP_FAILED)
		return false;
	bool ok = all_zero(p, n);
	munmap(p, n);
	return ok;
}

static void test_sec010(void)
{
	jt_mark();
	JT_OKV(probe_below == 0, "the initial stack below the stack pointer is zero",
	       "%lu bytes below sp in its page, OR %#llx", (unsigned long)(probe_sp & (PAGE - 1)),
	       (unsigned long long)probe_below);
	JT_OKV(probe_bss == 0, "bss and its page's tail past the file's bytes are zero",
	       "_edata %p _end %p, OR %#llx", (void *)_edata, (void *)_end,
	       (unsigned long long)probe_bss);
	JT_OK(segment_tails_zero(), "the other segments' tails past their file bytes are zero");
	JT_OK(deep_stack_zero(), "fresh stack pages read as zero");
	JT_OK(brk_zero(), "new brk pages read as zero, also after a shrink and regrow");
	JT_OK(mmap_zero(), "new mmap pages read as zero, also over and after dirty ones");
	JT_OK(file_tail_zero(PROT_READ), "a file mapping reads zero past the end of the file");
	JT_OK(file_tail_zero(PROT_READ | PROT_WRITE),
	      "a writable private file mapping reads zero past the end of the file");
	JT_OK(previous_process_gone(), "a previous process's memory does not show through");
	jt_behaviour("SEC-010", jt_failures_since_mark() == 0, "fresh memory reads as zero");
}

/* ---- BOOT-005: the raw layout ------------------------------------------------------------ */

struct layout {
	long argc;
	char **argv, **envp;
	Elf64_auxv_t *auxv;
	size_t naux;     /* pairs before AT_NULL */
	uintptr_t above; /* the first byte after the AT_NULL pair */
};

static struct layout walk_stack(void)
{
	struct layout l = {0};
	uint64_t *sp = (uint64_t *)probe_sp;
	l.argc = (long)sp[0];
	l.argv = (char **)(sp + 1);
	l.envp = l.argv + l.argc + 1;
	char **e = l.envp;
	while (*e)
		e++;
	l.auxv = (Elf64_auxv_t *)(e + 1);
	while (l.auxv[l.naux].a_type != AT_NULL && l.naux < 64)
		l.naux++;
	l.above = (uintptr_t)&l.auxv[l.naux + 1];
	return l;
}

/* [lo, hi) is above the auxv and mapped together with the stack pointer's page. */
static bool above_and_mapped(const struct layout *l, uintptr_t lo, uintptr_t hi)
{
	if (lo < l->above || hi < lo)
		return false;
	uintptr_t start = probe_sp & ~(PAGE - 1);
	uintptr_t end = (hi + PAGE - 1) & ~(PAGE - 1);
	return msync((void *)start, end - start, MS_ASYNC) == 0; /* ENOMEM: a hole */
}

static bool strings_placed(const struct layout *l, char **v, long n)
{
	for (long i = 0; i < n; i++) {
		uintptr_t s = (uintptr_t)v[i];
		if (!v[i] || !above_and_mapped(l, s, s + strlen(v[i]) + 1))
			return false;
	}
	return true;
}

static void test_boot005(int argc, char **argv, char **envp)
{
	jt_mark();
	struct layout l = walk_stack();
	JT_OKV(probe_sp % 16 == 0, "sp is 16-byte aligned at entry", "sp %#llx",
	       (unsigned long long)probe_sp);
	JT_EQ(l.argc, argc);
	JT_OK(l.argv == argv, "argv follows argc");
	JT_OK(argv[argc] == NULL, "argv[argc] is NULL");
	JT_OK(l.envp == envp, "envp follows argv's NULL");
	JT_OK(envp[0] != NULL, "the environment is not empty");
	JT_OK(l.naux > 0 && l.naux < 64, "auxv pairs end with AT_NULL");
	bool same = true;
	for (size_t i = 0; i < l.naux; i++)
		if (getauxval(l.auxv[i].a_type) != l.auxv[i].a_un.a_val &&
		    l.auxv[i].a_type != AT_IGNORE)
			same = false;
	JT_OK(same, "every auxv pair is what getauxval reports");
	long envc = 0;
	while (envp[envc])
		envc++;
	JT_OK(strings_placed(&l, argv, argc), "argv strings lie above the auxv, in the stack mapping");
	JT_OK(strings_placed(&l, envp, envc), "envp strings lie above the auxv, in the stack mapping");
	char *execfn = (char *)getauxval(AT_EXECFN);
	JT_OK(execfn && strings_placed(&l, &execfn, 1), "the AT_EXECFN string lies above the auxv");
	uintptr_t rnd = getauxval(AT_RANDOM);
	JT_OK(rnd && above_and_mapped(&l, rnd, rnd + 16), "the AT_RANDOM bytes lie above the auxv");
	jt_behaviour("BOOT-005", jt_failures_since_mark() == 0,
		     "sp aligned at argc, argv, envp, auxv, strings above in the stack mapping");
}

/* ---- BOOT-006: the auxv's contents ------------------------------------------------------- */

static bool aux_present(const struct layout *l, unsigned long type)
{
	for (size_t i = 0; i < l->naux; i++)
		if (l->auxv[i].a_type == type)
			return true;
	return false;
}

static void check_program_headers(void)
{
	const Elf64_Ehdr *eh = &__ehdr_start;
	uintptr_t phdr = getauxval(AT_PHDR);
	JT_OK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0, "__ehdr_start is the ELF header");
	JT_EQV(phdr, (uintptr_t)eh + eh->e_phoff);
	JT_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	JT_EQ(getauxval(AT_PHENT), eh->e_phentsize);
	JT_EQV(getauxval(AT_PHNUM), eh->e_phnum);
	JT_EQV(getauxval(AT_ENTRY), eh->e_entry);
	JT_EQV(getauxval(AT_ENTRY), (uintptr_t)entry_probe);

	/* The file AT_EXECFN names has the same header and program headers as memory. */
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	int fd = execfn ? open(execfn, O_RDONLY) : -1;
	JT_OK(fd >= 0, "the AT_EXECFN file opens");
	Elf64_Ehdr fe;
	JT_EQ(pread(fd, &fe, sizeof fe, 0), sizeof fe);
	JT_OK(fe.e_entry == getauxval(AT_ENTRY) && fe.e_phnum == getauxval(AT_PHNUM),
	      "the file's e_entry and e_phnum match the auxv");
	size_t len = (size_t)fe.e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *fph = malloc(len);
	JT_OK(fph && pread(fd, fph, len, (off_t)fe.e_phoff) == (ssize_t)len &&
		      memcmp(fph, (void *)phdr, len) == 0,
	      "AT_PHDR holds the file's program headers");
	bool load_x = false;
	for (unsigned i = 0; fph && i < fe.e_phnum; i++)
		if (fph[i].p_type == PT_LOAD && (fph[i].p_flags & PF_X) &&
		    fe.e_entry - fph[i].p_vaddr < fph[i].p_memsz)
			load_x = true;
	JT_OK(load_x, "AT_ENTRY lies in an executable PT_LOAD segment");
	free(fph);
	close(fd);
}

/* Re-execute as SELF_OTHER with argument "random"; it prints its AT_RANDOM (hex) and its
 * AT_EXECFN. */
static bool rerun(char *out, size_t cap)
{
	int p[2];
	if (pipe(p) != 0)
		return false;
	pid_t c = fork();
	if (c == 0) {
		dup2(p[1], 1);
		close(p[0]);
		char *av[] = {"boot_stack", "random", NULL};
		execve(SELF_OTHER, av, environ);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < cap && (r = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(p[0]);
	int st = -1;
	waitpid(c, &st, 0);
	return st == 0;
}

static void hex16(const uint8_t *b, char *out)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_random_and_execfn(void)
{
	const uint8_t *rnd = (const uint8_t *)getauxval(AT_RANDOM);
	uint8_t mine[16];
	JT_OK(rnd != NULL, "AT_RANDOM is present");
	memcpy(mine, rnd, 16); /* readable */
	static const uint8_t zero[16];
	JT_OK(memcmp(mine, zero, 16) != 0, "AT_RANDOM's 16 bytes are not all zero");
	char hex[33], out[512];
	hex16(mine, hex);
	jt_diag("AT_RANDOM %s", hex);
	JT_OK(rerun(out, sizeof out), "a re-execution of the test exits 0");
	char other[40] = "", execfn[300] = "";
	sscanf(out, "%39s %299s", other, execfn);
	jt_diag("the re-execution's AT_RANDOM %s", other);
	JT_OK(strlen(other) == 32 && strcmp(other, hex) != 0, "AT_RANDOM differs between runs");
	JT_STREQ(execfn, SELF_OTHER);
	JT_STREQ((const char *)getauxval(AT_EXECFN), SELF);
}

static void test_boot006(void)
{
	jt_mark();
	struct layout l = walk_stack();
	JT_EQ(getauxval(AT_PAGESZ), 4096);
	check_program_headers();
	test_random_and_execfn();
	JT_EQ(getauxval(AT_UID), 0);
	JT_EQ(getauxval(AT_EUID), 0);
	JT_EQ(getauxval(AT_GID), 0);
	JT_EQ(getauxval(AT_EGID), 0);
	JT_OK(aux_present(&l, AT_SECURE) && getauxval(AT_SECURE) == 0, "AT_SECURE is present and 0");
	unsigned long hw = getauxval(AT_HWCAP);
	JT_OKV(aux_present(&l, AT_HWCAP) && (hw & HWCAP_WANT) == HWCAP_WANT,
	       "AT_HWCAP is present, on aarch64 with FP and ASIMD", "AT_HWCAP %#lx", hw);
	/* A vDSO, if announced, must really be there: an ELF image at that address. */
	uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
	JT_OKV(!aux_present(&l, AT_SYSINFO_EHDR) ||
		       (vdso && memcmp((const void *)vdso, ELFMAG, SELFMAG) == 0),
	       "AT_SYSINFO_EHDR is absent or names a mapped ELF image", "AT_SYSINFO_EHDR %#lx",
	       (unsigned long)vdso);
	jt_behaviour("BOOT-006", jt_failures_since_mark() == 0, "the auxv describes the program");
}

int main(int argc, char **argv, char **envp)
{
	if (argc == 2 && strcmp(argv[1], "random") == 0) {
		char hex[33];
		hex16((const uint8_t *)getauxval(AT_RANDOM), hex);
		printf("%s %s\n", hex, (const char *)getauxval(AT_EXECFN));
		return 0;
	}
	/* First, before anything uses much stack. */
	test_sec010();
	test_boot005(argc, argv, envp);
	test_boot006();
	return jt_done();
}
