/*
 * THIS_MODULE is the module itself: init prints its name and address and,
 * with hold=1, takes a reference (rmmod is then refused); the next call of
 * kp_target_add drops it from the probe handler, on whatever CPU it runs.
 */
#include <linux/kprobes.h>
#include <linux/module.h>

static bool hold;
module_param(hold, bool, 0444);
static int held;

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p, (void)regs;
	if (__atomic_exchange_n(&held, 0, __ATOMIC_ACQ_REL)) {
		module_put(THIS_MODULE);
		pr_info("holder: released, refcount %d\n", module_refcount(THIS_MODULE));
	}
	return 0;
}

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };

static int __init holder_init(void)
{
	int err;

	pr_info("holder: THIS_MODULE is '%s' at %p, state %d\n", THIS_MODULE->name,
		THIS_MODULE, THIS_MODULE->state);
	err = register_kprobe(&kp);
	if (err)
		return err;
	if (hold && try_module_get(THIS_MODULE)) {
		held = 1;
		pr_info("holder: holding, refcount %d\n", module_refcount(THIS_MODULE));
	}
	return 0;
}

static void __exit holder_exit(void)
{
	unregister_kprobe(&kp);
	pr_info("holder: exit, refcount %d\n", module_refcount(THIS_MODULE));
}

module_init(holder_init);
module_exit(holder_exit);
MODULE_LICENSE("GPL");
