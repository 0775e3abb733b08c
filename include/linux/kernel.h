/* <linux/kernel.h> for modules: printk, container_of, min/max, the basic types. */
#ifndef KP_LINUX_KERNEL_H
#define KP_LINUX_KERNEL_H

#include "types.h"
#include "printk.h"
#include "../kerrno.h"

#ifndef noinline
#define noinline	__attribute__((noinline))
#endif

#endif
