/*
 * Changing kernel text while other CPUs may be executing it.
 *
 * One byte is changed atomically by a store; a longer change could be
 * fetched half old, half new by another CPU, so it goes in three steps,
 * each followed by a serialising sync of every CPU: an int3 over the first
 * byte (from now on no CPU starts the old instruction), the tail, then the
 * first byte of the new instruction. A CPU that meets the temporary int3
 * goes back to it and retries (text_poke_int3); it answers the sync calls
 * meanwhile, so the patch finishes even if it runs with interrupts off.
 *
 * Every write goes through the alias window (paging.c). Another CPU may
 * have cached the window's translation (speculatively: it never touches
 * it), so the sync after each step also flushes it on every CPU.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

static struct spinlock text_lock = SPINLOCK_INIT("text");
static uint64_t patching;	/* address of a multi-byte patch in progress, or 0 */

static inline __attribute__((always_inline)) void sync_core(void)
{
	uint32_t a = 0, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

static __noprobe("poke") void sync_one(void *arg)
{
	(void)arg;
	poke_alias_flush();
	sync_core();
}

static __noprobe("poke") void sync_all(void)
{
	if (num_cpus() == 1)
		sync_one(NULL);
	else
		smp_call_all(sync_one, NULL);
}

__noprobe("poke") void text_poke(void *addr, const void *src, size_t len)
{
	uint64_t flags = raw_spin_lock_irqsave(&text_lock);
	const uint8_t *bytes = src, int3 = 0xcc;

	if (len > 1 && is_kernel_text((uint64_t)addr)) {
		WRITE_ONCE(patching, (uint64_t)addr);
		poke_alias_write(addr, &int3, 1);
		sync_all();
		poke_alias_write((uint8_t *)addr + 1, bytes + 1, len - 1);
		sync_all();
		poke_alias_write(addr, bytes, 1);
		sync_all();
		WRITE_ONCE(patching, 0);
	} else {
		poke_alias_write(addr, src, len);
		sync_all();
	}
	/*
	 * Multi-threaded TCG (QEMU) lets a vCPU that was translating the old
	 * bytes while they changed link that translation afterwards, where no
	 * write invalidates it again: that CPU would run the old instruction
	 * for good (a probe that never fires there: tickprobe.ko saw it on a
	 * loaded host). Every CPU has finished what it was translating by the
	 * end of the sync, so storing the same bytes once more drops such a
	 * translation. On hardware it stores what is already there.
	 */
	if (num_cpus() > 1)
		poke_alias_write(addr, src, len);
	raw_spin_unlock_irqrestore(&text_lock, flags);
}

__noprobe("poke") void text_poke_refresh(void *addr)
{
	uint64_t flags = raw_spin_lock_irqsave(&text_lock);
	uint8_t byte = READ_ONCE(*(const uint8_t *)addr);

	poke_alias_write(addr, &byte, 1);
	sync_all();
	raw_spin_unlock_irqrestore(&text_lock, flags);
}

__noprobe("poke") bool text_poke_int3(struct pt_regs *regs)
{
	uint64_t at = READ_ONCE(patching);

	if (!at || regs->ip - 1 != at)
		return false;
	regs->ip = at;		/* run it again once the patch is done */
	smp_call_poll();
	cpu_relax();
	return true;
}

