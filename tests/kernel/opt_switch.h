/*
 * For the KTEST suites of jump-optimized probes: a case sets the optimizer's
 * switch whatever the console's says (`kprobes optimization off` before
 * `test`), and its suite's KTEST_EXIT gives the console's setting back.
 */
#ifndef KTEST_OPT_SWITCH_H
#define KTEST_OPT_SWITCH_H

#include <stdbool.h>

void kt_optimization(bool on);		/* the first call since the last restore saves the setting */
void kt_optimization_restore(void);	/* from KTEST_EXIT: back to what it was, if a case changed it */

#endif
