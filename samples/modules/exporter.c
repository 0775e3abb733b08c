/*
 * Exports a function for other modules (prober.ko probes it and calls it):
 * exporter_work is resolved by the loader when prober.ko is loaded, and
 * exporter is then in use until prober goes.
 */
#include <linux/kernel.h>
#include <linux/module.h>

static int calls;

noinline int exporter_work(int x)
{
	calls++;
	return x * 3 + 1;
}
EXPORT_SYMBOL(exporter_work);

static int __init exporter_init(void)
{
	pr_info("exporter: exporter_work ready\n");
	return 0;
}

static void __exit exporter_exit(void)
{
	pr_info("exporter: exporter_work ran %d times\n", calls);
}

module_init(exporter_init);
module_exit(exporter_exit);
MODULE_LICENSE("GPL");
