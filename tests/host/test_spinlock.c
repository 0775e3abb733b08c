/*
 * The spinlock core (include/lib.h) on the host: mutual exclusion under real threads, and the
 * debug checks (a second acquire by the owner, a release by someone else).
 */
#include <pthread.h>
#include <string.h>
#include "lib.h"
#include "kerrno.h"
#include "check.h"

#define THREADS	4
#define ROUNDS	200000

static struct spinlock lock = SPINLOCK_INIT("test");
static unsigned long counter;		/* updated non-atomically, only under the lock */
static int inside;			/* threads inside the critical section now */
static int overlap;

static void *hammer(void *arg)
{
	unsigned int self = (unsigned int)(unsigned long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		int err;

		while ((err = spin_try_acquire(&lock, self)) == -EBUSY)
			;
		if (err)
			__atomic_store_n(&overlap, 1000, __ATOMIC_RELAXED);
		if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_store_n(&overlap, 1, __ATOMIC_RELAXED);
		counter++;
		__atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
		if (spin_release(&lock, self))
			__atomic_store_n(&overlap, 2000, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void t_mutual_exclusion(void)
{
	pthread_t t[THREADS];

	for (unsigned long i = 0; i < THREADS; i++)
		CHECK(!pthread_create(&t[i], NULL, hammer, (void *)i));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(overlap, 0);
	CHECK_EQ(counter, (unsigned long)THREADS * ROUNDS);
	CHECK_EQ(lock.locked, 0);
	CHECK_EQ(lock.owner, 0);
}

static void t_recursion_caught(void)
{
	struct spinlock l = SPINLOCK_INIT("r");

	CHECK_EQ(spin_try_acquire(&l, 3), 0);
	CHECK_EQ(spin_try_acquire(&l, 3), -EDEADLK);
	CHECK_EQ(spin_try_acquire(&l, 4), -EBUSY);
	CHECK_EQ(spin_release(&l, 3), 0);
	CHECK_EQ(spin_try_acquire(&l, 4), 0);
	CHECK_EQ(spin_release(&l, 4), 0);
}

static void t_wrong_owner_unlock_caught(void)
{
	struct spinlock l = SPINLOCK_INIT("w");

	CHECK_EQ(spin_release(&l, 0), -EPERM);		/* not held at all */
	CHECK_EQ(spin_try_acquire(&l, 1), 0);
	CHECK_EQ(spin_release(&l, 2), -EPERM);		/* held by 1 */
	CHECK_EQ(l.locked, 1);				/* and left held */
	CHECK_EQ(spin_release(&l, 1), 0);
	CHECK_EQ(l.locked, 0);
}

static void t_cpu_zero_is_an_owner(void)
{
	struct spinlock l = SPINLOCK_INIT("z");

	/* owner is stored +1, so CPU 0 holding it is told from "free" */
	CHECK_EQ(spin_try_acquire(&l, 0), 0);
	CHECK_EQ(spin_try_acquire(&l, 0), -EDEADLK);
	CHECK_EQ(spin_release(&l, 1), -EPERM);
	CHECK_EQ(spin_release(&l, 0), 0);
}

int main(void)
{
	RUN(t_mutual_exclusion);
	RUN(t_recursion_caught);
	RUN(t_wrong_owner_unlock_caught);
	RUN(t_cpu_zero_is_an_owner);
	return check_done();
}
