/*
 * The rest of an event's tracefs directory: events (ls events/), format
 * (events/GRP/EVENT/format) and id. The format shows the record layout
 * Linux gives a kprobe event with these fetch-args, field names, types,
 * offsets and print fmt, so tools and people that read Linux's format
 * files read this one the same way; this kernel's trace buffer keeps its
 * own layout (include/trace.h), which no reader here depends on.
 */
#include "kernel.h"
#include "console.h"
#include "mm.h"
#include "kprobe_events.h"

/* Linux's field type, print format and size for a fetch type. */
static const struct {
	const char *field, *fmt;
	uint8_t size;
	bool is_signed, is_string;
} types[] = {
	[TRACE_TYPE_U8] = { "u8", "%u", 1, false, false },
	[TRACE_TYPE_U16] = { "u16", "%u", 2, false, false },
	[TRACE_TYPE_U32] = { "u32", "%u", 4, false, false },
	[TRACE_TYPE_U64] = { "u64", "%Lu", 8, false, false },
	[TRACE_TYPE_S8] = { "s8", "%d", 1, true, false },
	[TRACE_TYPE_S16] = { "s16", "%d", 2, true, false },
	[TRACE_TYPE_S32] = { "s32", "%d", 4, true, false },
	[TRACE_TYPE_S64] = { "s64", "%Ld", 8, true, false },
	[TRACE_TYPE_X8] = { "u8", "0x%x", 1, false, false },
	[TRACE_TYPE_X16] = { "u16", "0x%x", 2, false, false },
	[TRACE_TYPE_X32] = { "u32", "0x%x", 4, false, false },
	[TRACE_TYPE_X64] = { "u64", "0x%Lx", 8, false, false },
	[TRACE_TYPE_STRING] = { "__data_loc char[]", "\\\"%s\\\"", 4, false, true },
	[TRACE_TYPE_SYMBOL] = { "u64", "%pS", 8, false, false },
	[TRACE_TYPE_CHAR] = { "u8", "'%c'", 1, false, false },
	[TRACE_TYPE_SYMSTR] = { "__data_loc char[]", "\\\"%s\\\"", 4, false, true },
};

static struct kevent *found;

static int pick(struct kevent *ev, void *arg)
{
	unsigned int *n = arg;

	found = ev;
	(*n)++;
	return 0;
}

static struct kevent *one_event(const char *target)
{
	unsigned int n = 0;

	kevent_for_each(target, pick, &n);
	if (n != 1) {
		cmd_error(n ? "'%s' matches %u events; name one (GRP/EVENT)" :
			  "no event matches '%s'", target, n);
		return NULL;
	}
	return found;
}

static void field(const char *type, const char *name, unsigned int off,
		  unsigned int size, bool is_signed)
{
	cprintf("\tfield:%s %s;\toffset:%u;\tsize:%u;\tsigned:%d;\n", type, name, off,
		size, is_signed);
}

static void show_format(const struct kevent *ev)
{
	const struct trace_event_def *d = &ev->def;
	unsigned int off, i, j, n;
	char type[48], name[TRACE_ARG_NAME_MAX + 2];

	cprintf("name: %s\nID: %u\nformat:\n", d->event, ev->id);
	field("unsigned short", "common_type", 0, 2, false);
	field("unsigned char", "common_flags", 2, 1, false);
	field("unsigned char", "common_preempt_count", 3, 1, false);
	field("int", "common_pid", 4, 4, true);
	cprintf("\n");
	if (d->is_return) {
		field("unsigned long", "__probe_func", 8, 8, false);
		field("unsigned long", "__probe_ret_ip", 16, 8, false);
		off = 24;
	} else {
		field("unsigned long", "__probe_ip", 8, 8, false);
		off = 16;
	}
	for (i = 0; i < d->nargs; i++) {
		const struct fetch_arg *a = &d->args[i];

		n = a->count ? a->count : 1;
		snprintf(type, sizeof(type), "%s", types[a->type].field);
		snprintf(name, sizeof(name), "%s", a->name);
		/*
		 * Linux 6.x moves an array's brackets to the name and, since a
		 * probe's fields carry no length, leaves them empty: "u8 b[]".
		 * A string array keeps its type whole ("__data_loc char[][3]").
		 */
		if (a->count && !strncmp(type, "__data_loc", 10))
			snprintf(type, sizeof(type), "%s[%u]", types[a->type].field, a->count);
		else if (a->count)
			snprintf(name, sizeof(name), "%s[]", a->name);
		field(type, name, off, types[a->type].size * n, types[a->type].is_signed);
		off += types[a->type].size * n;
	}
	cprintf("\nprint fmt: \"%s", d->is_return ? "(%lx <- %lx)" : "(%lx)");
	for (i = 0; i < d->nargs; i++) {
		const struct fetch_arg *a = &d->args[i];

		cprintf(" %s=", a->name);
		if (!a->count) {
			cprintf("%s", types[a->type].fmt);
			continue;
		}
		for (j = 0; j < a->count; j++)
			cprintf("%s%s", j ? "," : "{", types[a->type].fmt);
		cprintf("}");
	}
	cprintf("\"%s", d->is_return ? ", REC->__probe_func, REC->__probe_ret_ip" :
		", REC->__probe_ip");
	for (i = 0; i < d->nargs; i++) {
		const struct fetch_arg *a = &d->args[i];
		const char *f = types[a->type].is_string ? ", __get_str(%s" : ", REC->%s";

		n = a->count ? a->count : 1;
		for (j = 0; j < n; j++) {
			cprintf(f, a->name);
			if (a->count)
				cprintf("[%u]", j);
			cprintf("%s", types[a->type].is_string ? ")" : "");
		}
	}
	cprintf("\n");
}

static int cmd_format(int argc, char **argv)
{
	struct kevent *ev;

	if (argc != 2)
		return cmd_error("usage: format EVENT|GRP/EVENT");
	ev = one_event(argv[1]);
	if (!ev)
		return -1;
	show_format(ev);
	return 0;
}
CONSOLE_CMD(format, cmd_format, "format EVENT|GRP/EVENT\n"
	    "  the fields and print fmt Linux's events/GRP/EVENT/format shows for it",
	    "an event's record layout (Linux's format file)");

static int cmd_id(int argc, char **argv)
{
	struct kevent *ev;

	if (argc != 2)
		return cmd_error("usage: id EVENT|GRP/EVENT");
	ev = one_event(argv[1]);
	if (!ev)
		return -1;
	cprintf("%u\n", ev->id);
	return 0;
}
CONSOLE_CMD(id, cmd_id, "id EVENT|GRP/EVENT", "an event's id (Linux's events/GRP/EVENT/id)");

struct groups {
	const char **names;
	unsigned int n;
};

static int add_group(struct kevent *ev, void *arg)
{
	struct groups *g = arg;

	for (unsigned int i = 0; i < g->n; i++)
		if (!strcmp(g->names[i], ev->def.group))
			return 0;
	g->names[g->n++] = ev->def.group;
	return 0;
}

static int list_one(struct kevent *ev, void *arg)
{
	(void)arg;
	cprintf("  %-32s id %-5u enable %d  filter %s  trigger %s  points %u  hits %lu\n",
		ev->def.event, ev->id, ev->enabled, ev->filter ? "set" : "none",
		ev->hist ? "hist" : "none", ev->nprobes, kevent_hits(ev));
	return 0;
}

/* Groups in the order they were first used, each with its events. */
static int cmd_events(int argc, char **argv)
{
	struct groups g = { NULL, 0 };
	char target[TRACE_NAME_MAX + 2];

	(void)argv;
	if (argc != 1)
		return cmd_error("usage: events");
	g.names = kmalloc((kevent_count() + 1) * sizeof(*g.names));
	if (!g.names)
		return cmd_error("out of memory");
	kevent_for_each("all", add_group, &g);
	for (unsigned int i = 0; i < g.n; i++) {
		cprintf("%s/\n", g.names[i]);
		snprintf(target, sizeof(target), "%s/*", g.names[i]);
		kevent_for_each(target, list_one, NULL);
	}
	kfree(g.names);
	return 0;
}
CONSOLE_CMD(events, cmd_events, "events\n"
	    "  each group, then its events: id, enable (0/1), filter, trigger, as the\n"
	    "  files of Linux's events/GRP/EVENT/ would say, its probe points and the\n"
	    "  hits of all of them; see also format, id,\n"
	    "  enable, filter, trigger, hist",
	    "list event groups and events (Linux's events/ directory)");
