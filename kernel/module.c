/*
 * Module lifecycle: load an ELF object (kernel/module_elf.c lays it out and
 * relocates it), protect it (text RX, rodata R, data RW+NX), run its init,
 * and on removal run its exit, let every subsystem drop what the module left
 * registered (register_module_notifier), then free it. The console is the
 * only writer; the hit path reads the list without a lock (kallsyms for a
 * backtrace), so entries are published and unlinked with single stores.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "module.h"
#include "module_internal.h"

static struct module *modules;		/* newest first */
static struct module_notifier *notifiers;

int module_for_each(int (*fn)(struct module *mod, void *arg), void *arg)
{
	for (struct module *m = READ_ONCE(modules); m; m = READ_ONCE(m->next)) {
		int r = fn(m, arg);

		if (r)
			return r;
	}
	return 0;
}

bool within_module(uint64_t addr, const struct module *mod)
{
	uint64_t base = (uint64_t)mod->base;

	return addr >= base && addr < base + mod->text_size + mod->ro_size + mod->data_size;
}

struct module *module_of(uint64_t addr)
{
	if (addr < MODULES_VADDR || addr >= MODULES_END)
		return NULL;
	for (struct module *m = READ_ONCE(modules); m; m = READ_ONCE(m->next))
		if (within_module(addr, m))
			return m;
	return NULL;
}

struct module *module_find(const char *name)
{
	for (struct module *m = modules; m; m = m->next)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

struct module *module_named(const char *name, size_t n)
{
	for (struct module *m = modules; m; m = m->next)
		if (strlen(m->name) == n && !strncmp(m->name, name, n))
			return m;
	return NULL;
}

/* Counts change from any CPU (a probe handler may take or drop one). */
bool try_module_get(struct module *mod)
{
	if (!mod)
		return true;	/* the kernel itself */
	/* count first, then look: module_unload() sets GOING, then reads the count */
	__atomic_fetch_add(&mod->refcnt, 1, __ATOMIC_SEQ_CST);
	if (READ_ONCE(mod->state) == MODULE_STATE_GOING) {
		__atomic_fetch_sub(&mod->refcnt, 1, __ATOMIC_SEQ_CST);
		return false;
	}
	return true;
}
EXPORT_SYMBOL(try_module_get);

void module_put(struct module *mod)
{
	int old = mod ? __atomic_load_n(&mod->refcnt, __ATOMIC_ACQUIRE) : 0;

	while (old > 0 && !__atomic_compare_exchange_n(&mod->refcnt, &old, old - 1, false,
						       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}
EXPORT_SYMBOL(module_put);

int module_refcount(struct module *mod)
{
	return mod ? __atomic_load_n(&mod->refcnt, __ATOMIC_ACQUIRE) : 0;
}
EXPORT_SYMBOL(module_refcount);

void register_module_notifier(struct module_notifier *n)
{
	n->next = notifiers;
	notifiers = n;
}

static size_t image_pages(const struct module *mod)
{
	return (mod->text_size + mod->ro_size + mod->data_size) / PAGE_SIZE;
}

/*
 * The struct itself may live in the image (THIS_MODULE, below), so
 * everything is read out of it before the pages go.
 */
static void free_module(struct module *mod)
{
	uint8_t *base = mod->base;
	size_t pages = image_pages(mod);
	bool in_image = mod->in_image;

	for (unsigned int i = 0; i < mod->num_uses; i++)
		module_put(mod->uses[i]);
	kfree(mod->uses);
	kfree(mod->ksyms);
	kfree(mod->strtab);
	kfree(mod->param_buf);
	kfree(mod->sects);
	if (!in_image)
		kfree(mod);
	if (base)
		module_free(base, pages);
}

static void unlink_module(struct module *mod)
{
	for (struct module **pp = &modules; *pp; pp = &(*pp)->next) {
		if (*pp == mod) {
			WRITE_ONCE(*pp, mod->next);
			return;
		}
	}
}

/* Leftovers first (probes whose handlers are in the module), then the memory. */
static void module_going(struct module *mod)
{
	mod->state = MODULE_STATE_GOING;
	for (struct module_notifier *n = notifiers; n; n = n->next)
		if (n->going)
			n->going(mod);
	unlink_module(mod);
	/* kallsyms and module_of() walk the list on any CPU without a lock */
	synchronize_cpus();
	free_module(mod);
}

struct resolve_ctx {
	struct module *mod;
	unsigned int max_uses;
};

static uint64_t resolve(const char *name, void *arg, bool *found)
{
	struct resolve_ctx *c = arg;
	struct module *owner, *mod = c->mod;
	uint64_t addr = export_lookup(name, &owner);
	unsigned int i;

	*found = addr != 0;
	if (!owner)
		return addr;
	for (i = 0; i < mod->num_uses && mod->uses[i] != owner; i++)
		;
	if (i == mod->num_uses && i < c->max_uses) {
		mod->uses[mod->num_uses++] = owner;
		__atomic_fetch_add(&owner->refcnt, 1, __ATOMIC_ACQ_REL);
	}
	return addr;
}

static const Elf64_Sym *defined_global(const struct elf_mod *m, const char *name)
{
	for (unsigned int i = 1; i < m->nsyms; i++) {
		const Elf64_Sym *s = &m->syms[i];

		if (s->st_shndx != SHN_UNDEF && ELF64_ST_BIND(s->st_info) != STB_LOCAL &&
		    !strcmp(elf_mod_sym_name(m, s), name))
			return s;
	}
	return NULL;
}

/* A loaded section's address and size, by name; 0 if absent. */
static uint64_t section_at(const struct elf_mod *m, const struct module *mod, const char *name,
			   size_t *size)
{
	int i = elf_mod_section(m, name);

	if (i < 0 || m->off[i] == NO_OFF)
		return 0;
	*size = m->sh[i].sh_size;
	return (uint64_t)mod->base + m->off[i];
}

static int set_params(struct module *mod, const struct elf_mod *m, const char *const *params,
		      int nparams, char *err, size_t errlen)
{
	size_t size = 0, total = 0;
	struct kernel_param *kp = (struct kernel_param *)section_at(m, mod, "__param", &size);
	size_t nkp = kp ? size / sizeof(*kp) : 0;
	char *p;

	for (int i = 0; i < nparams; i++)
		total += strlen(params[i]) + 1;
	mod->param_buf = p = kmalloc(total + 1);
	if (!p)
		return -ENOMEM;
	for (int i = 0; i < nparams; i++) {
		char *eq;
		size_t k;

		memcpy(p, params[i], strlen(params[i]) + 1);
		eq = strchr(p, '=');
		if (!eq || eq == p) {
			snprintf(err, errlen, "parameter '%s' is not NAME=VALUE", params[i]);
			return -EINVAL;
		}
		*eq = '\0';
		for (k = 0; k < nkp && strcmp(kp[k].name, p); k++)
			;
		if (k == nkp) {
			snprintf(err, errlen, "unknown parameter '%s'", p);
			return -EINVAL;
		}
		if (kp[k].set(eq + 1, kp[k].arg)) {
			snprintf(err, errlen, "bad value '%s' for parameter '%s'", eq + 1, p);
			return -EINVAL;
		}
		p = eq + 1 + strlen(eq + 1) + 1;
	}
	return 0;
}

static int take_modinfo(struct module *mod, const struct elf_mod *m, char *err, size_t errlen)
{
	const char *name = elf_mod_info(m, "name"), *lic = elf_mod_info(m, "license");

	if (!name || !*name || strlen(name) >= MODULE_NAME_LEN) {
		snprintf(err, errlen, "no module name in .modinfo (build it with make M=DIR)");
		return -ENOEXEC;
	}
	memcpy(mod->name, name, strlen(name) + 1);
	if (module_find(mod->name)) {
		snprintf(err, errlen, "module '%s' is already loaded", mod->name);
		return -EEXIST;
	}
	if (!lic || !*lic) {
		snprintf(err, errlen, "module '%s' has no MODULE_LICENSE", mod->name);
		return -ENOEXEC;
	}
	snprintf(mod->license, sizeof(mod->license), "%s", lic);
	return 0;
}

/*
 * The address of every allocated section, names copied (the file may be
 * a transfer buffer freed after the load): what a debugger needs to place
 * the .ko's symbols (scripts/gdb: kp-modules).
 */
static int record_sections(struct module *mod, const struct elf_mod *m)
{
	unsigned int n = 0;
	size_t names = 0;
	char *p;

	for (unsigned int i = 0; i < m->eh->e_shnum; i++) {
		if (m->off[i] != NO_OFF && m->sh[i].sh_size) {
			n++;
			names += strlen(m->shstr + m->sh[i].sh_name) + 1;
		}
	}
	mod->sects = kmalloc(n * sizeof(*mod->sects) + names + 1);
	if (!mod->sects)
		return -ENOMEM;
	p = (char *)(mod->sects + n);
	for (unsigned int i = 0; i < m->eh->e_shnum; i++) {
		const char *name = m->shstr + m->sh[i].sh_name;

		if (m->off[i] == NO_OFF || !m->sh[i].sh_size)
			continue;
		memcpy(p, name, strlen(name) + 1);
		mod->sects[mod->num_sects++] = (struct module_section){
			(uint64_t)mod->base + m->off[i], p };
		p += strlen(name) + 1;
	}
	return 0;
}

/* Everything up to running init: on failure the caller frees mod. */
static int prepare(struct module *mod, struct elf_mod *m, const char *const *params, int nparams,
		   char *err, size_t errlen)
{
	struct resolve_ctx ctx = { mod, m->nsyms };
	const Elf64_Sym *s;
	uint64_t *symaddr;
	const char *clash;
	size_t size;
	int ret;

	ret = elf_mod_layout(m, err, errlen);
	if (ret)
		return ret;
	mod->uses = kzalloc(m->nsyms * sizeof(*mod->uses) + 1);
	if (!mod->uses)
		return -ENOMEM;
	mod->text_size = m->text_size;
	mod->ro_size = m->ro_size;
	mod->data_size = m->data_size;
	if (!image_pages(mod)) {
		snprintf(err, errlen, "module '%s' has nothing to load", mod->name);
		return -ENOEXEC;
	}
	mod->base = module_alloc(image_pages(mod));
	symaddr = kzalloc(m->nsyms * sizeof(*symaddr) + 1);
	if (!mod->base || !symaddr) {
		kfree(symaddr);
		return -ENOMEM;
	}
	ret = elf_mod_relocate(m, mod->base, (uint64_t)mod->base, symaddr, resolve, &ctx, err, errlen);
	kfree(symaddr);
	if (ret)
		return ret;
	mod->syms = (const struct kernel_symbol *)section_at(m, mod, "__ksymtab", &size);
	mod->num_syms = mod->syms ? size / sizeof(*mod->syms) : 0;
	clash = export_clash(mod->syms, mod->num_syms);
	if (clash) {
		snprintf(err, errlen, "exported symbol '%s' is already exported", clash);
		return -EEXIST;
	}
	s = defined_global(m, "init_module");
	mod->init = s ? (int (*)(void))elf_mod_sym_addr(m, s, (uint64_t)mod->base) : NULL;
	s = defined_global(m, "cleanup_module");
	mod->exit = s ? (void (*)(void))elf_mod_sym_addr(m, s, (uint64_t)mod->base) : NULL;
	ret = set_params(mod, m, params, nparams, err, errlen);
	if (ret)
		return ret;
	ret = module_build_kallsyms(mod, m);
	if (!ret)
		ret = record_sections(mod, m);
	if (ret)
		return ret;
	module_protect(mod->base, mod->text_size / PAGE_SIZE, false, true);
	module_protect(mod->base + mod->text_size, mod->ro_size / PAGE_SIZE, false, false);
	return 0;
}

/*
 * THIS_MODULE is &__this_module, which NAME.mod.o defines in its own
 * section (as Linux's modpost output does): the module's struct module is
 * that object, in the module's writable data, so the module's code reaches
 * it with the same 32-bit relocations as any of its own data. The struct
 * built so far moves there. Objects without it (not built by make M=) keep
 * theirs on the heap; one that refers to THIS_MODULE then fails to link.
 */
static struct module *adopt_this_module(struct module *mod, const struct elf_mod *m,
					char *err, size_t errlen)
{
	size_t size = 0;
	struct module *home = (struct module *)section_at(m, mod, ".gnu.linkonce.this_module", &size);

	if (!home)
		return mod;
	if (size != sizeof(*mod)) {
		snprintf(err, errlen, "struct module is %lu bytes in the module, %lu here (rebuild it)",
			 (uint64_t)size, (uint64_t)sizeof(*mod));
		return NULL;
	}
	*home = *mod;
	home->in_image = true;
	kfree(mod);
	return home;
}

/* A faulting init or exit is reported like an oops and counted as an error, not fatal. */
static int call_module_fn(uint64_t fn, bool *faulted)
{
	static const uint64_t none[6];

	return (int)call_guarded(fn, none, faulted);
}

int module_load(const void *buf, size_t len, const char *const *params, int nparams,
		struct module **out, char *err, size_t errlen)
{
	struct module *mod;
	struct elf_mod m;
	bool faulted = false;
	int ret;

	ret = elf_mod_parse(&m, buf, len, err, errlen);
	if (ret)
		return ret;
	mod = kzalloc(sizeof(*mod));
	m.off = kmalloc(m.eh->e_shnum * sizeof(*m.off));
	if (!mod || !m.off) {
		kfree(mod);
		kfree(m.off);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = take_modinfo(mod, &m, err, errlen);
	if (!ret)
		ret = prepare(mod, &m, params, nparams, err, errlen);
	if (!ret) {
		struct module *home = adopt_this_module(mod, &m, err, errlen);

		ret = home ? 0 : -ENOEXEC;
		mod = home ? home : mod;
	}
	kfree(m.off);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		free_module(mod);
		return ret;
	}
	mod->state = MODULE_STATE_COMING;
	mod->next = modules;
	WRITE_ONCE(modules, mod);	/* visible to kallsyms while init runs */
	for (struct module_notifier *n = notifiers; n; n = n->next)
		if (n->coming)
			n->coming(mod);
	if (mod->init) {
		ret = call_module_fn((uint64_t)mod->init, &faulted);
		if (faulted)
			ret = -EFAULT;
		if (ret) {
			snprintf(err, errlen, "module '%s': init %s (%d)", mod->name,
				 faulted ? "faulted" : "failed", ret);
			module_going(mod);
			return ret;
		}
	}
	mod->state = MODULE_STATE_LIVE;
	if (out)
		*out = mod;
	return 0;
}

int module_unload(const char *name, char *err, size_t errlen)
{
	struct module *mod = module_find(name);
	bool faulted = false;

	if (!mod) {
		snprintf(err, errlen, "no module '%s' is loaded", name);
		return -ENOENT;
	}
	/*
	 * Going first, then the count; try_module_get() does the opposite, so
	 * either it sees GOING and backs off, or its increment is seen here.
	 */
	WRITE_ONCE(mod->state, MODULE_STATE_GOING);
	smp_mb();
	if (module_refcount(mod)) {
		WRITE_ONCE(mod->state, MODULE_STATE_LIVE);
		snprintf(err, errlen, "module '%s' is in use (%d users)", name, module_refcount(mod));
		return -EBUSY;
	}
	if (mod->exit)
		call_module_fn((uint64_t)mod->exit, &faulted);
	if (faulted)
		pr_err("module %s: exit faulted; removing it anyway\n", name);
	module_going(mod);
	return 0;
}

