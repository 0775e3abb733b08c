/* Built with -fpic: its reference to an export goes through the GOT, which the loader refuses. */
#include <linux/module.h>

extern int console_loglevel;

static int __init badreloc_init(void)
{
	return console_loglevel > 100;
}

module_init(badreloc_init);
MODULE_LICENSE("GPL");
