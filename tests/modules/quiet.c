/* Does nothing, prints nothing: for 1,000 load/unload cycles. */
#include <linux/module.h>

static int value = 7;
module_param(value, int, 0);

static int __init quiet_init(void)
{
	return value == 7 ? 0 : -EINVAL;
}

static void __exit quiet_exit(void)
{
}

module_init(quiet_init);
module_exit(quiet_exit);
MODULE_LICENSE("GPL");
