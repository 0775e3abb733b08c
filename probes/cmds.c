/*
 * Console commands of the probe engine: kprobes (list, blacklist), insns
 * (disassembly by probe mode).
 */
#include "kprobes_internal.h"
#include "console.h"
#include "kallsyms.h"
#include "opt_reloc.h"

static int show_probe(struct kprobe *p, void *arg)
{
	char sym[96];

	(void)arg;
	cprintf("%016lx  %-36s %-12s %8lu %8lu  %s%s\n", (uint64_t)p->addr,
		kallsyms_sprint((uint64_t)p->addr, sym, sizeof(sym)),
		kprobe_mode_name(kprobe_mode(p)), kprobe_nhit(p), kprobe_nmissed(p),
		p->flags & KPROBE_FLAG_GONE ? "[GONE]" : "",
		p->flags & KPROBE_FLAG_DISABLED ? "[DISABLED]" : "");
	return 0;
}

static int cmd_kprobes(int argc, char **argv)
{
	struct kprobe_stats st;

	if (argc == 2 && !strcmp(argv[1], "blacklist")) {
		kprobe_blacklist_show();
		return 0;
	}
	if (argc > 1 && opt_cmd_handles(argv[1]))
		return opt_cmd(argc, argv);
	if (argc > 1)
		return cmd_error("usage: kprobes [blacklist|coverage [SYM|all]|optimize|"
				 "optimization [on|off]]");
	kprobe_get_stats(&st);
	cprintf("%lu probes at %lu addresses; table %lu buckets; %lu slots; "
		"%lu hits, %lu missed, %lu strays recovered, %lu handler faults\n",
		st.probes, st.sites, st.table_buckets, st.slots_used, st.hits, st.misses,
		st.strays_recovered, st.faults);
	if (st.probes)
		cprintf("%-16s  %-36s %-12s %8s %8s\n", "ADDRESS", "SYMBOL", "MODE", "HITS", "MISSED");
	kprobe_for_each(show_probe, NULL);
	return 0;
}
CONSOLE_CMD(kprobes, cmd_kprobes,
	    "kprobes [blacklist|coverage [SYM|all]|optimize|optimization [on|off]]",
	    "list registered kprobes with mode, hits and misses; or where probes may not go, and "
	    "why; or how many boundaries a jmp can replace; run or switch the jump optimizer");

static int cmd_insns(int argc, char **argv)
{
	uint64_t addr, off, n = 0, max_n = 4096;
	const struct ksym *sym;

	if (argc < 2 || argc > 3)
		return cmd_error("usage: insns SYM|ADDR [N]");
	if (parse_address(argv[1], &addr))
		return cmd_error("no symbol '%s'", argv[1]);
	if (argc == 3 && (kstrtou64(argv[2], &max_n) || !max_n))
		return cmd_error("bad count '%s'", argv[2]);
	if (!is_kernel_text(addr))
		return cmd_error("%s is not kernel text", argv[1]);
	sym = kallsyms_lookup(addr, &off);
	if (!sym)
		return cmd_error("%s is in no function", argv[1]);
	/* whole function unless N is given; start where the user pointed */
	for (uint64_t pc = addr; pc < sym->addr + sym->size && n < max_n; n++) {
		uint8_t buf[INSN_MAX_LEN];
		size_t got = kprobe_read_orig(pc, buf, sizeof(buf));
		struct insn insn;
		const char *why;
		enum insn_probe_class cls;
		char hex[3 * INSN_MAX_LEN + 1] = "";

		if (insn_decode(&insn, buf, got, pc)) {
			cprintf("+0x%04lx  ?  %02x  refuse (undecodable)\n", pc - sym->addr, buf[0]);
			break;
		}
		for (unsigned int i = 0; i < insn.len; i++)
			snprintf(hex + 3 * i, 4, "%02x ", buf[i]);
		hex[3 * insn.len - 1] = '\0';
		cls = kprobe_insn_class(pc, &insn, &why);
		if (kprobe_blacklisted(pc))
			cprintf("+0x%04lx %2u  %-24s  refuse (blacklisted)\n", pc - sym->addr, insn.len, hex);
		else if (cls == INSN_CLASS_REFUSE)
			cprintf("+0x%04lx %2u  %-24s  refuse (%s)\n", pc - sym->addr, insn.len, hex, why);
		else
			cprintf("+0x%04lx %2u  %-24s  %s\n", pc - sym->addr, insn.len, hex,
				kprobe_mode_name(kprobe_class_mode(cls, &insn, false)));
		pc += insn.len;
	}
	return 0;
}
CONSOLE_CMD(insns, cmd_insns, "insns SYM|ADDR [N]",
	    "list a function's instructions: +offset, length, bytes, the mode a probe there runs in");
