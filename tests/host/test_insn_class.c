/*
 * Hand-written cases for what a probe does with each instruction
 * (insn_probe_class): the mode, every refusal reason, and the fixups a
 * single-stepped copy needs afterwards.
 */
#include <string.h>

#include "check.h"
#include "insn_hex.h"
#include "kerrno.h"

struct class_case {
	const char *hex;
	enum insn_probe_class cls;
	const char *reason;	/* exact for REFUSE, else NULL */
};

static void t_classify(void)
{
	static const struct class_case cases[] = {
		/* refuse, with every reason */
		{ "cc", INSN_CLASS_REFUSE, "int3" },
		{ "cd 80", INSN_CLASS_REFUSE, "int n" },
		{ "f1", INSN_CLASS_REFUSE, "int1" },
		{ "cf", INSN_CLASS_REFUSE, "iret" },
		{ "48 cf", INSN_CLASS_REFUSE, "iret" },
		{ "0f 05", INSN_CLASS_REFUSE, "syscall/sysenter" },
		{ "0f 34", INSN_CLASS_REFUSE, "syscall/sysenter" },
		{ "48 0f 07", INSN_CLASS_REFUSE, "sysret/sysexit" },
		{ "0f 35", INSN_CLASS_REFUSE, "sysret/sysexit" },
		{ "ff 18", INSN_CLASS_REFUSE, "far call/jmp/ret" },
		{ "ff 2c 24", INSN_CLASS_REFUSE, "far call/jmp/ret" },
		{ "cb", INSN_CLASS_REFUSE, "far call/jmp/ret" },
		{ "48 ca 08 00", INSN_CLASS_REFUSE, "far call/jmp/ret" },
		{ "f4", INSN_CLASS_REFUSE, "hlt" },
		{ "0f 01 c9", INSN_CLASS_REFUSE, "mwait" },
		{ "0f 01 fb", INSN_CLASS_REFUSE, "mwait" },
		{ "0f 01 c8", INSN_CLASS_STEP, NULL },		/* monitor */
		{ "0f 01 c1", INSN_CLASS_REFUSE, "VMX/SVM" },
		{ "0f 01 d8", INSN_CLASS_REFUSE, "VMX/SVM" },
		{ "0f 78 c0", INSN_CLASS_REFUSE, "VMX/SVM" },
		{ "66 0f 38 81 08", INSN_CLASS_REFUSE, "VMX/SVM" },
		{ "8e d0", INSN_CLASS_REFUSE, "mov ss / pop ss" },
		{ "8e 10", INSN_CLASS_REFUSE, "mov ss / pop ss" },
		{ "0f 0b", INSN_CLASS_REFUSE, "ud0/ud1/ud2" },
		{ "0f b9 c0", INSN_CLASS_REFUSE, "ud0/ud1/ud2" },
		{ "0f ff c0", INSN_CLASS_REFUSE, "ud0/ud1/ud2" },
		{ "0f 01 f8", INSN_CLASS_REFUSE, "swapgs/wrgsbase" },
		{ "f3 48 0f ae d8", INSN_CLASS_REFUSE, "swapgs/wrgsbase" },
		{ "0f aa", INSN_CLASS_REFUSE, "rsm" },
		{ "c7 f8 00 00 00 00", INSN_CLASS_REFUSE, "xbegin" },
		{ "66 e8 00 00 00 00", INSN_CLASS_REFUSE, "66-prefixed near branch" },
		{ "66 c3", INSN_CLASS_REFUSE, "66-prefixed near branch" },
		{ "66 ff d0", INSN_CLASS_REFUSE, "66-prefixed near branch" },
		{ "ce", INSN_CLASS_REFUSE, "undecodable" },
		{ "06", INSN_CLASS_REFUSE, "undecodable" },
		{ "0f 04", INSN_CLASS_REFUSE, "undecodable" },
		{ "f0 90", INSN_CLASS_REFUSE, "undecodable" },
		/* emulate */
		{ "eb 00", INSN_CLASS_EMULATE, NULL },
		{ "e9 00 00 00 00", INSN_CLASS_EMULATE, NULL },
		{ "75 fe", INSN_CLASS_EMULATE, NULL },
		{ "0f 8f 00 00 00 00", INSN_CLASS_EMULATE, NULL },
		{ "e8 00 00 00 00", INSN_CLASS_EMULATE, NULL },
		{ "f2 e8 00 00 00 00", INSN_CLASS_EMULATE, NULL },
		{ "c3", INSN_CLASS_EMULATE, NULL },
		{ "f3 c3", INSN_CLASS_EMULATE, NULL },
		{ "c2 08 00", INSN_CLASS_EMULATE, NULL },
		{ "e2 fe", INSN_CLASS_EMULATE, NULL },
		{ "e3 00", INSN_CLASS_EMULATE, NULL },
		{ "90", INSN_CLASS_EMULATE, NULL },
		{ "66 90", INSN_CLASS_EMULATE, NULL },
		{ "0f 1f 44 00 00", INSN_CLASS_EMULATE, NULL },
		{ "66 2e 0f 1f 84 00 00 00 00 00", INSN_CLASS_EMULATE, NULL },
		{ "f3 0f 1e fa", INSN_CLASS_EMULATE, NULL },
		{ "55", INSN_CLASS_EMULATE, NULL },
		{ "41 57", INSN_CLASS_EMULATE, NULL },
		{ "5d", INSN_CLASS_EMULATE, NULL },
		{ "48 5c", INSN_CLASS_EMULATE, NULL },
		/* step with a fixup */
		{ "ff d0", INSN_CLASS_STEP_FIXUP, NULL },
		{ "ff 15 00 00 00 00", INSN_CLASS_STEP_FIXUP, NULL },
		{ "ff e0", INSN_CLASS_STEP_FIXUP, NULL },
		{ "3e ff 24 c5 00 00 00 00", INSN_CLASS_STEP_FIXUP, NULL },
		{ "9c", INSN_CLASS_STEP_FIXUP, NULL },
		{ "9d", INSN_CLASS_STEP_FIXUP, NULL },
		{ "fa", INSN_CLASS_EMULATE, NULL },	/* cli/sti: emulated */
		{ "fb", INSN_CLASS_EMULATE, NULL },
		/* boost */
		{ "48 89 e5", INSN_CLASS_BOOST, NULL },
		{ "48 8b 05 00 00 00 00", INSN_CLASS_BOOST, NULL },
		{ "48 83 ec 08", INSN_CLASS_BOOST, NULL },
		{ "f3 a4", INSN_CLASS_BOOST, NULL },
		{ "f0 48 0f b1 0e", INSN_CLASS_BOOST, NULL },
		{ "c9", INSN_CLASS_BOOST, NULL },
		{ "c8 10 00 00", INSN_CLASS_BOOST, NULL },
		{ "6a 01", INSN_CLASS_BOOST, NULL },
		{ "ff 35 00 00 00 00", INSN_CLASS_BOOST, NULL },
		{ "f3 90", INSN_CLASS_BOOST, NULL },
		{ "41 90", INSN_CLASS_BOOST, NULL },
		{ "66 50", INSN_CLASS_BOOST, NULL },
		{ "0f 31", INSN_CLASS_BOOST, NULL },
		{ "c5 f8 77", INSN_CLASS_BOOST, NULL },
		{ "62 f1 7c 48 10 05 00 01 00 00", INSN_CLASS_BOOST, NULL },
		{ "0f 01 ca", INSN_CLASS_STEP, NULL },		/* clac */
		/* step */
		{ "0f a2", INSN_CLASS_STEP, NULL },
		{ "0f 22 d8", INSN_CLASS_STEP, NULL },
		{ "0f 23 f8", INSN_CLASS_STEP, NULL },
		{ "e4 60", INSN_CLASS_STEP, NULL },
		{ "0f 30", INSN_CLASS_STEP, NULL },
		{ "0f 00 d8", INSN_CLASS_STEP, NULL },
		{ "8e d8", INSN_CLASS_STEP, NULL },
		{ "0f a1", INSN_CLASS_STEP, NULL },
		{ "d9 c9", INSN_CLASS_STEP, NULL },
		{ "9b", INSN_CLASS_STEP, NULL },
		{ "0f 01 38", INSN_CLASS_STEP, NULL },
		/* step, and the copy's disp32 is rewritten */
		{ "0f 01 15 00 00 00 00", INSN_CLASS_STEP_RIPREL, NULL },
		{ "d9 05 00 00 00 00", INSN_CLASS_STEP_RIPREL, NULL },
		{ "e6 60", INSN_CLASS_STEP, NULL },
	};
	struct insn in;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool bad = cases[i].reason && !strcmp(cases[i].reason, "undecodable");

		/* the class is only worth checking on what decoded as intended */
		CHECK_EQ(dec(&in, cases[i].hex), bad ? -EILSEQ : 0);
		why = NULL;
		if (insn_probe_class(&in, &why) != cases[i].cls)
			printf("    # %s: %s (%s), want %s\n", cases[i].hex,
			       insn_class_name(insn_probe_class(&in, NULL)), why,
			       insn_class_name(cases[i].cls));
		CHECK_EQ(insn_probe_class(&in, &why), cases[i].cls);
		CHECK(why != NULL && why[0]);
		if (cases[i].reason)
			CHECK_STR(why, cases[i].reason);
	}
	CHECK_EQ(insn_probe_class(NULL, &why), INSN_CLASS_REFUSE);
	CHECK_STR(why, "undecodable");
	CHECK_EQ(dec(&in, "48 8b 05 00 00 00 00"), 0);
	insn_probe_class(&in, &why);
	CHECK_STR(why, "boost, rip-relative");
}

static void t_step_fixups(void)
{
	struct insn in;

	CHECK_EQ(dec(&in, "ff d0"), 0);
	CHECK_EQ(insn_step_fixups(&in), INSN_FIX_IP_ABS | INSN_FIX_RET_ADDR);
	CHECK_EQ(dec(&in, "41 ff 54 24 08"), 0);
	CHECK_EQ(insn_step_fixups(&in), INSN_FIX_IP_ABS | INSN_FIX_RET_ADDR);
	CHECK_EQ(dec(&in, "ff e0"), 0);
	CHECK_EQ(insn_step_fixups(&in), INSN_FIX_IP_ABS);
	CHECK_EQ(dec(&in, "9c"), 0);
	CHECK_EQ(insn_step_fixups(&in), INSN_FIX_PUSHED_FLAGS);
	CHECK_EQ(dec(&in, "9d"), 0);
	CHECK_EQ(insn_step_fixups(&in), INSN_FIX_KEEP_IF);
	CHECK_EQ(dec(&in, "fb"), 0);			/* sti is emulated, never stepped */
	CHECK_EQ(insn_step_fixups(&in), 0);
	CHECK_EQ(dec(&in, "48 89 e5"), 0);
	CHECK_EQ(insn_step_fixups(&in), 0);
	CHECK_EQ(dec(&in, "c3"), 0);
	CHECK_EQ(insn_step_fixups(&in), 0);
	CHECK_EQ(dec(&in, "cf"), 0);			/* iret changes IF but is refused */
	CHECK_EQ(insn_step_fixups(&in), 0);
	CHECK_EQ(dec(&in, "66 ff d0"), 0);		/* refused too */
	CHECK_EQ(insn_step_fixups(&in), 0);
	CHECK_EQ(insn_step_fixups(NULL), 0);
}

static void t_class_names(void)
{
	CHECK_STR(insn_class_name(INSN_CLASS_REFUSE), "refuse");
	CHECK_STR(insn_class_name(INSN_CLASS_STEP), "step");
	CHECK_STR(insn_class_name(INSN_CLASS_STEP_RIPREL), "step-riprel");
	CHECK_STR(insn_class_name(INSN_CLASS_STEP_FIXUP), "step-fixup");
	CHECK_STR(insn_class_name(INSN_CLASS_EMULATE), "emulate");
	CHECK_STR(insn_class_name(INSN_CLASS_BOOST), "boost");
	CHECK_STR(insn_class_name((enum insn_probe_class)99), "?");
}

int main(void)
{
	RUN(t_classify);
	RUN(t_step_fixups);
	RUN(t_class_names);
	return check_done();
}
