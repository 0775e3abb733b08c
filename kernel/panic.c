/*
 * Oops and panic: say what happened (exception, error code, CR2, registers,
 * a symbolized frame-pointer backtrace), then stop. Under QEMU with
 * isa-debug-exit the machine exits with status 33 so no test ever hangs on a
 * dead kernel; elsewhere it halts with interrupts off.
 */
#include "kernel.h"
#include "arch.h"
#include "kallsyms.h"

#define OOPS_EXIT_CODE	0x10	/* QEMU exit status (0x10 << 1) | 1 = 33 */
#define MAX_FRAMES	32

static int oops_in_progress;

/*
 * Oops notifier: called with the trap's registers after the report and
 * before the kernel stops, so a debugger can look at the dead kernel first.
 * The GDB stub sets it (`kgdb on-oops on`, probes/kgdb.c); NULL by default.
 */
void (*oops_notifier)(struct pt_regs *regs, int trapnr);

static void __noreturn stop(void)
{
	printk(KERN_EMERG "---[ end Kernel stopped ]---\n");
	qemu_exit(OOPS_EXIT_CODE);
	local_irq_disable();
	for (;;)
		halt();
}

/*
 * Frame by frame from bp; at a return into the trap entry, on through the
 * code the trap interrupted: its ip, and when it stopped at a function's
 * first instruction (before that function's frame exists, as at a probe on
 * entry) the return address on top of its stack, then its bp chain.
 */
void show_backtrace(uint64_t bp)
{
	uint64_t rets[MAX_FRAMES];
	const struct pt_regs *trap;
	int shown = 0;
	char sym[128];

	printk(KERN_EMERG "Call Trace:\n");
	while (shown < MAX_FRAMES) {
		int n = stack_trace_save_to_trap(bp, rets, MAX_FRAMES - shown, &trap);
		uint64_t off, ret;

		for (int i = 0; i < n; i++)
			printk(KERN_EMERG " [<%016lx>] %s\n", rets[i],
			       kallsyms_sprint_ret(rets[i], sym, sizeof(sym)));
		shown += n;
		if (!trap)
			break;
		printk(KERN_EMERG " <trap> [<%016lx>] %s\n", trap->ip,
		       kallsyms_sprint(trap->ip, sym, sizeof(sym)));
		if (kallsyms_lookup(trap->ip, &off) && off == 0 &&
		    !copy_from_kernel_nofault(&ret, (void *)trap->sp, sizeof(ret)) &&
		    is_kernel_text(ret))
			printk(KERN_EMERG " [<%016lx>] %s\n", ret,
			       kallsyms_sprint_ret(ret, sym, sizeof(sym)));
		shown += 2;
		bp = trap->bp;
	}
}

void show_regs(const struct pt_regs *r)
{
	char sym[128];

	printk(KERN_EMERG "RIP: %04lx:%016lx %s\n", r->cs, r->ip,
	       kallsyms_sprint(r->ip, sym, sizeof(sym)));
	printk(KERN_EMERG "RSP: %04lx:%016lx EFLAGS: %08lx\n", r->ss, r->sp, r->flags);
	printk(KERN_EMERG "RAX: %016lx RBX: %016lx RCX: %016lx\n", r->ax, r->bx, r->cx);
	printk(KERN_EMERG "RDX: %016lx RSI: %016lx RDI: %016lx\n", r->dx, r->si, r->di);
	printk(KERN_EMERG "RBP: %016lx R08: %016lx R09: %016lx\n", r->bp, r->r8, r->r9);
	printk(KERN_EMERG "R10: %016lx R11: %016lx R12: %016lx\n", r->r10, r->r11, r->r12);
	printk(KERN_EMERG "R13: %016lx R14: %016lx R15: %016lx\n", r->r13, r->r14, r->r15);
}

void oops_report(struct pt_regs *regs, int trapnr, const char *why)
{
	char sym[128];
	const char *stack;

	printk(KERN_EMERG "Oops: %s (vector %d), error code %#lx%s%s\n", trap_name(trapnr),
	       trapnr, regs->orig_ax == ~0UL ? 0 : regs->orig_ax, why ? ": " : "", why ? why : "");
	printk(KERN_EMERG "in %s\n", kallsyms_sprint(regs->ip, sym, sizeof(sym)));
	if (trapnr == X86_TRAP_PF || trapnr == X86_TRAP_DF) {
		/* read by the trap entry: later faults (a probe's) changed CR2 since */
		uint64_t cr2 = this_cpu()->fault_cr2;

		if (trapnr == X86_TRAP_PF)
			printk(KERN_EMERG "CR2: %016lx (%s %s address)\n", cr2,
			       regs->orig_ax & 2 ? "write to" : regs->orig_ax & 16 ? "execute at" :
			       "read from", regs->orig_ax & 1 ? "a protected" : "an unmapped");
		/* a #DF from a #PF the CPU could not deliver: its stack was full */
		if (stack_guard_hit(cr2, &stack) ||
		    (trapnr == X86_TRAP_DF && stack_guard_hit(regs->sp - 8, &stack)))
			printk(KERN_EMERG "the %s stack overflowed into its guard page\n", stack);
	}
	show_regs(regs);
	show_backtrace(regs->bp);
}

void oops(struct pt_regs *regs, int trapnr, const char *why)
{
	local_irq_disable();
	if (oops_in_progress++) {
		printk(KERN_EMERG "Oops while reporting an oops (%s at %016lx)\n",
		       trap_name(trapnr), regs->ip);
		stop();
	}
	oops_report(regs, trapnr, why);
	if (oops_notifier)
		oops_notifier(regs, trapnr);
	stop();
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	local_irq_disable();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic: %s\n", msg);
	if (!oops_in_progress++)
		show_backtrace((uint64_t)__builtin_frame_address(0));
	stop();
}
