/*
 * Times a kernel function with a kretprobe: the entry handler stamps the
 * time into the instance's data, the return handler prints the return
 * value and how long the call took. insmod ... func=NAME picks the function.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>

static char *func = "kp_target_fib";
module_param(func, charp, 0644);
MODULE_PARM_DESC(func, "the function to time");

struct call_start {
	ktime_t entered;
};

static int entry_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct call_start *d = (struct call_start *)ri->data;

	(void)regs;
	d->entered = ktime_get();
	return 0;
}

static int ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct call_start *d = (struct call_start *)ri->data;
	s64 ns = ktime_to_ns(ktime_sub(ktime_get(), d->entered));

	pr_info("kretprobe_example: %s returned %lu after %lld ns\n", func,
		regs_return_value(regs), ns);
	return 0;
}

static struct kretprobe timer_probe = {
	.handler = ret_handler,
	.entry_handler = entry_handler,
	.data_size = sizeof(struct call_start),
	.maxactive = 20,
};

static int __init kretprobe_example_init(void)
{
	int ret;

	timer_probe.kp.symbol_name = func;
	ret = register_kretprobe(&timer_probe);
	if (ret < 0) {
		pr_err("kretprobe_example: register_kretprobe(%s) failed: %d\n", func, ret);
		return ret;
	}
	pr_info("kretprobe_example: timing %s\n", func);
	return 0;
}

static void __exit kretprobe_example_exit(void)
{
	unregister_kretprobe(&timer_probe);
	pr_info("kretprobe_example: done, %d returns missed\n", timer_probe.nmissed);
}

module_init(kretprobe_example_init);
module_exit(kretprobe_example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("time a function and print its return value");
