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

/*
 * Other CPUs run the instruction while it is rewritten, many times: each
 * call sees the old or the new one whole, never a mix, and no CPU is left
 * trapping on the temporary int3 (under TCG a stale translation of it once
 * kept CPUs looping there after the patch was done: see text_poke_refresh).
 */
#define POKE_ROUNDS 200

static unsigned long poke_bad[MAX_CPUS], poke_calls[MAX_CPUS];
static unsigned int poke_started;

static void call_poked(void *arg)
{
	unsigned int cpu = this_cpu()->cpu;

	(void)arg;
	do {
		uint32_t v = smp_poke_target();

		if (v != 0x11111111 && v != 0x22222222)
			poke_bad[cpu]++;
		if (!poke_calls[cpu]++)
			__atomic_add_fetch(&poke_started, 1, __ATOMIC_RELEASE);
	} while (!READ_ONCE(go));
}

KTEST(text_poke, multibyte_while_other_cpus_run_it)
{
	static const uint8_t a[5] = { 0xb8, 0x11, 0x11, 0x11, 0x11 };
	static const uint8_t b[5] = { 0xb8, 0x22, 0x22, 0x22, 0x22 };
	uint8_t *mov = (uint8_t *)smp_poke_target + 1;
	unsigned int n = num_cpus();

	memset(poke_bad, 0, sizeof(poke_bad));
	memset(poke_calls, 0, sizeof(poke_calls));
	poke_started = 0;
	go = false;
	for (unsigned int c = 1; c < n; c++)
		KT_ASSERT(!smp_run_on(c, call_poked, NULL));
	while (__atomic_load_n(&poke_started, __ATOMIC_ACQUIRE) != n - 1)
		cpu_relax();	/* every CPU is running it before the first patch */
	for (int i = 0; i < POKE_ROUNDS; i++) {
		text_poke(mov, i % 2 ? a : b, 5);
		KT_EXPECT_EQ(smp_poke_target(), i % 2 ? 0x11111111 : 0x22222222);
	}
	go = true;
	for (unsigned int c = 1; c < n; c++) {
		smp_run_wait(c);
		KT_EXPECT_EQ(poke_bad[c], 0);
		KT_EXPECT(poke_calls[c] > 0);
	}
	KT_EXPECT(!memcmp(mov, a, 5));
}
