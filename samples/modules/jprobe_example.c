/*
 * A jprobe (the compatibility API; Linux dropped jprobes in 4.15): the
 * entry handler has the probed function's signature, so it sees its
 * arguments by name, and ends with jprobe_return().
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>

static u64 j_kp_target_add(u64 a, u64 b)
{
	pr_info("jprobe_example: kp_target_add(a=%llu, b=%llu) on cpu %u by %s\n",
		(unsigned long long)a, (unsigned long long)b, smp_processor_id(), current->comm);
	jprobe_return();
}

static struct jprobe jp = {
	.kp.symbol_name = "kp_target_add",
	.entry = j_kp_target_add,
};

static int __init jprobe_example_init(void)
{
	int ret = register_jprobe(&jp);

	if (ret < 0) {
		pr_err("jprobe_example: register_jprobe failed: %d\n", ret);
		return ret;
	}
	pr_info("jprobe_example: planted at %p\n", jp.kp.addr);
	return 0;
}

static void __exit jprobe_example_exit(void)
{
	unregister_jprobe(&jp);
	pr_info("jprobe_example: removed\n");
}

module_init(jprobe_example_init);
module_exit(jprobe_example_exit);
MODULE_LICENSE("GPL");
