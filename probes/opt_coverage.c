/*
 * How much of the kernel jump optimization reaches, and the console's
 * switches for it: `kprobes coverage [SYM|all]` asks opt_analyze() at every
 * instruction boundary a probe may be registered at (not blacklisted, not
 * refused by the decoder) and counts the answers; `kprobes optimize` runs
 * the deferred optimizer now; `kprobes optimization on|off` is Linux's
 * debug.kprobes-optimization.
 */
#include "kprobes_internal.h"
#include "opt_reloc.h"
#include "console.h"
#include "kallsyms.h"

struct cov {
	const struct ksym *only;	/* NULL: every function */
	struct opt_coverage *out;
};

static int cover_function(const struct ksym *sym, void *arg)
{
	struct cov *c = arg;
	uint64_t end = sym->addr + sym->size;

	if (c->only && sym != c->only)
		return 0;
	if ((sym->type != 't' && sym->type != 'T') || !sym->size || !is_kernel_text(sym->addr))
		return 0;
	c->out->functions++;
	for (uint64_t pc = sym->addr; pc < end;) {
		uint8_t buf[INSN_MAX_LEN];
		size_t n = kprobe_read_orig(pc, buf, min((uint64_t)sizeof(buf), end - pc));
		struct opt_plan plan;
		struct insn insn;
		enum opt_reason r;
		uint64_t bad;

		if (insn_decode(&insn, buf, n, pc))
			break;	/* nothing after it is a known boundary */
		if (!kprobe_blacklisted(pc) &&
		    kprobe_insn_class(pc, &insn, NULL) != INSN_CLASS_REFUSE) {
			r = opt_analyze(pc, &plan, &bad);
			c->out->count[r]++;
			if (c->only && r != OPT_OK)
				cprintf("  +0x%04lx  %s (at +0x%lx)\n", pc - sym->addr,
					opt_reason_name(r), bad - sym->addr);
		}
		pc += insn.len;
	}
	return 0;
}

void opt_coverage(const struct ksym *only, struct opt_coverage *out)
{
	struct cov c = { only, out };

	memset(out, 0, sizeof(*out));
	kallsyms_for_each(cover_function, &c);
	for (int r = 0; r < OPT_REASONS; r++)
		out->boundaries += out->count[r];
}

static int cmd_coverage(int argc, char **argv)
{
	const struct ksym *sym = NULL;
	struct opt_coverage cov;
	uint64_t addr, off, pct;

	if (argc > 3)
		return cmd_error("usage: kprobes coverage [SYM|all]");
	if (argc == 3 && strcmp(argv[2], "all")) {
		if (parse_address(argv[2], &addr) || !is_kernel_text(addr))
			return cmd_error("no function '%s'", argv[2]);
		sym = kallsyms_lookup(addr, &off);
		if (!sym || off)
			return cmd_error("'%s' is not the start of a function", argv[2]);
	}
	opt_coverage(sym, &cov);
	pct = cov.boundaries ? cov.count[OPT_OK] * 10000 / cov.boundaries : 0;
	cprintf("coverage %s: %lu probe-able boundaries in %lu functions, %lu optimizable "
		"(%lu.%02lu%%)\n", sym ? ksym_name(sym) : "all", cov.boundaries, cov.functions,
		cov.count[OPT_OK], pct / 100, pct % 100);
	for (int r = 1; r < OPT_REASONS; r++)
		if (cov.count[r])
			cprintf("  %-32s %8lu\n", opt_reason_name(r), cov.count[r]);
	return 0;
}

bool opt_cmd_handles(const char *sub)
{
	return !strcmp(sub, "coverage") || !strcmp(sub, "optimize") ||
	       !strcmp(sub, "optimization");
}

int opt_cmd(int argc, char **argv)
{
	if (!strcmp(argv[1], "coverage"))
		return cmd_coverage(argc, argv);
	if (!strcmp(argv[1], "optimize")) {
		if (argc != 2)
			return cmd_error("usage: kprobes optimize");
		cprintf("%d sites optimized\n", kprobes_optimize());
		return 0;
	}
	if (argc == 2) {
		cprintf("optimization %s\n", kprobes_optimization() ? "on" : "off");
		return 0;
	}
	if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off")))
		return cmd_error("usage: kprobes optimization [on|off]");
	kprobes_set_optimization(!strcmp(argv[2], "on"));
	cprintf("optimization %s\n", kprobes_optimization() ? "on" : "off");
	return 0;
}
