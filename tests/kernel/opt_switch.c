/* The optimizer's switch for one KTEST case, and the console's given back (opt_switch.h). */
#include "opt_switch.h"
#include "probes.h"

static bool console_setting, saved;

void kt_optimization(bool on)
{
	if (!saved) {
		console_setting = kprobes_optimization();
		saved = true;
	}
	kprobes_set_optimization(on);
}

void kt_optimization_restore(void)
{
	if (saved)
		kprobes_set_optimization(console_setting);
	saved = false;
}
