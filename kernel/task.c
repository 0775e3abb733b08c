/* Task identities for the execution contexts (see include/task.h). */
#include "kernel.h"
#include "arch.h"
#include "task.h"

static struct task_struct idle_tasks[TASK_MAX_CPUS];
static struct task_struct shell_task = { .pid = 1, .tgid = 1, .comm = "kp-shell" };
static struct task_struct *running[TASK_MAX_CPUS];

unsigned int smp_processor_id(void)
{
	return this_cpu()->cpu;
}
EXPORT_SYMBOL(smp_processor_id);

struct task_struct *get_current(void)
{
	unsigned int cpu = smp_processor_id() % TASK_MAX_CPUS;
	struct task_struct *t = READ_ONCE(running[cpu]);

	if (t)
		return t;
	/* a CPU that never claimed another task is in its idle loop (or booting) */
	t = &idle_tasks[cpu];
	if (!t->comm[0])
		snprintf(t->comm, sizeof(t->comm), "swapper/%u", cpu);
	return t;
}
EXPORT_SYMBOL(get_current);

void task_enter_shell(void)
{
	WRITE_ONCE(running[smp_processor_id() % TASK_MAX_CPUS], &shell_task);
}

bool in_interrupt(void)
{
	return this_cpu()->irq_depth > 0;
}
EXPORT_SYMBOL(in_interrupt);

/* After the last initcall only the shell runs on the boot CPU. */
static int task_init(void)
{
	task_enter_shell();
	return 0;
}
INITCALL(task_init, 5);
