/*
 * <linux/module.h> for module authors: module_init/exit, MODULE_LICENSE and
 * the other .modinfo strings, module_param, EXPORT_SYMBOL, THIS_MODULE.
 */
#ifndef KP_LINUX_MODULE_H
#define KP_LINUX_MODULE_H

#include "kernel.h"
#include "init.h"
#include "moduleparam.h"
#include "../module.h"

#define __MODINFO_ID(a, b)	a##b
#define __MODINFO_NAME(line)	__MODINFO_ID(__modinfo_, line)
/* "key=value\0" in .modinfo, which the loader reads (name, license, ...) */
#define MODULE_INFO(tag, info) \
	static const char __MODINFO_NAME(__COUNTER__)[] \
	__attribute__((used, section(".modinfo"), aligned(1))) = #tag "=" info

#define MODULE_LICENSE(l)	MODULE_INFO(license, l)
#define MODULE_AUTHOR(a)	MODULE_INFO(author, a)
#define MODULE_DESCRIPTION(d)	MODULE_INFO(description, d)
#define MODULE_VERSION(v)	MODULE_INFO(version, v)
#define MODULE_ALIAS(a)		MODULE_INFO(alias, a)

/*
 * The module's own struct module: NAME.mod.o (made by make M=) defines
 * __this_module and the loader makes it the real one, so THIS_MODULE->name,
 * try_module_get(THIS_MODULE) and module_put() work as in Linux. Built into
 * the kernel, THIS_MODULE is NULL: the kernel itself.
 */
#ifdef MODULE
extern struct module __this_module;
#define THIS_MODULE		(&__this_module)
#else
#define THIS_MODULE		((struct module *)0)
#endif

#endif
