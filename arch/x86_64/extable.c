/*
 * Exception fixups. A few instructions are allowed to fault: the loads and
 * stores in copy_{from,to}_kernel_nofault. Each is listed in __ex_table with
 * where to continue, so a bad pointer from the console, a fetch-arg or the
 * GDB stub returns -EFAULT instead of oopsing.
 */
#include "arch.h"
#include "kernel.h"

extern const struct exception_entry __ex_table_start[], __ex_table_end[];

/*
 * Probe-able: the fault path asks only once the probe engine's fault hook
 * has looked at (and settled) the per-CPU probe state, so a hit here is an
 * ordinary hit or a reentry.
 */
static const struct exception_entry *search(uint64_t ip)
{
	for (const struct exception_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if ((uint64_t)&e->insn + e->insn == ip)
			return e;
	return NULL;
}

bool in_exception_table(uint64_t ip)
{
	return search(ip) != NULL;
}

bool fixup_exception(struct pt_regs *regs)
{
	const struct exception_entry *e = search(regs->ip);

	if (!e)
		return false;
	regs->ip = (uint64_t)&e->fixup + e->fixup;
	return true;
}

/*
 * One byte at a time: simple, and a fault leaves exactly the bytes before it
 * copied. Label 1 is the access that may fault; its fixup (3) sets err to
 * -EFAULT and resumes after it (2).
 */
#define FAULT_TO_EFAULT(insn)					\
	"1: " insn "\n"					\
	"2:\n"							\
	".pushsection .text.fixup, \"ax\"\n"			\
	"3: movl %[efault], %[err]\n"				\
	"   jmp 2b\n"						\
	".popsection\n"					\
	".pushsection __ex_table, \"a\"\n"			\
	".balign 4\n"						\
	".long 1b - ., 3b - .\n"				\
	".popsection\n"

static int copy_byte(uint8_t *dst, const uint8_t *src)
{
	int err = 0;
	uint8_t v = 0;

	asm volatile(FAULT_TO_EFAULT("movb (%[src]), %[v]")
		     : [err] "+r"(err), [v] "=q"(v)
		     : [src] "r"(src), [efault] "i"(-EFAULT));
	if (!err)
		*dst = v;
	return err;
}

static int store_byte(uint8_t *dst, uint8_t v)
{
	int err = 0;

	asm volatile(FAULT_TO_EFAULT("movb %[v], (%[dst])")
		     : [err] "+r"(err)
		     : [v] "q"(v), [dst] "r"(dst), [efault] "i"(-EFAULT)
		     : "memory");
	return err;
}

int copy_from_kernel_nofault(void *dst, const void *src, size_t n)
{
	if (!va_is_canonical((uint64_t)src) || !va_is_canonical((uint64_t)src + n - 1))
		return -EFAULT;
	for (size_t i = 0; i < n; i++)
		if (copy_byte((uint8_t *)dst + i, (const uint8_t *)src + i))
			return -EFAULT;
	return 0;
}

int copy_to_kernel_nofault(void *dst, const void *src, size_t n)
{
	if (!va_is_canonical((uint64_t)dst) || !va_is_canonical((uint64_t)dst + n - 1))
		return -EFAULT;
	if (is_kernel_text((uint64_t)dst) || is_kernel_text((uint64_t)dst + n - 1))
		return -EFAULT;
	for (size_t i = 0; i < n; i++)
		if (store_byte((uint8_t *)dst + i, ((const uint8_t *)src)[i]))
			return -EFAULT;
	return 0;
}
