/* <linux/export.h>: EXPORT_SYMBOL, defined with the kernel's own. */
#ifndef KP_LINUX_EXPORT_H
#define KP_LINUX_EXPORT_H

#include "../kernel.h"

#endif
