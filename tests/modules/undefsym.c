/* Calls a function nobody exports: refused, naming it. */
#include <linux/module.h>

int no_such_export(int x);

static int __init undefsym_init(void)
{
	return no_such_export(1);
}

module_init(undefsym_init);
MODULE_LICENSE("GPL");
