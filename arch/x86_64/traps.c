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
 * hooks[v][0] is called straight from entry.asm (trap_common, trap_int3)
 * for the probe hit path's sake; the layout (32 bytes per vector) and
 * percpu.trap_depth's offset are known there.
 */
static bool no_hook(struct pt_regs *regs, int trapnr);

/* #BP's first slot is never empty, so trap_int3 calls it without a test. */
trap_hook_t trap_hooks[32][MAX_HOOKS] = { [X86_TRAP_BP] = { no_hook } };
#define hooks trap_hooks
_Static_assert(sizeof(trap_hooks[0]) == 32, "entry.asm indexes trap_hooks by vector * 32");
_Static_assert(__builtin_offsetof(struct percpu, trap_depth) == 20,
	       "entry.asm: PERCPU_TRAP_DEPTH");
_Static_assert(__builtin_offsetof(struct percpu, fault_cr2) == 56,
	       "entry.asm: PERCPU_FAULT_CR2");

/*
 * Where trap_int3 goes once pt_regs is built (rsp and rdi at it): its own
 * hook call, unless the probe engine installed a fast path (arch.h).
 */
extern const char trap_int3_hooks[];
const void *trap_int3_entry = trap_int3_hooks;

void trap_int3_fast_path(const void *entry)
{
	WRITE_ONCE(trap_int3_entry, entry ? entry : (const void *)trap_int3_hooks);
}

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

/*
 * trap_common and trap_int3 (between it and trap_return) call C with rsp
 * at the saved struct pt_regs (the CPU keeps the frame 16-byte aligned, so
 * trap_common's `and rsp, -16` changes nothing): the callee's frame sits
 * right below, regs at bp + 16. The frame is checked before it is believed.
 */
static bool (*trap_like_return)(uint64_t ret);

void trap_frame_like(bool (*is_return)(uint64_t ret))
{
	WRITE_ONCE(trap_like_return, is_return);
}

const struct pt_regs *trap_frame_regs(uint64_t ret, uint64_t bp)
{
	extern const char trap_common[], trap_return[];
	const struct pt_regs *regs = (const struct pt_regs *)(bp + 16);
	bool (*like)(uint64_t) = READ_ONCE(trap_like_return);
	struct pt_regs copy;

	if ((ret <= (uint64_t)trap_common || ret > (uint64_t)trap_return) && !(like && like(ret)))
		return NULL;
	if (copy_from_kernel_nofault(&copy, regs, sizeof(copy)) || copy.cs != KERNEL_CS ||
	    !(copy.flags & 0x2))
		return NULL;
	return regs;
}

/* Declines: the placeholder in #BP's first slot until a hook takes it. */
static __noprobe("entry") bool no_hook(struct pt_regs *regs, int trapnr)
{
	(void)regs;
	(void)trapnr;
	return false;
}

int trap_hook_register(int vector, trap_hook_t fn)
{
	if (vector < 0 || vector >= 32)
		return -EINVAL;
	for (int i = 0; i < MAX_HOOKS; i++) {
		if (!hooks[vector][i] || hooks[vector][i] == no_hook) {
			WRITE_ONCE(hooks[vector][i], fn);
			return 0;
		}
	}
	return -ENOSPC;
}

uint64_t guarded_call(uint64_t fn, const uint64_t args[6], int *how, uint64_t *guard_sp);

static guard_unwind_fn_t unwind_notifier;

void guard_unwind_notifier_set(guard_unwind_fn_t fn)
{
	unwind_notifier = fn;
}

/*
 * guard_sp is what makes a guard live (traps and interrupts test it first):
 * it is 0 while the other fields change, guarded_call sets it once its frame
 * is built and clears it before the frame unwinds, so an interrupt never
 * sees a guard half set up or half torn down.
 */
static uint64_t guarded(uint64_t fn, const uint64_t args[6], bool stoppable, int *how)
{
	struct percpu *cpu = this_cpu();
	uint64_t old_sp = cpu->guard_sp, ret;
	int old_depth = cpu->guard_irq_depth, trap_depth = cpu->trap_depth;
	bool old_stoppable = cpu->guard_stoppable;

	WRITE_ONCE(cpu->guard_sp, 0);
	barrier();
	cpu->guard_irq_depth = cpu->irq_depth;
	cpu->guard_stoppable = stoppable;
	if (stoppable)
		cpu->guard_stop = false;
	barrier();
	ret = guarded_call(fn, args, how, &cpu->guard_sp);
	barrier();
	cpu->guard_irq_depth = old_depth;
	if (*how)	/* traps the unwind abandoned never got to their decrement */
		cpu->trap_depth = trap_depth;
	cpu->guard_stoppable = old_stoppable;
	barrier();
	WRITE_ONCE(cpu->guard_sp, old_sp);
	return ret;
}

uint64_t call_guarded(uint64_t fn, const uint64_t args[6], bool *faulted)
{
	int how;
	uint64_t ret = guarded(fn, args, false, &how);

	*faulted = how != 0;
	return ret;
}

uint64_t call_stoppable(uint64_t fn, const uint64_t args[6], enum guard_end *how,
			uint64_t *where)
{
	int h;
	uint64_t ret = guarded(fn, args, true, &h);

	*how = h == 2 ? GUARD_STOPPED : h ? GUARD_FAULTED : GUARD_RETURNED;
	*where = this_cpu()->guard_stop_ip;
	return ret;
}

void guard_stop(void)
{
	struct percpu *cpu = this_cpu();

	if (cpu->guard_stoppable)
		cpu->guard_stop = true;
}

/*
 * At the end of an interrupt: a stop was asked for, so if the interrupted
 * code is the stoppable call itself (not a nested interrupt, an exception
 * handler or a guard inside it that is not stoppable), resume at its
 * unwinding instead. Not from .noprobe.text: the trap path and the probe
 * engine (a kretprobe trampoline, a text_poke) must finish what they do;
 * the next interrupt in ordinary code stops the call. The interrupted
 * flags stand: interrupts were on.
 */
void guard_stop_unwind(struct pt_regs *regs)
{
	struct percpu *cpu = this_cpu();
	extern const char guarded_call_stopped[];
	extern const char __noprobe_text_start[], __noprobe_text_end[];

	if (!cpu->guard_sp || !cpu->guard_stoppable || cpu->trap_depth ||
	    cpu->irq_depth != cpu->guard_irq_depth || regs->cs != KERNEL_CS)
		return;
	if (regs->ip >= (uint64_t)__noprobe_text_start && regs->ip < (uint64_t)__noprobe_text_end)
		return;
	cpu->guard_stop = false;
	cpu->guard_stop_ip = regs->ip;
	if (unwind_notifier)		/* as for a fault: the frames below go */
		unwind_notifier(cpu->guard_sp);
	regs->ip = (uint64_t)guarded_call_stopped;
	regs->sp = cpu->guard_sp;
	cpu->guard_sp = 0;
}
NOKPROBE_SYMBOL(guard_stop_unwind);

/*
 * An exception after its first hook (called from entry.asm) declined it:
 * the other hooks, the exception table, a guarded call, or an oops.
 */
__noprobe("entry") void do_exception(struct pt_regs *regs, unsigned long vector, int from)
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

		/*
		 * A guarded call went wrong: report it, let the state kept for
		 * the frames being dropped be reset, then unwind to the caller.
		 * Interrupts stay off until guarded_call_fault restores the
		 * flags saved at the call: the code that made the call may be
		 * running with them off (a kretprobe's entry handler inside
		 * the int3 handler).
		 */
		oops_report(regs, vector, "in a guarded call; the kernel goes on");
		if (unwind_notifier)
			unwind_notifier(cpu->guard_sp);
		regs->ip = (uint64_t)guarded_call_fault;
		regs->sp = cpu->guard_sp;
		regs->flags = 0x2;
		cpu->guard_sp = 0;
		return;
	}
	oops(regs, vector, NULL);
}

/* Interrupts, and exceptions with no first hook (entry.asm handles the rest). */
__noprobe("entry") void do_trap(struct pt_regs *regs, unsigned long vector)
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
