/* Its probe handler dereferences NULL: the kernel survives, the probe is disabled. */
#include <linux/kprobes.h>
#include <linux/module.h>

static int *volatile nowhere;

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return *nowhere;
}

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };

static int __init faulty_init(void)
{
	return register_kprobe(&kp);
}

static void __exit faulty_exit(void)
{
	pr_info("faulty: probe flags %#x, %lu missed\n", kp.flags, kprobe_nmissed(&kp));
	unregister_kprobe(&kp);
}

module_init(faulty_init);
module_exit(faulty_exit);
MODULE_LICENSE("GPL");
