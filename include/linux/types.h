/* <linux/types.h> for modules: the fixed-width names Linux code uses. */
#ifndef KP_LINUX_TYPES_H
#define KP_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;	/* as Linux has them, so %llu fits */
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;
typedef long ssize_t;
typedef int pid_t;

#endif
