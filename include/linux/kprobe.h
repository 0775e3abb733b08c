/* <linux/kprobe.h>: the spelling the seed's example includes; the same as <linux/kprobes.h>. */
#ifndef KP_LINUX_KPROBE_H
#define KP_LINUX_KPROBE_H

#include "kprobes.h"

#endif
