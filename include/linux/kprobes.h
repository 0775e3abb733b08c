/*
 * <linux/kprobes.h> for modules: kprobes and kretprobes (the kernel's own
 * API, include/probes.h, already uses Linux's names and layout), and
 * jprobes, which Linux removed in 4.15 and this kernel keeps as a
 * compatibility API built on kprobes (probes/jprobe.c, docs/modules.md).
 */
#ifndef KP_LINUX_KPROBES_H
#define KP_LINUX_KPROBES_H

#include "kernel.h"
#include "sched.h"
#include "smp.h"
#include "hardirq.h"
#include "ptrace.h"
#include "../probes.h"

typedef uint8_t kprobe_opcode_t;

/*
 * A jprobe: entry runs at the probed function's entry with its arguments
 * (same signature), and must end with jprobe_return(); the function then
 * runs as if nothing happened.
 */
struct jprobe {
	struct kprobe kp;
	void *entry;
};

int register_jprobe(struct jprobe *jp);
void unregister_jprobe(struct jprobe *jp);
int register_jprobes(struct jprobe **jps, int num);
void unregister_jprobes(struct jprobe **jps, int num);
void jprobe_return(void) __attribute__((noreturn));

#endif
