/*
 * Console commands for modules: insmod, rmmod, lsmod, and modcycle (load
 * and remove one module many times, comparing heap and frame counters, so a
 * leak in the loader shows as a number).
 */
#include "kernel.h"
#include "console.h"
#include "mm.h"
#include "module.h"

static int cmd_insmod(int argc, char **argv)
{
	char err[160];
	struct module *mod;
	struct file_blob f;
	int ret;

	if (argc < 2)
		return cmd_error("usage: insmod SRC [PARAM=VALUE...] (SRC: %s)", file_source_schemes());
	if (file_get(argv[1], &f, err, sizeof(err)))
		return cmd_error("insmod: %s", err);
	ret = module_load(f.data, f.len, (const char *const *)argv + 2, argc - 2, &mod, err,
			  sizeof(err));
	file_put(&f);	/* the loader copied what it keeps */
	if (ret)
		return cmd_error("insmod: %s", err);
	cprintf("insmod: %s loaded at %#lx (%lu bytes)\n", mod->name, (uint64_t)mod->base,
		mod->text_size + mod->ro_size + mod->data_size);
	return 0;
}
CONSOLE_CMD(insmod, cmd_insmod, "insmod SRC [PARAM=VALUE...]",
	    "load a module (SRC: boot:FILE.ko or tftp:FILE.ko) and run its init");

static int cmd_rmmod(int argc, char **argv)
{
	char err[160];

	if (argc != 2)
		return cmd_error("usage: rmmod NAME");
	if (module_unload(argv[1], err, sizeof(err)))
		return cmd_error("rmmod: %s", err);
	return 0;
}
CONSOLE_CMD(rmmod, cmd_rmmod, "rmmod NAME", "run a module's exit, drop its probes, free it");

static const char *state_name(enum module_state s)
{
	return s == MODULE_STATE_LIVE ? "Live" : s == MODULE_STATE_COMING ? "Loading" : "Unloading";
}

static int print_module(struct module *mod, void *arg)
{
	(void)arg;
	cprintf("%-20s %8lu %4d %-9s", mod->name, mod->text_size + mod->ro_size + mod->data_size,
		module_refcount(mod), state_name(mod->state));
	for (unsigned int i = 0; i < mod->num_uses; i++)
		cprintf("%s%s", i ? "," : " ", mod->uses[i]->name);
	cprintf(" %#lx\n", (uint64_t)mod->base);
	return 0;
}

static int cmd_lsmod(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_error("lsmod takes no arguments");
	cprintf("%-20s %8s %4s %-9s %s\n", "Module", "Size", "Used", "State", "by, address");
	module_for_each(print_module, NULL);
	return 0;
}
CONSOLE_CMD(lsmod, cmd_lsmod, "lsmod", "list loaded modules: name, size, use count, state");

static int cmd_modcycle(int argc, char **argv)
{
	struct heap_stats h0, h1;
	struct frame_stats f0, f1;
	struct module *mod;
	char err[160], name[MODULE_NAME_LEN];
	struct file_blob f;
	uint64_t n;

	if (argc != 3 || kstrtou64(argv[2], &n) || !n || n > 1000000)
		return cmd_error("usage: modcycle SRC N (1..1000000)");
	if (file_get(argv[1], &f, err, sizeof(err)))
		return cmd_error("modcycle: %s", err);
	heap_stats(&h0);
	frame_stats(&f0);
	for (uint64_t i = 0; i < n; i++) {
		if (module_load(f.data, f.len, NULL, 0, &mod, err, sizeof(err)) ||
		    (memcpy(name, mod->name, sizeof(name)), module_unload(name, err, sizeof(err)))) {
			file_put(&f);
			return cmd_error("modcycle: cycle %lu: %s", i, err);
		}
	}
	heap_stats(&h1);
	frame_stats(&f1);
	file_put(&f);
	cprintf("modcycle: %lu cycles; heap objects %lu -> %lu, bytes %lu -> %lu; free frames %lu -> %lu\n",
		n, h0.objects_in_use, h1.objects_in_use, h0.bytes_in_use, h1.bytes_in_use, f0.free, f1.free);
	return 0;
}
CONSOLE_CMD(modcycle, cmd_modcycle, "modcycle SRC N",
	    "load and remove a module N times; print heap and frame counters before and after");
