/*
 * Freestanding C library: the handful of libc functions the kernel uses, with
 * libc's names and signatures so portable files (decoder, parsers) compile
 * unchanged for the host tests, where libc provides them.
 */
#ifndef KP_LIB_H
#define KP_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kerrno.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
unsigned long long strtoull(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Text appended to buf[size] at pos (lib/strbuf.c); see strbuf_printf(). */
struct strbuf {
	char *buf;
	size_t size, pos;
};

void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Kernel additions (lib/parse.c, portable). */

/* Parse a whole string as an unsigned number: 0x hex, or decimal. 0 or -EINVAL. */
int kstrtou64(const char *s, uint64_t *out);
/* Shell-style glob with '*' and '?': true when str matches pat. */
bool glob_match(const char *pat, const char *str);

/*
 * Spinlock core (portable, inline): a test-and-test-and-set word plus
 * the owner's number, so the debug checks (SPINLOCK_DEBUG) can tell a
 * recursive acquire and an unlock by a non-owner. The kernel's IRQ-saving
 * lock built on it is in include/arch.h.
 */
#ifndef SPINLOCK_DEBUG
#define SPINLOCK_DEBUG 1
#endif

struct spinlock {
	uint32_t locked;
	uint32_t owner;		/* owner's number + 1; 0 when free */
	const char *name;
};

#define SPINLOCK_INIT(n)	{ 0, 0, n }

/*
 * One attempt: 0 when taken, -EBUSY when held by another, -EDEADLK when held
 * by 'self'. Inline, so a lock taker the probe engine must not patch (the
 * raw lock, arch.h) carries no call into probe-able code.
 */
static inline __attribute__((always_inline)) int
spin_try_acquire(struct spinlock *l, unsigned int self)
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

/* 0, or -EPERM (debug) when 'self' does not hold it: the lock is then left alone. */
static inline __attribute__((always_inline)) int
spin_release(struct spinlock *l, unsigned int self)
{
	if (SPINLOCK_DEBUG && (!__atomic_load_n(&l->locked, __ATOMIC_RELAXED) ||
			       __atomic_load_n(&l->owner, __ATOMIC_RELAXED) != self + 1))
		return -EPERM;
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	return 0;
}

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))

#endif
