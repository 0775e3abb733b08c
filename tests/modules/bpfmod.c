/*
 * Loads eBPF objects it is given (obj=SRC, xdp=SRC: boot:FILE or
 * tftp:FILE) as "bm" and "bmx", attaches program attach=PROG to its
 * kprobe, and has no exit: removing it must detach and unload them all
 * (bpf/module_owner.c, and net/ for an XDP attachment made meanwhile).
 */
#include <linux/module.h>
#include "bpf.h"

static char *obj;
static char *xdp;
static char *attach;
module_param(obj, charp, 0444);
module_param(xdp, charp, 0444);
module_param(attach, charp, 0444);

static int load(const char *src, const char *name)
{
	struct file_blob f;
	char err[160];
	int ret;

	if (file_get(src, &f, err, sizeof(err))) {
		pr_err("bpfmod: %s: %s\n", src, err);
		return -ENOENT;
	}
	ret = bpf_module_load(THIS_MODULE, f.data, f.len, name);
	file_put(&f);
	return ret;
}

static int __init bpfmod_init(void)
{
	int ret = obj ? load(obj, "bm") : 0;

	if (!ret && xdp)
		ret = load(xdp, "bmx");
	if (!ret && attach)
		ret = bpf_module_attach(attach, NULL);
	if (!ret)
		pr_info("bpfmod: loaded%s%s\n", attach ? ", attached " : "", attach ? attach : "");
	return ret;
}

module_init(bpfmod_init);
MODULE_LICENSE("GPL");
