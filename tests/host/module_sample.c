/* Built with the modules' flags for test_module_elf: text, rodata, data and bss, and a call out. */
#include "kernel.h"

int sample_counter;
int *sample_ptr = &sample_counter;
const char sample_msg[] = "sample %d\n";

int sample_call(int x)
{
	return printk(sample_msg, x + sample_counter);
}

static const char license[] __attribute__((used, section(".modinfo"), aligned(1))) = "license=GPL";
