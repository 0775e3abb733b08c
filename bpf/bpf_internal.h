/* Private to the kernel side of bpf/ (registry and console commands). */
#ifndef KP_BPF_INTERNAL_H
#define KP_BPF_INTERNAL_H

#include "bpf.h"

#define BPF_MAX_OBJECTS	16

struct bpf_loaded {
	struct bpf_object *obj;		/* NULL: free slot */
	char name[BPF_OBJ_NAME_LEN];	/* the NAME given to bpf load, or "" */
	uint64_t loaded_ns;
	struct module *owner;		/* the module that loaded it, or NULL (the console) */
};

/* Slot i if it holds an object, else NULL. */
struct bpf_loaded *bpf_object_slot(unsigned int i);
int bpf_unload(const char *name, char *err, size_t errlen);
/* bpf paste NAME: read a base64 object from the console and load it (bpf/paste.c). */
int bpf_paste(const char *name);
/* The log of the last `bpf load`, for `bpf log`. */
extern char bpf_last_log[BPF_LOG_SIZE];

#endif
