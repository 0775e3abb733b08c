/*
 * jprobes, a compatibility API (Linux removed them in 4.15), built on a
 * kprobe at the function's entry. The pre-handler saves the registers and
 * the top of the stack, then returns into the jprobe's entry handler with
 * the function's arguments still in their registers. The handler ends with
 * jprobe_return(), an int3 this file's trap hook recognises: it puts the
 * saved registers and stack back and resumes at the probed address, where
 * the kprobe fires once more and, told so, lets the function run.
 */
#include "kprobes_internal.h"
#include "task.h"
#include <linux/kprobes.h>

/* Bytes above the entry sp the handler may overwrite (stack arguments). */
#define JPROBE_STACK	128

struct jprobe_cpu {
	struct jprobe *jp;		/* in its entry handler on this CPU */
	bool resuming;			/* next hit of jp lets the function run */
	struct pt_regs regs;
	uint8_t stack[JPROBE_STACK];
};

static struct jprobe_cpu jcpu[TASK_MAX_CPUS];

extern const char jprobe_return_trap[];

/* int3 followed by a label the trap hook recognises; never returns. */
asm(".pushsection .noprobe.text, \"ax\"\n"
    ".globl jprobe_return\n"
    ".type jprobe_return, @function\n"
    "jprobe_return:\n"
    "	int3\n"
    ".globl jprobe_return_trap\n"
    "jprobe_return_trap:\n"
    "	ud2\n"
    ".size jprobe_return, . - jprobe_return\n"
    ".popsection\n");

static int jprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct jprobe *jp = container_of(p, struct jprobe, kp);
	struct jprobe_cpu *c = &jcpu[smp_processor_id() % TASK_MAX_CPUS];

	if (c->resuming) {
		c->resuming = false;
		return 0;	/* step the original instruction: the function runs */
	}
	if (c->jp) {
		kprobe_count(kprobe_ctl(), p)->nmissed++;	/* a jprobe hit from inside an entry handler */
		return 0;
	}
	c->jp = jp;
	c->regs = *regs;
	memcpy(c->stack, (const void *)regs->sp, JPROBE_STACK);
	regs->ip = (uint64_t)jp->entry;
	return 1;
}
NOKPROBE_SYMBOL(jprobe_pre);

static bool jprobe_trap(struct pt_regs *regs, int trapnr)
{
	struct jprobe_cpu *c = &jcpu[smp_processor_id() % TASK_MAX_CPUS];

	(void)trapnr;
	if (regs->ip != (uint64_t)jprobe_return_trap || !c->jp)
		return false;
	*regs = c->regs;
	memcpy((void *)regs->sp, c->stack, JPROBE_STACK);
	c->jp = NULL;
	c->resuming = true;
	return true;
}
NOKPROBE_SYMBOL(jprobe_trap);

int register_jprobe(struct jprobe *jp)
{
	if (!jp || !jp->entry)
		return -EINVAL;
	jp->kp.pre_handler = jprobe_pre;
	jp->kp.post_handler = NULL;
	return register_kprobe(&jp->kp);
}
EXPORT_SYMBOL(register_jprobe);

const void *jprobe_entry_of(const struct kprobe *p)
{
	return p->pre_handler == jprobe_pre ? container_of(p, const struct jprobe, kp)->entry : NULL;
}

void unregister_jprobe(struct jprobe *jp)
{
	if (jp)
		unregister_kprobe(&jp->kp);
}
EXPORT_SYMBOL(unregister_jprobe);

int register_jprobes(struct jprobe **jps, int num)
{
	if (!jps || num <= 0)
		return -EINVAL;
	for (int i = 0; i < num; i++) {
		int err = register_jprobe(jps[i]);

		if (err) {
			unregister_jprobes(jps, i);
			return err;
		}
	}
	return 0;
}
EXPORT_SYMBOL(register_jprobes);

void unregister_jprobes(struct jprobe **jps, int num)
{
	for (int i = 0; jps && i < num; i++)
		unregister_jprobe(jps[i]);
}
EXPORT_SYMBOL(unregister_jprobes);
EXPORT_SYMBOL(jprobe_return);

static int jprobe_init(void)
{
	return trap_hook_register(X86_TRAP_BP, jprobe_trap);
}
INITCALL(jprobe_init, 3);
