/*
 * The file source registry (struct file_source in include/kernel.h), and
 * the "boot" source: files GRUB loaded beside the kernel, used in place.
 * Sources register at init and are never removed, so the list is read
 * without a lock.
 */
#include "kernel.h"

static struct file_source *sources;
static char schemes[64];

int file_source_register(struct file_source *fs)
{
	struct file_source **pp;
	size_t n = strlen(schemes);

	for (pp = &sources; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->scheme, fs->scheme))
			return -EEXIST;
	fs->next = NULL;
	*pp = fs;
	snprintf(schemes + n, sizeof(schemes) - n, "%s%s:FILE", n ? "|" : "", fs->scheme);
	return 0;
}

const char *file_source_schemes(void)
{
	return schemes;
}

int file_get(const char *spec, struct file_blob *b, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	int ret;

	memset(b, 0, sizeof(*b));
	for (struct file_source *fs = colon ? sources : NULL; fs; fs = fs->next) {
		if (strlen(fs->scheme) != (size_t)(colon - spec) ||
		    strncmp(fs->scheme, spec, colon - spec))
			continue;
		if (!colon[1]) {
			snprintf(err, errlen, "'%s' names no file", spec);
			return -EINVAL;
		}
		ret = fs->get(colon + 1, b, err, errlen);
		if (!ret)
			b->src = fs;
		return ret;
	}
	snprintf(err, errlen, "'%s' is not a source (%s)", spec, schemes);
	return -EINVAL;
}
EXPORT_SYMBOL(file_get);

void file_put(struct file_blob *b)
{
	if (b->src && b->src->put)
		b->src->put(b);
	memset(b, 0, sizeof(*b));
}
EXPORT_SYMBOL(file_put);

static int boot_get(const char *name, struct file_blob *b, char *err, size_t errlen)
{
	b->data = boot_file(name, &b->len);
	if (b->data)
		return 0;
	snprintf(err, errlen, "no boot file '%s' (make iso MODULES=\"%s\" or BPF=\"%s\")",
		 name, name, name);
	return -ENOENT;
}

static struct file_source boot_source = {
	.scheme = "boot",
	.get = boot_get,
};

static int boot_source_init(void)
{
	return file_source_register(&boot_source);
}
INITCALL(boot_source_init, 1);
