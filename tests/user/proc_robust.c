// covers:
//
// Robust futexes (set_robust_list): a process-shared robust mutex in shared memory, locked by
// a child that then dies without unlocking it (_exit: musl unlocks nothing, so only the
// kernel's walk of the child's robust list at exit can release it). The parent's lock then
// succeeds with EOWNERDEAD, pthread_mutex_consistent makes it usable, and it locks and
// unlocks normally afterwards. get_robust_list returns what set_robust_list stored.
#define _GNU_SOURCE
#include "jtest.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				  -1, 0);
	JT_OK(m != MAP_FAILED, "shared page for the mutex");
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	JT_EQ(pthread_mutex_init(m, &at), 0);
	pid_t c = fork();
	if (c == 0) {
		if (pthread_mutex_lock(m) != 0)
			_exit(2);
		_exit(0); /* dies holding it */
	}
	int st;
	JT_EQV(waitpid(c, &st, 0), c);
	JT_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child locked the mutex and exited");
	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 10; /* never hang: a kernel that did not release it gives ETIMEDOUT */
	JT_EQ(pthread_mutex_timedlock(m, &limit), EOWNERDEAD);
	JT_EQ(pthread_mutex_consistent(m), 0);
	JT_EQ(pthread_mutex_unlock(m), 0);
	JT_EQ(pthread_mutex_lock(m), 0);
	JT_EQ(pthread_mutex_unlock(m), 0);
	void *head = NULL;
	size_t len = 0;
	JT_EQ(syscall(SYS_get_robust_list, 0, &head, &len), 0);
	JT_EQ(len, 3 * sizeof(long));
	JT_OK(head != NULL, "musl registered a robust list head");
	JT_ERRNO(syscall(SYS_set_robust_list, head, 5), EINVAL);
	return jt_done();
}
