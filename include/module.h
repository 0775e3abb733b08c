/*
 * Loadable modules (kernel/module*.c): ELF relocatable objects linked at
 * run time against the kernel's EXPORT_SYMBOLs and other modules'. See
 * docs/modules.md. Module authors include <linux/module.h> instead.
 */
#ifndef KP_MODULE_H
#define KP_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel.h"
#include "kallsyms.h"

#define MODULE_NAME_LEN	56

enum module_state {
	MODULE_STATE_LIVE,
	MODULE_STATE_COMING,	/* being initialised */
	MODULE_STATE_GOING,	/* exit ran or init failed; being freed */
};

/* module_param(): one entry of the __param section. */
struct kernel_param {
	const char *name;
	int (*set)(const char *val, void *arg);
	void *arg;
};

/* Where one allocated ELF section went (for GDB's add-symbol-file -s). */
struct module_section {
	uint64_t addr;
	const char *name;
};

struct module {
	char name[MODULE_NAME_LEN];
	enum module_state state;
	uint8_t *base;			/* text, then rodata, then data+bss, page-aligned */
	size_t text_size, ro_size, data_size;
	int (*init)(void);
	void (*exit)(void);
	const struct kernel_symbol *syms;	/* its EXPORT_SYMBOLs (in its rodata) */
	unsigned int num_syms;
	struct ksym *ksyms;		/* its functions and objects, by address */
	unsigned int num_ksyms;
	char *strtab;			/* their names */
	int refcnt;			/* modules using its exports, plus try_module_get */
	struct module **uses;		/* modules whose exports it uses */
	unsigned int num_uses;
	char *param_buf;		/* copies of the PARAM=VALUE words (charp params point here) */
	struct module_section *sects;	/* its loaded sections, names after the array */
	unsigned int num_sects;
	char license[32];
	bool in_image;			/* this struct is the module's __this_module */
	struct module *next;
};

/* The module whose image holds addr (code or data), or NULL. */
struct module *module_of(uint64_t addr);
/* Is addr inside this module's image? */
bool within_module(uint64_t addr, const struct module *mod);
/* Walk the loaded modules, newest first; stop on nonzero. */
int module_for_each(int (*fn)(struct module *mod, void *arg), void *arg);
/* Hold a module (NULL: the kernel, always there); false once it is going. */
bool try_module_get(struct module *mod);
void module_put(struct module *mod);
/* Holders: modules using its exports and try_module_get()s; rmmod waits for 0. */
int module_refcount(struct module *mod);

/*
 * coming: a module is linked, protected and in kallsyms, and its init has
 * not run yet, so a subsystem waiting for it (kprobe_events' MOD:SYM probes
 * defined before the load) can attach in time to see init itself.
 * going: as it goes, after its exit function and before its memory is
 * freed: a subsystem drops whatever the module left registered with it
 * (probes, events, attachments) that lies in or points into the module.
 * Either may be NULL.
 */
struct module_notifier {
	void (*coming)(struct module *mod);
	void (*going)(struct module *mod);
	struct module_notifier *next;
};
void register_module_notifier(struct module_notifier *n);

/*
 * Load an object already in memory (the buffer is only read); params are
 * "NAME=VALUE" words. On failure nothing of it stays and err says why.
 */
int module_load(const void *buf, size_t len, const char *const *params, int nparams,
		struct module **out, char *err, size_t errlen);
/* Run its exit, drop its leftovers, free it. -EBUSY while used, -ENOENT. */
int module_unload(const char *name, char *err, size_t errlen);
struct module *module_find(const char *name);
/* The same for the first n characters of name ("MOD" of "MOD:SYM"). */
struct module *module_named(const char *name, size_t n);

/* kallsyms over modules (kernel/module_symbols.c), for kernel/kallsyms.c. */
uint64_t module_kallsyms_lookup_name(const char *name);
const struct ksym *module_kallsyms_lookup(uint64_t addr, uint64_t *off, const char **modname);
const char *module_ksym_name(const struct ksym *s);

/* Parameter setters module_param() refers to. */
int param_set_int(const char *val, void *arg);
int param_set_uint(const char *val, void *arg);
int param_set_long(const char *val, void *arg);
int param_set_ulong(const char *val, void *arg);
int param_set_bool(const char *val, void *arg);
int param_set_charp(const char *val, void *arg);

#endif
