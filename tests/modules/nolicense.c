/* No MODULE_LICENSE: refused. */
#include <linux/module.h>

static int __init nolicense_init(void)
{
	return 0;
}

module_init(nolicense_init);
