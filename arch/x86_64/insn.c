/*
 * x86-64 (64-bit mode) instruction decoder and kprobe classification.
 *
 * Decoding is a single forward pass over the bytes: legacy prefixes and
 * REX, then an opcode (possibly behind 0F / 0F 38 / 0F 3A escapes or a
 * VEX / EVEX / XOP payload), then ModRM, SIB, displacement and immediates.
 * The per-opcode facts (what decides the length, which forms are #UD, and
 * what an instruction does: branch kind, stack, privilege) are in
 * insn_tables.c; this file walks the bytes and classifies the result for
 * the probe engine. Nothing here keeps state between calls. See
 * docs/decoder.md.
 */
#include "insn.h"
#include "kerrno.h"

struct cursor {
	const uint8_t *buf;
	size_t len;
	unsigned int pos;
};

/*
 * Past 15 bytes the instruction is invalid whatever the buffer holds, so
 * that check comes before the end-of-buffer one: a 16-byte instruction in
 * a 10-byte buffer is -EILSEQ, not -ENODATA.
 */
static int next_byte(struct cursor *c, uint8_t *b)
{
	if (c->pos >= INSN_MAX_LEN)
		return -EILSEQ;
	if (c->pos >= c->len)
		return -ENODATA;
	*b = c->buf[c->pos++];
	return 0;
}

static int next_le(struct cursor *c, unsigned int size, uint64_t *val)
{
	uint64_t v = 0;
	unsigned int i;
	uint8_t b;
	int ret;

	for (i = 0; i < size; i++) {
		ret = next_byte(c, &b);
		if (ret)
			return ret;
		v |= (uint64_t)b << (8 * i);
	}
	*val = v;
	return 0;
}

static int64_t sign_extend(uint64_t v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return (int64_t)(v << shift) >> shift;
}

static void note_prefix(struct insn *insn, uint8_t b)
{
	switch (b) {
	case 0x66:
		insn->opsize = true;
		break;
	case 0x67:
		insn->adsize = true;
		break;
	case 0xf0:
		insn->lock = true;
		break;
	case 0xf2:
		insn->repne = true;
		insn->last_rep = b;
		break;
	case 0xf3:
		insn->rep = true;
		insn->last_rep = b;
		break;
	default:		/* 26 2e 36 3e 64 65 */
		insn->seg = b;
		break;
	}
}

/*
 * Prefixes come in any order and may repeat. A REX byte only counts when
 * the opcode follows it directly; one followed by another prefix (legacy
 * or REX) is dropped, as the CPU does. Returns the first non-prefix byte.
 */
static int decode_prefixes(struct insn *insn, struct cursor *c, uint8_t *op)
{
	unsigned int attr;
	uint8_t b;
	int ret;

	for (;;) {
		ret = next_byte(c, &b);
		if (ret)
			return ret;
		attr = insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_ONEBYTE, b);
		if (attr & INSN_A_REX) {
			insn->rex = b;
			continue;
		}
		if (!(attr & INSN_A_PREFIX))
			break;
		insn->rex = 0;
		note_prefix(insn, b);
	}
	insn->nr_prefixes = c->pos - 1 - (insn->rex ? 1 : 0);
	insn->rex_w = insn->rex & 8;
	insn->rex_r = insn->rex & 4;
	insn->rex_x = insn->rex & 2;
	insn->rex_b = insn->rex & 1;
	*op = b;
	return 0;
}

/*
 * VEX (C4/C5), EVEX (62) and XOP (8F) carry REX.RXB inverted, the map, W,
 * an inverted extra register (vvvv), L and an implied 66/F3/F2 (pp). first
 * is the payload byte already read (needed to tell XOP from POP); the map
 * and EVEX's fixed bits are in it, so a bad one fails before reading on.
 */
static int decode_vex(struct insn *insn, struct cursor *c, uint8_t lead,
		      uint8_t first)
{
	unsigned int n = lead == 0xc5 ? 1 : lead == 0x62 ? 3 : 2;
	unsigned int i, map = first & 0x1f;
	uint8_t *p = insn->vex;
	int ret;

	insn->encoding = lead == 0x62 ? INSN_ENC_EVEX :
			 lead == 0x8f ? INSN_ENC_XOP : INSN_ENC_VEX;
	/* 66, F2, F3, F0 or REX in front of any of these is #UD. */
	if (insn->opsize || insn->rep || insn->repne || insn->lock || insn->rex)
		return -EILSEQ;
	if (lead == 0xc5)
		map = INSN_MAP_0F;
	else if (lead == 0x62)
		map = (first & 0x08) ? 0 : first & 7;	/* bit 3 reserved-zero */
	if (lead == 0x8f ? map < 8 || map > 10 :
	    lead == 0x62 ? map != 1 && map != 2 && map != 3 && map != 5 && map != 6 :
	    map < 1 || map > 3)
		return -EILSEQ;
	insn->map = map;
	p[0] = first;
	for (i = 1; i < n; i++) {
		ret = next_byte(c, &p[i]);
		if (ret)
			return ret;
	}
	insn->rex_r = !(p[0] & 0x80);
	if (lead == 0xc5) {
		insn->vex_vvvv = (~p[0] >> 3) & 15;
		insn->vex_l = (p[0] >> 2) & 1;
		insn->vex_pp = p[0] & 3;
		return 0;
	}
	insn->rex_x = !(p[0] & 0x40);
	insn->rex_b = !(p[0] & 0x20);
	insn->rex_w = p[1] & 0x80;
	insn->vex_vvvv = (~p[1] >> 3) & 15;
	insn->vex_pp = p[1] & 3;
	if (lead != 0x62) {
		insn->vex_l = (p[1] >> 2) & 1;
		return 0;
	}
	if (!(p[1] & 0x04))	/* EVEX P1 bit 2 is reserved-one */
		return -EILSEQ;
	insn->evex_r2 = !(p[0] & 0x10);
	insn->evex_z = p[2] & 0x80;
	insn->vex_l = (p[2] >> 5) & 3;
	insn->evex_b = p[2] & 0x10;
	if (!(p[2] & 0x08))
		insn->vex_vvvv |= 16;
	insn->evex_aaa = p[2] & 7;
	return 0;
}

/*
 * Opcode byte(s) after the prefixes: returns the opcode attributes, or a
 * negative error. Leaves the cursor on the byte after the opcode.
 */
static int decode_opcode(struct insn *insn, struct cursor *c, uint8_t b)
{
	unsigned int attr;
	uint8_t b2;
	int ret;

	insn->opcode_offset = c->pos - 1;
	insn->opcode = b;
	attr = insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_ONEBYTE, b);
	if (attr & INSN_A_INV64)
		return -EILSEQ;
	if (b == 0x8f || (attr & INSN_A_ESCAPE)) {
		ret = next_byte(c, &b2);
		if (ret)
			return ret;
		if (b == 0x8f && !(b2 & 0x38)) {
			c->pos--;	/* POP r/m: b2 is its ModRM */
			return attr;
		}
		if (b != 0x0f) {
			ret = decode_vex(insn, c, b, b2);
			if (ret)
				return ret;
			insn->opcode_offset = c->pos;
			ret = next_byte(c, &insn->opcode);
			if (ret)
				return ret;
			return insn_opcode_attr(insn->encoding, insn->map,
						insn->opcode);
		}
		insn->map = INSN_MAP_0F;
		if (b2 == 0x38 || b2 == 0x3a) {
			insn->map = b2 == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
			ret = next_byte(c, &b2);
			if (ret)
				return ret;
		} else if (b2 == 0x0f) {
			insn->encoding = INSN_ENC_3DNOW;
		}
		insn->opcode = b2;
		insn->opcode_offset = c->pos - 1;
		attr = insn_opcode_attr(insn->encoding, insn->map, b2);
		if (attr & INSN_A_UNDEF)
			return -EILSEQ;
	}
	return attr;
}

static int decode_modrm(struct insn *insn, struct cursor *c, unsigned int attr)
{
	uint64_t v;
	int ret;

	insn->modrm_offset = c->pos;
	ret = next_byte(c, &insn->modrm);
	if (ret)
		return ret;
	insn->has_modrm = true;
	insn->mod = insn->modrm >> 6;
	insn->reg = (insn->modrm >> 3) & 7;
	insn->rm = insn->modrm & 7;
	/* mov cr/dr: the operand is a register whatever mod says. */
	if (insn->mod == 3 || (attr & INSN_A_MODREG))
		return 0;

	if (insn->rm == 4) {
		ret = next_byte(c, &insn->sib);
		if (ret)
			return ret;
		insn->has_sib = true;
		insn->scale = insn->sib >> 6;
		insn->index = (insn->sib >> 3) & 7;
		insn->base = insn->sib & 7;
		if (insn->mod == 0 && insn->base == 5)
			insn->disp_size = 4;
	} else if (insn->mod == 0 && insn->rm == 5) {
		/* REX.B does not change this: r13 needs mod=01 disp8 0. */
		insn->rip_relative = true;
		insn->disp_size = 4;
	}
	if (insn->mod == 1)
		insn->disp_size = 1;
	else if (insn->mod == 2)
		insn->disp_size = 4;
	if (insn->disp_size) {
		insn->disp_offset = c->pos;
		ret = next_le(c, insn->disp_size, &v);
		if (ret)
			return ret;
		insn->disp = sign_extend(v, insn->disp_size);
	}
	return 0;
}

/* Immediate sizes for the INSN_A_IMM_MASK kinds. */
static unsigned int imm_size(const struct insn *insn, unsigned int kind)
{
	switch (kind) {
	case INSN_A_IB:
	case INSN_A_REL8:
		return 1;
	case INSN_A_IW:
		return 2;
	case INSN_A_IZ:
		return insn->opsize && !insn->rex_w ? 2 : 4;
	case INSN_A_IV:
		return insn->rex_w ? 8 : insn->opsize ? 2 : 4;
	case INSN_A_ID:
	case INSN_A_REL32:
		return 4;
	case INSN_A_IENTER:
		return 2;
	}
	return 0;
}

static int decode_imm(struct insn *insn, struct cursor *c, unsigned int attr)
{
	unsigned int kind = attr & INSN_A_IMM_MASK;
	bool second_ib = kind == INSN_A_IENTER;
	uint64_t v;
	int ret;

	if ((attr & INSN_A_GRP3) && insn->reg > 1)
		kind = 0;		/* only test /0 and /1 take one */
	/* SSE4a: 66 0F 78 /0 ib ib is extrq, F2 0F 78 /r ib ib insertq. */
	if (insn->encoding == INSN_ENC_LEGACY && insn->map == INSN_MAP_0F &&
	    insn->opcode == 0x78 && insn_mandatory_prefix(insn)) {
		kind = INSN_A_IB;
		second_ib = true;
	}

	if (kind == INSN_A_MOFFS) {
		/* A plain address: 8 bytes, or 4 zero-extended with 67. */
		insn->disp_size = insn->adsize ? 4 : 8;
		insn->disp_offset = c->pos;
		ret = next_le(c, insn->disp_size, &v);
		if (ret)
			return ret;
		insn->disp = (int64_t)v;
		return 0;
	}
	insn->imm_size = imm_size(insn, kind);
	if (insn->imm_size) {
		insn->imm_offset = c->pos;
		ret = next_le(c, insn->imm_size, &v);
		if (ret)
			return ret;
		insn->imm = sign_extend(v, insn->imm_size);
	}
	if (second_ib) {
		insn->imm2_size = 1;
		insn->imm2_offset = c->pos;
		ret = next_le(c, 1, &v);
		if (ret)
			return ret;
		insn->imm2 = sign_extend(v, 1);
	}
	return 0;
}

int insn_decode(struct insn *insn, const uint8_t *buf, size_t len,
		uint64_t addr)
{
	struct cursor c = { .buf = buf, .len = len, .pos = 0 };
	int attr, ret;
	uint8_t op;

	*insn = (struct insn){ .addr = addr };
	ret = decode_prefixes(insn, &c, &op);
	if (ret)
		goto fail;
	attr = decode_opcode(insn, &c, op);
	if (attr < 0) {
		ret = attr;
		goto fail;
	}
	if (attr & INSN_A_MODRM) {
		ret = decode_modrm(insn, &c, attr);
		if (ret)
			goto fail;
	}
	/* Known length, but #UD: decided before the immediates are read. */
	ret = -EILSEQ;
	if (!insn_opcode_valid(insn))
		goto fail;
	ret = decode_imm(insn, &c, attr);
	if (ret)
		goto fail;

	insn->len = c.pos;
	insn_opcode_semantics(insn);
	switch (insn->branch) {
	case INSN_BR_JMP_REL8:
	case INSN_BR_JMP_REL32:
	case INSN_BR_JCC_REL8:
	case INSN_BR_JCC_REL32:
	case INSN_BR_CALL_REL32:
	case INSN_BR_LOOP:
	case INSN_BR_XBEGIN:
		insn->target = addr + insn->len + (uint64_t)insn->imm;
		break;
	default:
		break;
	}
	return 0;
fail:
	insn->len = 0;
	return ret;
}

/* Branch kinds the probe engine emulates instead of executing a copy. */
static bool emulated_branch(enum insn_branch br)
{
	switch (br) {
	case INSN_BR_JMP_REL8:
	case INSN_BR_JMP_REL32:
	case INSN_BR_JCC_REL8:
	case INSN_BR_JCC_REL32:
	case INSN_BR_CALL_REL32:
	case INSN_BR_RET:
	case INSN_BR_RET_IMM:
	case INSN_BR_LOOP:
		return true;
	default:
		return false;
	}
}

/* Control transfers that can't be probed at all, with their reason. */
static const char *refused_branch(enum insn_branch br)
{
	switch (br) {
	case INSN_BR_INT3:
		return "int3";
	case INSN_BR_INT:
		return "int n";
	case INSN_BR_INT1:
		return "int1";
	case INSN_BR_INTO:
		return "into";
	case INSN_BR_IRET:
		return "iret";
	case INSN_BR_SYSCALL:
	case INSN_BR_SYSENTER:
		return "syscall/sysenter";
	case INSN_BR_SYSRET:
	case INSN_BR_SYSEXIT:
		return "sysret/sysexit";
	case INSN_BR_CALL_FAR:
	case INSN_BR_JMP_FAR:
	case INSN_BR_RET_FAR:
	case INSN_BR_RET_FAR_IMM:
		return "far call/jmp/ret";
	case INSN_BR_XBEGIN:
		return "xbegin";
	default:
		return NULL;
	}
}

static const char *refused_flags(const struct insn *insn)
{
	uint32_t f = insn->flags;

	/* Stepped with IF clear, these could wait for an interrupt forever. */
	if (f & INSN_F_HLT)
		return insn->map == INSN_MAP_ONEBYTE ? "hlt" : "mwait";
	if (f & INSN_F_VIRT)
		return "VMX/SVM";
	if (f & INSN_F_MOV_SS)
		return "mov ss / pop ss";
	if (f & INSN_F_UD)
		return "ud0/ud1/ud2";
	if (f & INSN_F_GSBASE)
		return "swapgs/wrgsbase";
	if (f & INSN_F_RSM)
		return "rsm";
	return NULL;
}

/* What the #DB path must repair after stepping a copy (INSN_FIX_*). */
static unsigned int fixups(const struct insn *insn)
{
	switch (insn->branch) {
	case INSN_BR_CALL_IND:
		return INSN_FIX_IP_ABS | INSN_FIX_RET_ADDR;
	case INSN_BR_JMP_IND:
		return INSN_FIX_IP_ABS;
	case INSN_BR_NONE:
		break;
	default:
		return 0;
	}
	if (insn->flags & INSN_F_PUSHF)
		return INSN_FIX_PUSHED_FLAGS;
	if (insn->flags & INSN_F_IF)
		return INSN_FIX_KEEP_IF;
	return 0;
}

/*
 * Precedence: REFUSE, EMULATE, STEP_FIXUP, then BOOST unless the
 * instruction touches state the trap path depends on or that records where
 * it ran, in which case STEP (STEP_RIPREL when the copy needs its disp32
 * rewritten). The reasons are in docs/decoder.md.
 */
static enum insn_probe_class classify(const struct insn *insn,
				      const char **why)
{
	const char *r;

	if (!insn || insn->len == 0) {
		*why = "undecodable";
		return INSN_CLASS_REFUSE;
	}
	r = refused_branch(insn->branch);
	if (!r)
		r = refused_flags(insn);
	if (r) {
		*why = r;
		return INSN_CLASS_REFUSE;
	}
	if (insn->branch != INSN_BR_NONE && insn->opsize) {
		/* Intel ignores 66 on near branches, AMD truncates rip to 16 bits. */
		*why = "66-prefixed near branch";
		return INSN_CLASS_REFUSE;
	}
	if (emulated_branch(insn->branch)) {
		*why = "relative branch or ret";
		return INSN_CLASS_EMULATE;
	}
	if (insn->flags & INSN_F_NOP) {
		*why = "nop";
		return INSN_CLASS_EMULATE;
	}
	if (insn->map == INSN_MAP_ONEBYTE && insn->encoding == INSN_ENC_LEGACY &&
	    insn->opcode >= 0x50 && insn->opcode <= 0x5f && !insn->opsize) {
		*why = "push/pop register";
		return INSN_CLASS_EMULATE;
	}
	/*
	 * cli/sti: emulated (as Linux does), not stepped: a single-step trap
	 * after sti is not delivered by every CPU model (QEMU's TCG drops it
	 * inside the interrupt shadow), and setting IF in C is all they do.
	 */
	if (insn->map == INSN_MAP_ONEBYTE && insn->encoding == INSN_ENC_LEGACY &&
	    (insn->opcode == 0xfa || insn->opcode == 0xfb)) {
		*why = "cli/sti";
		return INSN_CLASS_EMULATE;
	}
	if (fixups(insn)) {
		*why = insn->branch == INSN_BR_CALL_IND ? "indirect call" :
		       insn->branch == INSN_BR_JMP_IND ? "indirect jmp" :
		       insn->flags & INSN_F_PUSHF ? "pushf" : "changes IF";
		return INSN_CLASS_STEP_FIXUP;
	}
	if (insn->flags & (INSN_F_PRIV | INSN_F_SERIAL | INSN_F_IO |
			   INSN_F_SEG | INSN_F_CRDR)) {
		*why = "system instruction";
	} else if (insn->flags & INSN_F_X87) {
		*why = "x87";
	} else {
		*why = insn->rip_relative ? "boost, rip-relative" : "boost";
		return INSN_CLASS_BOOST;
	}
	return insn->rip_relative ? INSN_CLASS_STEP_RIPREL : INSN_CLASS_STEP;
}

enum insn_probe_class insn_probe_class(const struct insn *insn,
				       const char **reason)
{
	const char *why;
	enum insn_probe_class cls = classify(insn, &why);

	if (reason)
		*reason = why;
	return cls;
}

unsigned int insn_step_fixups(const struct insn *insn)
{
	if (insn_probe_class(insn, NULL) != INSN_CLASS_STEP_FIXUP)
		return 0;
	return fixups(insn);
}

const char *insn_class_name(enum insn_probe_class cls)
{
	switch (cls) {
	case INSN_CLASS_REFUSE:
		return "refuse";
	case INSN_CLASS_STEP:
		return "step";
	case INSN_CLASS_STEP_RIPREL:
		return "step-riprel";
	case INSN_CLASS_STEP_FIXUP:
		return "step-fixup";
	case INSN_CLASS_EMULATE:
		return "emulate";
	case INSN_CLASS_BOOST:
		return "boost";
	}
	return "?";
}
