/* In-kernel tests of what the module loader builds on: module space, exports, task identity. */
#include "ktest.h"
#include "arch.h"
#include "console.h"
#include "kallsyms.h"
#include "module.h"
#include "probes.h"
#include "task.h"

KTEST(modules, module_space_rights)
{
	uint8_t *p = module_alloc(2);

	KT_ASSERT(p != NULL);
	KT_EXPECT((uint64_t)p >= MODULES_VADDR && (uint64_t)p + 2 * PAGE_SIZE <= MODULES_END);
	KT_EXPECT(va_is_mapped((uint64_t)p, 2 * PAGE_SIZE, true));
	KT_EXPECT_EQ(p[0] | p[PAGE_SIZE + 17], 0);	/* zeroed */
	KT_EXPECT(!is_kernel_text((uint64_t)p));	/* RW+NX is data */
	module_protect(p, 1, false, true);
	KT_EXPECT(is_kernel_text((uint64_t)p));		/* RX: module text */
	KT_EXPECT(!va_is_mapped((uint64_t)p, 1, true));
	KT_EXPECT(!is_kernel_text((uint64_t)p + PAGE_SIZE));
	module_free(p, 2);
	KT_EXPECT(!va_is_mapped((uint64_t)p, 1, false));
	KT_EXPECT(!is_kernel_text((uint64_t)p));
}

KTEST(modules, runs_separated_by_guard)
{
	uint8_t *a = module_alloc(1), *b = module_alloc(1);

	KT_ASSERT(a && b);
	KT_EXPECT(b >= a + 2 * PAGE_SIZE || a >= b + 2 * PAGE_SIZE);
	KT_EXPECT(!va_is_mapped((uint64_t)a + PAGE_SIZE, 1, false));
	module_free(a, 1);
	module_free(b, 1);
}

/*
 * What the loader maps, not just what module_protect() can do: a real
 * module's text pages are RX, its rodata R+NX, its data RW+NX, and the
 * page after it is the guard. The .ko is a boot file of the modules ISO
 * (make test builds it); without it there is nothing loaded to look at.
 */
static bool rights_loaded_quiet;

KTEST(modules, loaded_module_rights)
{
	size_t size;
	const void *ko = boot_file("quiet.ko", &size);
	struct module *mod = NULL;
	char err[128];
	uint64_t text, ro, data, end;

	if (!ko) {
		cprintf("    # no boot file quiet.ko: no module loaded to check\n");
		return;
	}
	KT_ASSERT(module_load(ko, size, NULL, 0, &mod, err, sizeof(err)) == 0);
	rights_loaded_quiet = true;
	text = (uint64_t)mod->base;
	ro = text + mod->text_size;
	data = ro + mod->ro_size;
	end = data + mod->data_size;
	KT_EXPECT(mod->text_size && mod->ro_size && mod->data_size);
	for (uint64_t va = text; va < end; va += PAGE_SIZE) {
		bool exec = is_kernel_text(va), write = va_is_mapped(va, 1, true);

		KT_EXPECT_OR_BREAK(va_is_mapped(va, 1, false));
		if (va < ro)
			KT_EXPECT_OR_BREAK(exec && !write);
		else if (va < data)
			KT_EXPECT_OR_BREAK(!exec && !write);
		else
			KT_EXPECT_OR_BREAK(!exec && write);
	}
	KT_EXPECT(!va_is_mapped(end, 1, false));
	cprintf("    # quiet: %lu text pages RX, %lu rodata R+NX, %lu data RW+NX\n",
		mod->text_size / PAGE_SIZE, mod->ro_size / PAGE_SIZE, mod->data_size / PAGE_SIZE);
}

/* However loaded_module_rights ended, the module it loaded goes. */
KTEST_EXIT(modules)
{
	char err[128];

	if (rights_loaded_quiet && module_unload("quiet", err, sizeof(err)))
		ktest_fail(__FILE__, __LINE__, "rmmod quiet: %s", err);
	rights_loaded_quiet = false;
}

KTEST(modules, no_module_owns_kernel_addresses)
{
	KT_EXPECT(module_of(kallsyms_lookup_name("kmain")) == NULL);
	KT_EXPECT(module_find("no_such_module") == NULL);
	KT_EXPECT_EQ(module_kallsyms_lookup_name("nomod:kmain"), 0);
}

KTEST(modules, shell_task_identity)
{
	struct task_struct *t = get_current();

	KT_EXPECT_EQ(t->pid, 1);
	KT_EXPECT(!strcmp(t->comm, "kp-shell"));
	KT_EXPECT(!in_interrupt());
	KT_EXPECT_EQ(smp_processor_id(), 0);
}

/*
 * In an interrupt, current stays the task it interrupted (here the shell,
 * on this CPU) and in_interrupt() is true: what a module's handler on an
 * interrupt path sees, as in Linux.
 */
static int tick_hits, tick_not_in_irq, tick_pid = -1;
static char tick_comm[TASK_COMM_LEN];

static int tick_pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	if (smp_processor_id() != 0)
		return 0;
	if (!in_interrupt())
		tick_not_in_irq++;
	tick_pid = get_current()->pid;
	memcpy(tick_comm, get_current()->comm, sizeof(tick_comm));
	__atomic_store_n(&tick_hits, tick_hits + 1, __ATOMIC_RELEASE);
	return 0;
}

KTEST(modules, interrupt_keeps_the_task)
{
	struct kprobe kp = { .symbol_name = "lapic_timer_tick", .pre_handler = tick_pre };

	tick_hits = tick_not_in_irq = 0;
	tick_pid = -1;
	KT_ASSERT(register_kprobe(&kp) == 0);
	for (int ms = 0; ms < 1000 && !__atomic_load_n(&tick_hits, __ATOMIC_ACQUIRE); ms++)
		mdelay(1);
	unregister_kprobe(&kp);
	KT_ASSERT(tick_hits > 0);
	KT_EXPECT_EQ(tick_not_in_irq, 0);
	KT_EXPECT_EQ(tick_pid, 1);
	KT_EXPECT(!strcmp(tick_comm, "kp-shell"));
	KT_EXPECT(!in_interrupt());
}

/* Another CPU touches a module page, then this one unmaps or write-protects it. */
struct remote_access {
	uint8_t *p;
	bool write;
	int ret;
};

static void remote_touch(void *arg)
{
	struct remote_access *r = arg;
	uint8_t v = 0x5a;

	r->ret = r->write ? copy_to_kernel_nofault(r->p, &v, 1) : copy_from_kernel_nofault(&v, r->p, 1);
}

static int touch_on(unsigned int cpu, uint8_t *p, bool write)
{
	struct remote_access r = { p, write, 1 };

	smp_call_on(cpu, remote_touch, &r);
	return r.ret;
}

/*
 * Without a shootdown the other CPU keeps its translation (QEMU's TLB does
 * too): it could still read freed module memory, or write to read-only data.
 */
KTEST(modules, tlb_shootdown_on_free_and_protect)
{
	unsigned int cpu = num_cpus() - 1;
	uint8_t *p;

	if (!cpu)
		return;		/* one CPU: nothing to shoot down */
	p = module_alloc(2);
	KT_ASSERT(p != NULL);
	KT_EXPECT_EQ(touch_on(cpu, p, true), 0);		/* RW: cached writable there */
	KT_EXPECT_EQ(touch_on(cpu, p + PAGE_SIZE, false), 0);
	module_protect(p, 1, false, false);		/* rodata: the store must fault */
	KT_EXPECT_EQ(touch_on(cpu, p, true), -EFAULT);
	KT_EXPECT_EQ(touch_on(cpu, p, false), 0);
	module_free(p, 2);
	KT_EXPECT_EQ(touch_on(cpu, p, false), -EFAULT);
	KT_EXPECT_EQ(touch_on(cpu, p + PAGE_SIZE, false), -EFAULT);
}
