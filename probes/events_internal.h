/*
 * Private to probes/events*.c: the registry's insides, shared by the files
 * that define (events_define.c) and remove (events_remove.c) events. Only
 * the console calls any of it.
 */
#ifndef KP_PROBES_EVENTS_INTERNAL_H
#define KP_PROBES_EVENTS_INTERNAL_H

#include <stddef.h>
#include "kprobe_events.h"

struct module;

/* vsnprintf into msg; returns ret, so "return kevent_msg(...)" reports and fails. */
int kevent_msg(char *msg, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the registry (events.c) ---- */

/* The event named exactly GROUP/EVENT, or NULL. */
struct kevent *kevent_find(const char *group, const char *event);
/*
 * Events whose group matches group (NULL: any) and whose name matches
 * event (globs; "" matches every name, as Linux's "-:GRP/"). fn may
 * remove the event it is given.
 */
int kevent_iterate(const char *group, const char *event,
		   int (*fn)(struct kevent *ev, void *arg), void *arg);

/* A probe point for def (resolved), not yet registered or in an event. */
struct kevent_probe *kevent_probe_new(const struct trace_event_def *def);
int kevent_probe_register(struct kevent_probe *p);
void kevent_probe_unregister(struct kevent_probe *p);
/* Give p the next place in the listing order (a point of an event from now). */
void kevent_probe_number(struct kevent_probe *p);
/* A new event whose first point is p (registered); not yet in the registry. */
struct kevent *kevent_new(struct kevent_probe *p);
/* Free ev and its points, all unregistered. */
void kevent_free(struct kevent *ev);
/* Room for more events, so kevent_add() cannot fail: 0 or -ENOMEM. */
int kevent_reserve(unsigned int more);
/* Into the registry, with the next id. */
void kevent_add(struct kevent *ev);
/* Out of the registry (not freed); the array shrinks when mostly empty. */
void kevent_unlink(struct kevent *ev);

/* ---- defining and removing (events_define.c, events_remove.c) ---- */

/*
 * A parsed "p"/"r" line: a new event, one per function for a glob, or one
 * more probe point of the event it names. line is the squeezed line (for
 * the caret of a mismatch). Sets def->err_pos on error.
 */
int kevent_define(struct trace_event_def *def, const char *line, char *msg, size_t len);
/* A parsed "-:" line. */
int kevent_remove(const struct trace_event_def *def, char *msg, size_t len);

/* kallsyms for a def's names: "kprobe64:SYM", "MOD:SYM" of a loaded MOD, "SYM". */
int kevent_lookup(const char *name, uint64_t *addr);

/*
 * MOD:SYM points of modules not loaded (events_pending.c): as MOD comes,
 * resolve and register its pending points (armed if their event is); as
 * it goes, unregister them and make them pending again. For module_gc.c.
 */
void kevent_module_coming(struct module *mod);
void kevent_module_going(struct module *mod);

/* kallsyms for the formatters (a trace_sym_fn): "name", offset and size of addr. */
int kevent_addr_to_sym(uint64_t addr, char *name, size_t len, uint64_t *off, uint64_t *size);

#endif
