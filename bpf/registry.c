/*
 * The kernel's loaded eBPF objects: loading an image (loader, then the
 * verifier on every program), program ids, lookup by name or id, the
 * attachment count that keeps an attached program loaded, and unloading.
 * Everything here runs from the console, one command at a time; programs
 * run concurrently from interrupts but only ever see objects that are
 * fully built (an object is published last) and never freed while held.
 */
#include "bpf.h"
#include "bpf_internal.h"
#include "kernel.h"
#include "arch.h"

static struct bpf_loaded objects[BPF_MAX_OBJECTS];
static const struct bpf_attach_ops *attach_ops[BPF_PROG_TYPE_XDP + 1];
static uint32_t next_prog_id;
char bpf_last_log[BPF_LOG_SIZE];

struct bpf_loaded *bpf_object_slot(unsigned int i)
{
	return i < BPF_MAX_OBJECTS && objects[i].obj ? &objects[i] : NULL;
}

static bool name_taken(const char *name)
{
	return bpf_prog_find(name) || bpf_map_find(name);
}

int bpf_load_image(const void *data, size_t size, const char *prefix, char *err, size_t errlen)
{
	struct bpf_object *obj;
	struct bpf_loaded *slot = NULL;
	int e;

	bpf_last_log[0] = '\0';
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS && !slot; i++)
		if (!objects[i].obj)
			slot = &objects[i];
	if (!slot) {
		snprintf(err, errlen, "too many objects loaded (%d)", BPF_MAX_OBJECTS);
		return -ENOSPC;
	}
	e = bpf_object_load(data, size, prefix, &obj, err, errlen);
	if (e) {
		snprintf(bpf_last_log, sizeof(bpf_last_log), "%s\n", err);
		return e;
	}
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		struct bpf_prog *p = obj->progs[i];
		size_t used = strlen(bpf_last_log);

		snprintf(bpf_last_log + used, sizeof(bpf_last_log) - used, "%s:\n", p->name);
		used = strlen(bpf_last_log);
		e = bpf_verify(p, bpf_last_log + used, sizeof(bpf_last_log) - used);
		if (e) {
			/* the first line of the verifier's log says why */
			const char *why = bpf_last_log + used, *nl = strchr(why, '\n');

			snprintf(err, errlen, "verifier: program '%s': %.*s", p->name,
				 (int)(nl ? nl - why : (long)strlen(why)), why);
			bpf_object_free(obj);
			return e;
		}
		if (name_taken(p->name)) {
			snprintf(err, errlen, "a program or map named '%s' is already loaded (give a NAME)",
				 p->name);
			bpf_object_free(obj);
			return -EEXIST;
		}
	}
	for (uint32_t i = 0; i < obj->nr_progs; i++)
		obj->progs[i]->id = ++next_prog_id;
	snprintf(slot->name, sizeof(slot->name), "%s", prefix ? prefix : "");
	slot->loaded_ns = uptime_ns();
	slot->owner = NULL;
	__atomic_store_n(&slot->obj, obj, __ATOMIC_RELEASE);
	return 0;
}

static bool matches(const char *name, uint32_t id, const char *want)
{
	char *end;
	unsigned long long n = strtoull(want, &end, 10);

	return !strcmp(name, want) || (*want && !*end && n == id);
}

struct bpf_prog *bpf_prog_find(const char *name)
{
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_object *obj = objects[i].obj;

		for (uint32_t p = 0; obj && p < obj->nr_progs; p++)
			if (matches(obj->progs[p]->name, obj->progs[p]->id, name))
				return obj->progs[p];
	}
	return NULL;
}

struct bpf_map *bpf_map_find(const char *name)
{
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_object *obj = objects[i].obj;

		for (uint32_t m = 0; obj && m < obj->nr_maps; m++)
			if (matches(obj->maps[m]->name, obj->maps[m]->id, name))
				return obj->maps[m];
	}
	return NULL;
}

void bpf_attach_ops_register(enum bpf_prog_type type, const struct bpf_attach_ops *ops)
{
	if ((unsigned int)type < sizeof(attach_ops) / sizeof(attach_ops[0]))
		attach_ops[type] = ops;
}

const struct bpf_attach_ops *bpf_attach_ops(enum bpf_prog_type type)
{
	return (unsigned int)type < sizeof(attach_ops) / sizeof(attach_ops[0]) ? attach_ops[type] : NULL;
}

void bpf_prog_hold(struct bpf_prog *prog)
{
	__atomic_add_fetch(&prog->users, 1, __ATOMIC_RELAXED);
}

void bpf_prog_release(struct bpf_prog *prog)
{
	__atomic_sub_fetch(&prog->users, 1, __ATOMIC_RELAXED);
}

/* Unload the object holding program or object name; refused while attached. */
int bpf_unload(const char *name, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < BPF_MAX_OBJECTS; i++) {
		struct bpf_object *obj = objects[i].obj;
		bool hit = obj && objects[i].name[0] && !strcmp(objects[i].name, name);

		for (uint32_t p = 0; obj && p < obj->nr_progs && !hit; p++)
			hit = matches(obj->progs[p]->name, obj->progs[p]->id, name);
		if (!hit)
			continue;
		for (uint32_t p = 0; p < obj->nr_progs; p++) {
			if (__atomic_load_n(&obj->progs[p]->users, __ATOMIC_ACQUIRE)) {
				snprintf(err, errlen, "program '%s' is attached; detach it first",
					 obj->progs[p]->name);
				return -EBUSY;
			}
		}
		/* tail calls into this object from another one would dangle */
		for (unsigned int j = 0; j < BPF_MAX_OBJECTS; j++) {
			struct bpf_object *o = objects[j].obj;

			for (uint32_t m = 0; o && j != i && m < o->nr_maps; m++) {
				if (o->maps[m]->map_type != BPF_MAP_TYPE_PROG_ARRAY)
					continue;
				for (uint32_t k = 0; k < o->maps[m]->max_entries; k++) {
					struct bpf_prog **slot = o->maps[m]->ops->map_lookup_elem(o->maps[m], &k);

					for (uint32_t p = 0; slot && *slot && p < obj->nr_progs; p++)
						if (*slot == obj->progs[p]) {
							snprintf(err, errlen, "program '%s' is in prog array '%s'",
								 obj->progs[p]->name, o->maps[m]->name);
							return -EBUSY;
						}
				}
			}
		}
		objects[i].obj = NULL;
		bpf_object_free(obj);
		return 0;
	}
	snprintf(err, errlen, "no loaded object or program '%s'", name);
	return -ENOENT;
}
