/*
 * SMP: cross-CPU calls reach the CPU asked for, grace periods end, the
 * spinlock excludes across CPUs, and a multi-byte text change (the int3-first
 * protocol) ends with the new instruction whole. Cases needing a second CPU
 * pass trivially on one.
 */
#include "ktest.h"
#include "arch.h"

uint32_t smp_poke_target(void);

static unsigned int ran_on[MAX_CPUS];

static void record_cpu(void *arg)
{
	unsigned int *slot = arg;

	*slot = this_cpu()->cpu + 1;
	KT_EXPECT(!(local_save_flags() & X86_EFLAGS_IF));
}

KTEST(smp, call_on_each_cpu)
{
	for (unsigned int c = 0; c < num_cpus(); c++) {
		unsigned int got = 0;

		KT_EXPECT_EQ(smp_call_on(c, record_cpu, &got), 0);
		KT_EXPECT_EQ(got, c + 1);
	}
	KT_EXPECT_EQ(smp_call_on(num_cpus(), record_cpu, ran_on), -EINVAL);
}

static void record_all(void *arg)
{
	(void)arg;
	ran_on[this_cpu()->cpu]++;
}

KTEST(smp, call_all_reaches_every_cpu_once)
{
	memset(ran_on, 0, sizeof(ran_on));
	smp_call_all(record_all, NULL);
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		KT_EXPECT_EQ(ran_on[c], c < num_cpus());
	synchronize_cpus();	/* returns: every CPU answers */
}

static struct spinlock shared_lock = SPINLOCK_INIT("ktest");
static unsigned long shared_count;
static volatile bool go;

#define LOCK_ROUNDS 2000

static void count_locked(void *arg)
{
	(void)arg;
	while (!READ_ONCE(go))
		cpu_relax();
	for (int i = 0; i < LOCK_ROUNDS; i++) {
		uint64_t f = spin_lock_irqsave(&shared_lock);

		shared_count++;		/* a plain read-modify-write: only the lock keeps it whole */
		spin_unlock_irqrestore(&shared_lock, f);
	}
}

KTEST(spinlock, excludes_across_cpus)
{
	unsigned int n = num_cpus();

	shared_count = 0;
	go = false;
	for (unsigned int c = 1; c < n; c++)
		KT_ASSERT(!smp_run_on(c, count_locked, NULL));
	go = true;
	count_locked(NULL);
	for (unsigned int c = 1; c < n; c++)
		smp_run_wait(c);
	KT_EXPECT_EQ(shared_count, (unsigned long)n * LOCK_ROUNDS);
	KT_EXPECT_EQ(shared_lock.locked, 0);
	KT_EXPECT(local_save_flags() & X86_EFLAGS_IF);
}

KTEST(text_poke, multibyte_int3_first)
{
	static const uint8_t a[5] = { 0xb8, 0x11, 0x11, 0x11, 0x11 };
	static const uint8_t b[5] = { 0xb8, 0x22, 0x22, 0x22, 0x22 };

	uint8_t *mov = (uint8_t *)smp_poke_target + 1;	/* past the entry nop */

	/* the three steps end with the new instruction whole, and back */
	text_poke(mov, b, 5);
	KT_EXPECT(!memcmp(mov, b, 5));
	KT_EXPECT_EQ(smp_poke_target(), 0x22222222);
	text_poke(mov, a, 5);
	KT_EXPECT(!memcmp(mov, a, 5));
	KT_EXPECT_EQ(smp_poke_target(), 0x11111111);
}
