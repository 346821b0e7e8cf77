// covers: PROC-023
//
// Two threads made with pthread_create each add 1 to a shared counter 100,000 times under a
// mutex; the total is exactly 200,000 (run at -smp 2 on Janus, so the threads really race).
#include "jtest.h"

#include <pthread.h>

#define ROUNDS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	jt_mark();
	for (int i = 0; i < 2; i++)
		JT_EQ(pthread_create(&t[i], NULL, worker, NULL), 0);
	for (int i = 0; i < 2; i++)
		JT_EQ(pthread_join(t[i], NULL), 0);
	JT_EQ(counter, 2 * ROUNDS);
	jt_behaviour("PROC-023", jt_failures_since_mark() == 0, "mutex-protected counter is exact");
	return jt_done();
}
