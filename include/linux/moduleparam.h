/*
 * <linux/moduleparam.h>: module_param(name, type, perm) lets insmod set a
 * variable with NAME=VALUE. Types: int, uint, long, ulong, bool, charp.
 */
#ifndef KP_LINUX_MODULEPARAM_H
#define KP_LINUX_MODULEPARAM_H

#include "../module.h"

#define module_param_named(pname, var, type, perm) \
	static const struct kernel_param __param_##pname \
	__attribute__((used, section("__param"), aligned(8))) = \
	{ #pname, param_set_##type, &(var) }
#define module_param(name, type, perm)	module_param_named(name, name, type, perm)
/* <stdbool.h>'s bool is a macro: through module_param it arrives as _Bool */
#define param_set__Bool			param_set_bool
#define MODULE_PARM_DESC(name, desc)	MODULE_INFO(parm, #name ":" desc)

#endif
