/*
 * Registers a kprobe, a kretprobe and a jprobe and never removes them:
 * rmmod must. The jprobe is on the heap, as a module may allocate its
 * probes: only its entry handler says it belongs to the module.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/slab.h>

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	pr_info("leaveprobe: hit %s\n", p->symbol_name);
	(void)regs;
	return 0;
}

static int ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	(void)ri;
	pr_info("leaveprobe: returned %lu\n", regs->ax);
	return 0;
}

static u64 j_sub(u64 a, u64 b)
{
	pr_info("leaveprobe: jprobe sub(%llu, %llu)\n", a, b);
	jprobe_return();
}

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };
static struct kretprobe rp = { .kp.symbol_name = "kp_target_fib", .handler = ret };

static int __init leaveprobe_init(void)
{
	struct jprobe *jp = kzalloc(sizeof(*jp), GFP_KERNEL);
	int err;

	if (!jp)
		return -ENOMEM;
	jp->kp.symbol_name = "kp_target_sub";
	jp->entry = j_sub;
	err = register_kprobe(&kp);
	if (!err)
		err = register_kretprobe(&rp);
	if (!err)
		err = register_jprobe(jp);
	return err;
}

module_init(leaveprobe_init);
MODULE_LICENSE("GPL");
