/* Registers a kprobe and a kretprobe and never removes them: rmmod must. */
#include <linux/kprobes.h>
#include <linux/module.h>

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

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };
static struct kretprobe rp = { .kp.symbol_name = "kp_target_fib", .handler = ret };

static int __init leaveprobe_init(void)
{
	int err = register_kprobe(&kp);

	return err ? err : register_kretprobe(&rp);
}

module_init(leaveprobe_init);
MODULE_LICENSE("GPL");
