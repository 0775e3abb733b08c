/*
 * The kernel's spinlock: interrupts off on this CPU, then spin. While it
 * spins a CPU keeps answering cross-CPU calls (smp_call_poll), because the
 * holder may be waiting for exactly that answer (text_poke syncs every CPU
 * with the text lock held), and with interrupts off the IPI itself cannot
 * get in. A broken rule caught by the debug checks stops the kernel: the
 * state the lock protects can no longer be trusted.
 *
 * Locks may be probed: the code that takes them with a probe already active
 * on this CPU (an event's handler, the kretprobe trampoline) meets such a
 * probe as a reentry, which single-steps it without handlers. The raw pair
 * is the same code in the blacklist, for the locks the int3 path takes
 * before it can tell a reentry (text_poke_refresh: a probe there would
 * trap again inside the trap, and again).
 */
#include "arch.h"
#include "kernel.h"

static inline __attribute__((always_inline)) uint64_t lock_irqsave(struct spinlock *l)
{
	uint64_t flags = local_irq_save();
	unsigned int self = this_cpu()->cpu;
	int err;

	while ((err = spin_try_acquire(l, self)) == -EBUSY) {
		smp_call_poll();
		cpu_relax();
	}
	if (err)
		panic("spinlock %s: taken again by its owner, cpu %u", l->name, self);
	return flags;
}

static inline __attribute__((always_inline)) void
unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	unsigned int self = this_cpu()->cpu;

	if (spin_release(l, self))
		panic("spinlock %s: released by cpu %u, which does not hold it (owner %d)",
		      l->name, self, (int)READ_ONCE(l->owner) - 1);
	local_irq_restore(flags);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	return lock_irqsave(l);
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	unlock_irqrestore(l, flags);
}

__noprobe("poke") uint64_t raw_spin_lock_irqsave(struct spinlock *l)
{
	return lock_irqsave(l);
}

__noprobe("poke") void raw_spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	unlock_irqrestore(l, flags);
}
