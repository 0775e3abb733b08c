/* Carries a GOT-relative relocation (R_X86_64_GOTPCREL), a type the loader refuses. */
#include <linux/module.h>

extern int console_loglevel;

asm(".pushsection .text\n"
    "badreloc_got:\n"
    "	.reloc ., R_X86_64_GOTPCREL, console_loglevel\n"
    "	.long 0\n"
    ".popsection\n");

static int __init badreloc_init(void)
{
	return console_loglevel > 100;
}

module_init(badreloc_init);
MODULE_LICENSE("GPL");
