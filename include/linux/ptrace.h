/*
 * <linux/ptrace.h> for modules: struct pt_regs with Linux's x86-64 names
 * (regs->di ...) and its accessors, all from the kernel's own ptregs.h.
 */
#ifndef KP_LINUX_PTRACE_H
#define KP_LINUX_PTRACE_H

#include "../ptregs.h"

#endif
