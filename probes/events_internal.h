/* Private to probes/events*.c. */
#ifndef KP_PROBES_EVENTS_INTERNAL_H
#define KP_PROBES_EVENTS_INTERNAL_H

#include <stddef.h>

/* vsnprintf into msg; returns ret, so "return kevent_msg(...)" reports and fails. */
int kevent_msg(char *msg, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
