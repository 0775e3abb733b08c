/* Registers a probe, then fails its init: the probe and the module must both go. */
#include <linux/kprobes.h>
#include <linux/module.h>

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return 0;
}

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };

static int __init initfail_init(void)
{
	register_kprobe(&kp);
	pr_info("initfail: failing with -ENODEV\n");
	return -ENODEV;
}

module_init(initfail_init);
MODULE_LICENSE("GPL");
