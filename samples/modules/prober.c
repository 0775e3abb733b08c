/*
 * Probes a function another module exports (exporter.ko's exporter_work),
 * then calls it: the probe fires in module code. insmod prober.ko n=K
 * calls it K times at load.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>

int exporter_work(int x);

static int n = 1;
module_param(n, int, 0644);

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	pr_info("prober: %s(%ld) hit\n", p->symbol_name, (long)regs->di);
	return 0;
}

static struct kprobe kp = {
	.symbol_name = "exporter:exporter_work",
	.pre_handler = pre,
};

static int __init prober_init(void)
{
	int ret = register_kprobe(&kp);

	if (ret < 0)
		return ret;
	for (int i = 0; i < n; i++)
		pr_info("prober: exporter_work(%d) = %d\n", i, exporter_work(i));
	return 0;
}

static void __exit prober_exit(void)
{
	unregister_kprobe(&kp);
	pr_info("prober: %lu hits\n", kprobe_nhit(&kp));
}

module_init(prober_init);
module_exit(prober_exit);
MODULE_LICENSE("GPL");
