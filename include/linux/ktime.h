/* <linux/ktime.h> for modules: ktime_t in nanoseconds since boot. */
#ifndef KP_LINUX_KTIME_H
#define KP_LINUX_KTIME_H

#include "types.h"

typedef s64 ktime_t;

uint64_t uptime_ns(void);

static inline ktime_t ktime_get(void) { return (ktime_t)uptime_ns(); }
static inline u64 ktime_get_ns(void) { return uptime_ns(); }
static inline ktime_t ktime_sub(ktime_t a, ktime_t b) { return a - b; }
static inline s64 ktime_to_ns(ktime_t t) { return t; }

#endif
