/*
 * The portable half of the spinlock: one atomic exchange to take the word,
 * and the owner recorded beside it. Waiting, interrupts and what to do about
 * a broken rule belong to the caller (arch/x86_64/spinlock.c in the kernel, a
 * thread in the host test).
 */
#include "lib.h"
#include "kerrno.h"

int spin_try_acquire(struct spinlock *l, unsigned int self)
{
	/* a plain load first, so waiters spin on a shared line, not on writes */
	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
		if (SPINLOCK_DEBUG && __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self + 1)
			return -EDEADLK;
		return -EBUSY;
	}
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	__atomic_store_n(&l->owner, self + 1, __ATOMIC_RELAXED);
	return 0;
}

int spin_release(struct spinlock *l, unsigned int self)
{
	if (SPINLOCK_DEBUG && (!__atomic_load_n(&l->locked, __ATOMIC_RELAXED) ||
			       __atomic_load_n(&l->owner, __ATOMIC_RELAXED) != self + 1))
		return -EPERM;
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	return 0;
}
