/* What the portable bpf/ code needs from the kernel (see include/bpf.h). */
#include "bpf.h"
#include "arch.h"
#include "mm.h"

void *bpf_zalloc(size_t size)
{
	return kzalloc(size);
}

void bpf_free(void *p)
{
	kfree(p);
}

unsigned int bpf_this_cpu(void)
{
	return this_cpu()->cpu;
}

unsigned int bpf_nr_cpus(void)
{
	return num_cpus();
}

/* Interrupts off first: an XDP program in an IRQ may want the same lock. */
uint64_t bpf_lock(uint32_t *lock)
{
	uint64_t flags = local_irq_save();

	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		asm volatile("pause");
	return flags;
}

void bpf_unlock(uint32_t *lock, uint64_t flags)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	local_irq_restore(flags);
}
