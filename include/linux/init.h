/*
 * <linux/init.h> for modules. module_init(fn) makes fn the module's
 * init_module, module_exit(fn) its cleanup_module: the two names the loader
 * looks for, as in Linux. __init/__exit code stays loaded (nothing is freed
 * after init here).
 */
#ifndef KP_LINUX_INIT_H
#define KP_LINUX_INIT_H

#define __init
#define __exit
#define __initdata
#define __exitdata

#define module_init(fn) \
	int init_module(void) __attribute__((alias(#fn))); \
	static inline __attribute__((unused)) int (*__init_check_##fn(void))(void) { return fn; }
#define module_exit(fn) \
	void cleanup_module(void) __attribute__((alias(#fn))); \
	static inline __attribute__((unused)) void (*__exit_check_##fn(void))(void) { return fn; }

#endif
