/*
 * Registers a probe, then faults in its init: the fault is survived (init
 * runs guarded), counts as init failing, and the probe and the module go.
 */
#include <linux/kprobes.h>
#include <linux/module.h>

static int *volatile nowhere;

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	pr_info("initfault: hit\n");
	return 0;
}

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };

static int __init initfault_init(void)
{
	int ret = register_kprobe(&kp);

	return ret ? ret : *nowhere;
}

module_init(initfault_init);
MODULE_LICENSE("GPL");
