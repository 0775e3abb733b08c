/*
 * The kernel's lib/ under other names, so tests/host/test_lib.c can hold it
 * up against the host libc (whose functions keep their own names).
 */
#define vsnprintf kp_vsnprintf
#define snprintf kp_snprintf
#define strtoull kp_strtoull
#define strtoll kp_strtoll
#include "../../lib/vsnprintf.c"
#include "../../lib/strtox.c"
