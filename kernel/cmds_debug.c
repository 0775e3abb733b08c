/* Debugging console commands: ksym, peek, call, crash. */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "kallsyms.h"

static int cmd_ksym(int argc, char **argv)
{
	const struct ksym *s;
	uint64_t addr, off;
	char buf[160];

	if (argc != 2)
		return cmd_error("usage: ksym NAME|ADDR");
	if (argv[1][0] >= '0' && argv[1][0] <= '9') {
		if (kstrtou64(argv[1], &addr))
			return cmd_error("bad address '%s'", argv[1]);
		if (!kallsyms_lookup(addr, NULL))
			return cmd_error("no symbol contains %#lx", addr);
		cprintf("%s\n", kallsyms_sprint(addr, buf, sizeof(buf)));
		return 0;
	}
	if (parse_address(argv[1], &addr))
		return cmd_error("no symbol '%s'", argv[1]);
	s = kallsyms_lookup(addr, &off);
	cprintf("%#lx %c %s\n", addr, s ? s->type : '?', kallsyms_sprint(addr, buf, sizeof(buf)));
	return 0;
}
CONSOLE_CMD(ksym, cmd_ksym, "ksym NAME|ADDR",
	    "symbol to address, or address to name+0xoff/0xsize");

static int cmd_peek(int argc, char **argv)
{
	uint64_t addr, len = 64;

	if (argc < 2 || argc > 3)
		return cmd_error("usage: peek ADDR [LEN]");
	if (parse_address(argv[1], &addr))
		return cmd_error("bad address '%s'", argv[1]);
	if (argc == 3 && (kstrtou64(argv[2], &len) || !len || len > 4096))
		return cmd_error("bad length '%s' (1 to 4096)", argv[2]);
	if (!va_is_canonical(addr) || !va_is_canonical(addr + len - 1))
		return cmd_error("%#lx is not a canonical address", addr);
	for (uint64_t a = addr; a < addr + len; a += 16) {
		uint8_t b[16];
		size_t n = min(16UL, addr + len - a);
		char hex[16 * 3 + 1], asc[17];

		if (copy_from_kernel_nofault(b, (void *)a, n))
			return cmd_error("%#lx is not mapped", a);
		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				snprintf(hex + 3 * i, 4, "%02x ", b[i]);
			else
				memcpy(hex + 3 * i, "   ", 4);
			asc[i] = i < n ? (b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.') : ' ';
		}
		asc[16] = '\0';
		cprintf("%016lx: %s |%s|\n", a, hex, asc);
	}
	return 0;
}
CONSOLE_CMD(peek, cmd_peek, "peek ADDR [LEN]", "hex dump of memory (fault-safe; LEN up to 4096)");

/* call -c CPU: the call runs on an idle AP, guarded there. */
struct remote_call {
	uint64_t fn, args[6], ret;
	bool faulted;
};

static void run_remote(void *arg)
{
	struct remote_call *rc = arg;

	rc->ret = call_guarded(rc->fn, rc->args, &rc->faulted);
}

static int call_on(unsigned int cpu, uint64_t fn, const uint64_t a[6], uint64_t *ret,
		   enum guard_end *how)
{
	static struct remote_call rc;

	rc.fn = fn;
	memcpy(rc.args, a, sizeof(rc.args));
	if (smp_run_on(cpu, run_remote, &rc))
		return -1;
	smp_run_wait(cpu);
	*ret = rc.ret;
	*how = rc.faulted ? GUARD_FAULTED : GUARD_RETURNED;
	return 0;
}

static int cmd_call(int argc, char **argv)
{
	uint64_t fn, a[6] = { 0 }, cpu = this_cpu()->cpu;
	char buf[160];
	uint64_t ret, where;
	enum guard_end how;

	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		if (kstrtou64(argv[2], &cpu) || cpu >= num_cpus())
			return cmd_error("no cpu '%s' online (0 to %u)", argv[2], num_cpus() - 1);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc > 8)
		return cmd_error("usage: call [-c CPU] SYM [ARG...] (at most 6 arguments)");
	if (parse_address(argv[1], &fn))
		return cmd_error("no symbol '%s'", argv[1]);
	if (!is_kernel_text(fn))
		return cmd_error("%s is not kernel text", argv[1]);
	for (int i = 2; i < argc; i++) {
		char *end;

		if (argv[i][0] == '-') {
			a[i - 2] = strtoll(argv[i], &end, 0);
			if (*end || end == argv[i])
				return cmd_error("bad argument '%s'", argv[i]);
		} else if (parse_address(argv[i], &a[i - 2])) {
			return cmd_error("bad argument '%s'", argv[i]);
		}
	}
	if (cpu == this_cpu()->cpu)
		ret = call_stoppable(fn, a, &how, &where);
	else if (call_on((unsigned int)cpu, fn, a, &ret, &how))
		return cmd_error("cpu %lu is busy", cpu);
	if (how == GUARD_FAULTED)
		return cmd_error("%s faulted (oops above); the kernel goes on", argv[1]);
	if (how == GUARD_STOPPED) {
		console_interrupted();	/* the ^C is used up */
		return cmd_error("%s stopped by Ctrl-C in %s and unwound like a fault",
				 argv[1], kallsyms_sprint(where, buf, sizeof(buf)));
	}
	cprintf("%s = %#lx (%ld)\n", kallsyms_sprint(fn, buf, sizeof(buf)), ret, (long)ret);
	return 0;
}
CONSOLE_CMD(call, cmd_call, "call [-c CPU] SYM [ARG...]\n"
	    "  -c CPU: run it on that CPU (an idle AP, interrupts on); Ctrl-C cannot stop it there",
	    "call a kernel function with up to 6 integer arguments, print the result (Ctrl-C stops it)");

/* FNV-1a over the kernel text: equal sums mean bit-identical text. */
uint64_t kernel_text_checksum(void)
{
	extern const uint8_t _text[], _etext[];
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const uint8_t *p = _text; p < _etext; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

static int cmd_textsum(int argc, char **argv)
{
	extern const uint8_t _text[], _etext[];

	(void)argv;
	if (argc > 1)
		return cmd_error("usage: textsum");
	cprintf("%016lx  %lu bytes of kernel text\n", kernel_text_checksum(),
		(uint64_t)(_etext - _text));
	return 0;
}
CONSOLE_CMD(textsum, cmd_textsum, "textsum",
	    "checksum of the kernel text (equal sums: bit-identical text)");

/* Each crash is its own function so the oops can name where it happened. */
static __noinline void crash_ud2(void)
{
	asm volatile("ud2");
}

static __noinline int crash_null(void)
{
	volatile int *p = NULL;

	asm volatile("" : "+r"(p));	/* hide the NULL from the optimiser */
	return *p;
}

static __noinline int crash_div0(int zero)
{
	int r;

	asm volatile("idivl %2" : "=a"(r) : "a"(1), "r"(zero), "d"(0));
	return r;
}

static __noinline void crash_int3(void)
{
	asm volatile("int3");
}

static __noinline void crash_text(void)
{
	*(volatile uint8_t *)(uint64_t)&crash_text = 0x90;
}

/* Recurses until the stack runs into its guard page; the limit only exists
 * to tell the compiler this is not an unconditional infinite recursion. */
static __noinline int crash_stack(int depth)
{
	volatile char pad[512];

	pad[0] = depth;
	if (depth > 1000000)
		return 0;
	return crash_stack(depth + 1) + pad[0];
}

static int cmd_crash(int argc, char **argv)
{
	if (argc != 2)
		return cmd_error("usage: crash ud2|null|div0|int3|text|stack");
	if (!strcmp(argv[1], "ud2"))
		crash_ud2();
	else if (!strcmp(argv[1], "null"))
		crash_null();
	else if (!strcmp(argv[1], "div0"))
		crash_div0(0);
	else if (!strcmp(argv[1], "int3"))
		crash_int3();
	else if (!strcmp(argv[1], "text"))
		crash_text();
	else if (!strcmp(argv[1], "stack"))
		crash_stack(0);
	else
		return cmd_error("unknown crash '%s' (ud2, null, div0, int3, text, stack)", argv[1]);
	return cmd_error("crash %s did not crash", argv[1]);
}
CONSOLE_CMD(crash, cmd_crash, "crash ud2|null|div0|int3|text|stack",
	    "raise an exception on purpose to see the oops report");
