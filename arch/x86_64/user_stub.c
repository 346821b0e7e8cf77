/* TEMPORARY (processes issue in progress): panicking placeholders for the user-mode hooks of
 * arch.h so the tree links while the port's user.c, uaccess.S and syscall_abi.c are written.
 * The port's helper deletes this file when the real ones exist. Never committed. */
#include "arch/arch.h"
#include "core/panic.h"

int arch_thread_user_init(struct thread *t) { (void)t; panic("stub"); }
void arch_thread_fork(struct thread *c) { (void)c; panic("stub"); }
void arch_thread_exec_reset(void) { panic("stub"); }
void arch_thread_release(struct thread *t) { (void)t; }
void arch_thread_set_tls(struct thread *t, uintptr_t v) { (void)t; (void)v; panic("stub"); }
uintptr_t arch_thread_get_tls(const struct thread *t) { (void)t; panic("stub"); }
void arch_thread_switch(struct thread *p, struct thread *n) { (void)p; (void)n; }
struct trapframe *arch_user_tf(uintptr_t top) { (void)top; panic("stub"); }
void arch_tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp) { (void)tf; (void)pc; (void)sp; panic("stub"); }
void arch_tf_copy(struct trapframe *d, const struct trapframe *s) { (void)d; (void)s; panic("stub"); }
_Noreturn void arch_enter_user(struct trapframe *tf) { (void)tf; panic("stub"); }
unsigned long arch_tf_syscall_nr(const struct trapframe *tf) { (void)tf; panic("stub"); }
unsigned long arch_tf_arg(const struct trapframe *tf, unsigned i) { (void)tf; (void)i; panic("stub"); }
void arch_tf_set_return(struct trapframe *tf, unsigned long v) { (void)tf; (void)v; panic("stub"); }
void arch_tf_set_pc(struct trapframe *tf, uintptr_t v) { (void)tf; (void)v; panic("stub"); }
void arch_tf_set_sp(struct trapframe *tf, uintptr_t v) { (void)tf; (void)v; panic("stub"); }
void arch_tf_restart_syscall(struct trapframe *tf) { (void)tf; panic("stub"); }
uint64_t arch_hwcap(void) { return 0; }
uint64_t arch_hwcap2(void) { return 0; }
const char *arch_platform(void) { return 0; }
long arch_copy_from_user(void *d, uintptr_t s, size_t n) { (void)d; (void)s; (void)n; panic("stub"); }
long arch_copy_to_user(uintptr_t d, const void *s, size_t n) { (void)d; (void)s; (void)n; panic("stub"); }
long arch_strncpy_from_user(char *d, uintptr_t s, size_t n) { (void)d; (void)s; (void)n; panic("stub"); }
long arch_clear_user(uintptr_t d, size_t n) { (void)d; (void)n; panic("stub"); }
int arch_futex_cmpxchg(uintptr_t u, uint32_t e, uint32_t d, uint32_t *o) { (void)u; (void)e; (void)d; (void)o; panic("stub"); }
const unsigned arch_elf_machine = 62;
