/*
 * eBPF objects a module loads (bpf_module_load, exported) are owned by it:
 * when the module goes, this notifier detaches every program of theirs
 * still attached to a hook bpf/ knows (kprobes, through the hook owner's
 * detach), then unloads the objects. XDP attachments belong to net/, which
 * drops them from its own notifier first (bpf_prog_owner()).
 */
#include "bpf.h"
#include "bpf_internal.h"
#include "kernel.h"
#include "module.h"

int bpf_module_load(struct module *owner, const void *data, size_t size, const char *name)
{
	char err[160];
	int ret;

	if (!owner || !name || !*name) {
		pr_err("bpf: a module's object needs its owner and a name\n");
		return -EINVAL;
	}
	ret = bpf_load_image(data, size, name, err, sizeof(err));
	if (ret) {
		pr_err("bpf: %s: loading '%s': %s\n", owner->name, name, err);
		return ret;
	}
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_loaded *l = bpf_object_slot(i);

		if (l && !l->owner && !strcmp(l->name, name))
			l->owner = owner;
	}
	return 0;
}
EXPORT_SYMBOL(bpf_module_load);

int bpf_module_attach(const char *name, const char *target)
{
	struct bpf_prog *prog = bpf_prog_find(name);
	const struct bpf_attach_ops *ops = prog ? bpf_attach_ops(prog->type) : NULL;
	char err[160];
	int ret;

	if (!prog || !ops) {
		pr_err("bpf: %s: %s\n", name, prog ? "no hook this module can attach it to"
							: "no such program");
		return -ENOENT;
	}
	ret = ops->attach(prog, target, err, sizeof(err));
	if (ret)
		pr_err("bpf: attaching %s: %s\n", name, err);
	return ret;
}
EXPORT_SYMBOL(bpf_module_attach);

struct module *bpf_prog_owner(const struct bpf_prog *prog)
{
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_loaded *l = bpf_object_slot(i);

		for (uint32_t p = 0; l && p < l->obj->nr_progs; p++)
			if (l->obj->progs[p] == prog)
				return l->owner;
	}
	return NULL;
}

static void drop_object(struct module *mod, struct bpf_loaded *l)
{
	char err[160], name[BPF_OBJ_NAME_LEN];

	for (uint32_t p = 0; p < l->obj->nr_progs; p++) {
		struct bpf_prog *prog = l->obj->progs[p];
		const struct bpf_attach_ops *ops = bpf_attach_ops(prog->type);

		while (prog->users && ops && !ops->detach(prog, err, sizeof(err)))
			pr_info("bpf: module %s: detached %s\n", mod->name, prog->name);
	}
	memcpy(name, l->name, sizeof(name));
	if (bpf_unload(name, err, sizeof(err)))
		pr_err("bpf: module %s: '%s' stays loaded: %s\n", mod->name, name, err);
	else
		pr_info("bpf: module %s: unloaded '%s'\n", mod->name, name);
}

static void bpf_module_going(struct module *mod)
{
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_loaded *l = bpf_object_slot(i);

		if (l && l->owner == mod)
			drop_object(mod, l);
	}
}

static struct module_notifier bpf_notifier = { .going = bpf_module_going };

/* Before net/ registers its own (level 4): notifiers run newest first, XDP's before this. */
static int bpf_module_owner_init(void)
{
	register_module_notifier(&bpf_notifier);
	return 0;
}
INITCALL(bpf_module_owner_init, 2);
