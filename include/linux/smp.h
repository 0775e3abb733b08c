/* <linux/smp.h> for modules: smp_processor_id(). */
#ifndef KP_LINUX_SMP_H
#define KP_LINUX_SMP_H

#include "../task.h"

#define raw_smp_processor_id()	smp_processor_id()
#define get_cpu()		smp_processor_id()
#define put_cpu()		do { } while (0)

#endif
