/* Exports a name exporter.ko exports too: refused while exporter is loaded. */
#include <linux/kernel.h>
#include <linux/module.h>

noinline int exporter_work(int x)
{
	return x;
}
EXPORT_SYMBOL(exporter_work);

MODULE_LICENSE("GPL");
