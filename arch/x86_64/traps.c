/*
 * do_trap: where every vector lands. Interrupts go to irq.c; exceptions are
 * offered to the registered hooks (probe engine, GDB stub), then to the
 * exception table (fault-safe copies), and otherwise end in an oops.
 */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

#define MAX_HOOKS 4

/*
 * hooks[v][0] is called straight from entry.asm (trap_common) for the probe
 * hit path's sake; the layout (32 bytes per vector) and percpu.trap_depth's
 * offset are known there.
 */
trap_hook_t trap_hooks[32][MAX_HOOKS];
#define hooks trap_hooks
_Static_assert(sizeof(trap_hooks[0]) == 32, "entry.asm indexes trap_hooks by vector * 32");
_Static_assert(__builtin_offsetof(struct percpu, trap_depth) == 20,
	       "entry.asm: PERCPU_TRAP_DEPTH");

static const char *const names[32] = {
	[0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "int3",
	[4] = "overflow", [5] = "bound range exceeded", [6] = "invalid opcode",
	[7] = "device not available", [8] = "double fault",
	[9] = "coprocessor segment overrun", [10] = "invalid TSS",
	[11] = "segment not present", [12] = "stack segment fault",
	[13] = "general protection fault", [14] = "page fault",
	[16] = "x87 floating point error", [17] = "alignment check",
	[18] = "machine check", [19] = "SIMD floating point exception",
	[20] = "virtualization exception", [21] = "control protection fault",
	[28] = "hypervisor injection", [29] = "VMM communication",
	[30] = "security exception",
};

const char *trap_name(int vector)
{
	if (vector >= 0 && vector < 32 && names[vector])
		return names[vector];
	return vector < 32 ? "reserved exception" : "interrupt";
}

int trap_hook_register(int vector, trap_hook_t fn)
{
	if (vector < 0 || vector >= 32)
		return -EINVAL;
	for (int i = 0; i < MAX_HOOKS; i++) {
		if (!hooks[vector][i]) {
			WRITE_ONCE(hooks[vector][i], fn);
			return 0;
		}
	}
	return -ENOSPC;
}

void trap_hook_unregister(int vector, trap_hook_t fn)
{
	for (int i = 0; i < MAX_HOOKS; i++)
		if (hooks[vector][i] == fn)
			WRITE_ONCE(hooks[vector][i], NULL);
}

uint64_t guarded_call(uint64_t fn, const uint64_t args[6], int *faulted, uint64_t *guard_sp);

uint64_t call_guarded(uint64_t fn, const uint64_t args[6], bool *faulted)
{
	struct percpu *cpu = this_cpu();
	uint64_t old_sp = cpu->guard_sp, ret;
	int old_depth = cpu->guard_irq_depth, f;

	cpu->guard_irq_depth = cpu->irq_depth;
	ret = guarded_call(fn, args, &f, &cpu->guard_sp);
	cpu->guard_sp = old_sp;
	cpu->guard_irq_depth = old_depth;
	*faulted = f;
	return ret;
}

/*
 * An exception after its first hook (called from entry.asm) declined it:
 * the other hooks, the exception table, a guarded call, or an oops.
 */
void do_exception(struct pt_regs *regs, unsigned long vector, int from)
{
	struct percpu *cpu = this_cpu();

	if (vector == X86_TRAP_BP && text_poke_int3(regs))
		return;
	for (int i = from; i < MAX_HOOKS; i++) {
		trap_hook_t fn = READ_ONCE(hooks[vector][i]);

		if (fn && fn(regs, vector))
			return;
	}
	if (vector == X86_TRAP_NMI) {
		pr_warn("NMI received at %p; ignored\n", (void *)regs->ip);
		return;
	}
	if (fixup_exception(regs))
		return;
	if (cpu->guard_sp && cpu->irq_depth == cpu->guard_irq_depth) {
		extern const char guarded_call_fault[];

		/* a guarded call went wrong: report it, then unwind to its caller */
		oops_report(regs, vector, "in a guarded call; the kernel goes on");
		regs->ip = (uint64_t)guarded_call_fault;
		regs->sp = cpu->guard_sp;
		regs->flags = X86_EFLAGS_IF | 0x2;
		cpu->guard_sp = 0;
		return;
	}
	oops(regs, vector, NULL);
}

/* Interrupts, and exceptions with no first hook (entry.asm handles the rest). */
void do_trap(struct pt_regs *regs, unsigned long vector)
{
	struct percpu *cpu;

	if (vector >= 32) {
		irq_dispatch(regs, vector);
		return;
	}
	cpu = this_cpu();
	cpu->trap_depth++;
	do_exception(regs, vector, 0);
	cpu->trap_depth--;
}
NOKPROBE_SYMBOL(do_trap);
NOKPROBE_SYMBOL(do_exception);
