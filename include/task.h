/*
 * Execution contexts as tasks (kernel/task.c): this kernel has no scheduler,
 * but probe handlers written for Linux ask `current` who is running. Each
 * CPU's idle loop is "swapper/N" (pid 0, as in Linux); the console shell,
 * which runs everything typed, is pid 1 "kp-shell" (the name the trace
 * uses). An interrupt does not change `current`; in_interrupt() says so.
 */
#ifndef KP_TASK_H
#define KP_TASK_H

#include <stdbool.h>

#define TASK_COMM_LEN	16
#define TASK_MAX_CPUS	64

struct task_struct {
	int pid;
	int tgid;
	char comm[TASK_COMM_LEN];
};

/* The task running on this CPU. */
struct task_struct *get_current(void);
/* Make the console shell the task of the calling CPU (the boot CPU, after its initcalls). */
void task_enter_shell(void);
/* Inside an interrupt handler on this CPU? */
bool in_interrupt(void);
unsigned int smp_processor_id(void);

#endif
