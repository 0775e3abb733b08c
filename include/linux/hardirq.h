/* <linux/hardirq.h> for modules: in_interrupt() and in_irq(). */
#ifndef KP_LINUX_HARDIRQ_H
#define KP_LINUX_HARDIRQ_H

#include "../task.h"

#define in_irq()	in_interrupt()
#define in_task()	(!in_interrupt())

#endif
