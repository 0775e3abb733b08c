/* The surroundings bpf/ expects, on the host: libc memory, two "CPUs". */
#include <stdlib.h>
#include "bpf.h"

unsigned int bpf_host_cpu;	/* tests switch it to act as another CPU */

void *bpf_zalloc(size_t size)
{
	return calloc(1, size);
}

void bpf_free(void *p)
{
	free(p);
}

unsigned int bpf_this_cpu(void)
{
	return bpf_host_cpu;
}

unsigned int bpf_nr_cpus(void)
{
	return 2;
}

uint64_t bpf_lock(uint32_t *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		;
	return 0;
}

void bpf_unlock(uint32_t *lock, uint64_t flags)
{
	(void)flags;
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}
