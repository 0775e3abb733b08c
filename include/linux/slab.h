/*
 * <linux/slab.h> for modules: the kernel heap under Linux's names. The gfp
 * flags are accepted and ignored: the heap takes no lock, so it is for the
 * shell's context (init, exit, what the console calls), not for handlers
 * that run in interrupts or on other CPUs, whatever the flag says.
 */
#ifndef KP_LINUX_SLAB_H
#define KP_LINUX_SLAB_H

#include "types.h"

typedef unsigned int gfp_t;
#define GFP_KERNEL	0u
#define GFP_ATOMIC	1u

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/* A function-like macro does not expand inside itself: these call the functions. */
#define kmalloc(size, flags)	((void)(gfp_t)(flags), kmalloc(size))
#define kzalloc(size, flags)	((void)(gfp_t)(flags), kzalloc(size))

#endif
