/*
 * <linux/sched.h> for modules: `current` with pid and comm. Every execution
 * context has a task (include/task.h): the console shell is pid 1
 * "kp-shell", each CPU's idle loop pid 0 "swapper/N".
 */
#ifndef KP_LINUX_SCHED_H
#define KP_LINUX_SCHED_H

#include "../task.h"

#define current		get_current()
#define task_pid_nr(t)	((t)->pid)

#endif
