/* The `stress` command: dispatch to the load generators registered with stress_register(). */
#include "kernel.h"
#include "console.h"

static struct stress_test *tests;

void stress_register(struct stress_test *t)
{
	struct stress_test **pp = &tests;

	while (*pp)
		pp = &(*pp)->next;
	t->next = NULL;
	*pp = t;
}

static int cmd_stress(int argc, char **argv)
{
	char usage[96] = "";

	for (struct stress_test *t = tests; t; t = t->next) {
		size_t n = strlen(usage);

		if (argc >= 2 && !strcmp(argv[1], t->name))
			return t->run(argc - 1, argv + 1);
		snprintf(usage + n, sizeof(usage) - n, "%s%s", n ? " | " : "", t->usage);
	}
	return cmd_error("usage: stress %s", usage[0] ? usage : "(nothing registered)");
}
CONSOLE_CMD(stress, cmd_stress, "stress TEST ARGS", "run a load generator (see 'stress')");
