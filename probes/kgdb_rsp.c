/*
 * GDB remote serial protocol, the portable half of the in-kernel stub: the
 * amd64 register layout GDB expects in 'g'/'G'/'p'/'P', the target
 * description, and the dispatch of every packet the stub answers; framing,
 * checksums, acks, '}' escapes and hex are probes/kgdb_rsp_wire.c. No kernel
 * includes: tests/host/test_kgdb_rsp.c builds this file on the host. The
 * kernel half (probes/kgdb.c, probes/kgdb_bp.c) owns the serial port, the
 * traps and the breakpoints.
 */
#include "kgdb.h"
#include "lib.h"
#include "kerrno.h"

/* ---- registers ---- */

/* Byte size of GDB register n in the amd64 layout of rsp_target_xml. */
static unsigned int reg_size(int n)
{
	if (n < GDB_EFLAGS)
		return 8;
	if (n < GDB_ST0)
		return 4;
	if (n < GDB_FCTRL)
		return 10;
	if (n < GDB_XMM0)
		return 4;
	if (n < GDB_MXCSR)
		return 16;
	return 4;
}

/* Where GDB register n lives in pt_regs (NULL: not a general register). */
static uint64_t *reg_slot(struct pt_regs *r, int n)
{
	switch (n) {
	case GDB_RAX: return &r->ax;
	case GDB_RBX: return &r->bx;
	case GDB_RCX: return &r->cx;
	case GDB_RDX: return &r->dx;
	case GDB_RSI: return &r->si;
	case GDB_RDI: return &r->di;
	case GDB_RBP: return &r->bp;
	case GDB_RSP: return &r->sp;
	case GDB_R8: return &r->r8;
	case GDB_R9: return &r->r9;
	case GDB_R10: return &r->r10;
	case GDB_R11: return &r->r11;
	case GDB_R12: return &r->r12;
	case GDB_R13: return &r->r13;
	case GDB_R14: return &r->r14;
	case GDB_R15: return &r->r15;
	case GDB_RIP: return &r->ip;
	case GDB_EFLAGS: return &r->flags;
	case GDB_CS: return &r->cs;
	case GDB_SS: return &r->ss;
	default: return NULL;
	}
}

static uint64_t reg_value(const struct rsp_session *s, int n)
{
	uint64_t *p = reg_slot(s->regs, n);

	if (p)
		return *p;
	switch (n) {
	case GDB_DS: return s->ds;
	case GDB_ES: return s->es;
	case GDB_FS: return s->fs;
	default: return s->gs;
	}
}

/* One register as hex; x87/SSE state is never touched by this kernel: 'x' (unavailable). */
static size_t put_reg(const struct rsp_session *s, int n, char *out)
{
	unsigned int size = reg_size(n);
	uint64_t v;

	if (n >= GDB_ST0) {
		memset(out, 'x', 2 * size);
		out[2 * size] = '\0';
		return 2 * size;
	}
	v = reg_value(s, n);
	return rsp_hex_encode(out, &v, size);	/* little-endian, low bytes first */
}

/* Flags a debugger may change; TF and RF belong to the stub, VM and the rest stay. */
#define EFLAGS_WRITABLE	0x40ed5UL	/* CF PF AF ZF SF IF DF OF AC */

/* Write register n from size bytes of little-endian value; 0 or -errno. */
static int set_reg(struct rsp_session *s, int n, uint64_t v)
{
	uint64_t *p;

	if (n < 0 || n >= GDB_NUM_REGS)
		return -EINVAL;
	if (n >= GDB_ST0)
		return -EOPNOTSUPP;
	if (n >= GDB_CS)	/* segment selectors: only "no change" is accepted */
		return v == (reg_value(s, n) & 0xffff) || v == reg_value(s, n) ? 0 : -EPERM;
	p = reg_slot(s->regs, n);
	if (n == GDB_EFLAGS)
		v = (*p & ~EFLAGS_WRITABLE) | (v & EFLAGS_WRITABLE);
	if (*p != v)
		s->reg_written = true;
	*p = v;
	return 0;
}

/* ---- the target description ---- */

#define REG(name, bits, type, group) \
	"<reg name=\"" name "\" bitsize=\"" #bits "\" type=\"" type "\"" group "/>"
#define GPR(name) REG(name, 64, "int64", "")

const char rsp_target_xml[] =
	"<?xml version=\"1.0\"?>"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target version=\"1.0\">"
	"<architecture>i386:x86-64</architecture>"
	"<feature name=\"org.gnu.gdb.i386.core\">"
	"<flags id=\"i386_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>"
	"</flags>"
	GPR("rax") GPR("rbx") GPR("rcx") GPR("rdx") GPR("rsi") GPR("rdi")
	REG("rbp", 64, "data_ptr", "") REG("rsp", 64, "data_ptr", "")
	GPR("r8") GPR("r9") GPR("r10") GPR("r11") GPR("r12") GPR("r13") GPR("r14") GPR("r15")
	REG("rip", 64, "code_ptr", "") REG("eflags", 32, "i386_eflags", "")
	REG("cs", 32, "int32", "") REG("ss", 32, "int32", "") REG("ds", 32, "int32", "")
	REG("es", 32, "int32", "") REG("fs", 32, "int32", "") REG("gs", 32, "int32", "")
	REG("st0", 80, "i387_ext", "") REG("st1", 80, "i387_ext", "")
	REG("st2", 80, "i387_ext", "") REG("st3", 80, "i387_ext", "")
	REG("st4", 80, "i387_ext", "") REG("st5", 80, "i387_ext", "")
	REG("st6", 80, "i387_ext", "") REG("st7", 80, "i387_ext", "")
	REG("fctrl", 32, "int", " group=\"float\"") REG("fstat", 32, "int", " group=\"float\"")
	REG("ftag", 32, "int", " group=\"float\"") REG("fiseg", 32, "int", " group=\"float\"")
	REG("fioff", 32, "int", " group=\"float\"") REG("foseg", 32, "int", " group=\"float\"")
	REG("fooff", 32, "int", " group=\"float\"") REG("fop", 32, "int", " group=\"float\"")
	"</feature>"
	"<feature name=\"org.gnu.gdb.i386.sse\">"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\">"
	"<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
	"<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
	"<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
	"<field name=\"uint128\" type=\"uint128\"/>"
	"</union>"
	"<flags id=\"i386_mxcsr\" size=\"4\">"
	"<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
	"<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
	"<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
	"<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
	"<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>"
	"</flags>"
	REG("xmm0", 128, "vec128", " regnum=\"40\"") REG("xmm1", 128, "vec128", "")
	REG("xmm2", 128, "vec128", "") REG("xmm3", 128, "vec128", "")
	REG("xmm4", 128, "vec128", "") REG("xmm5", 128, "vec128", "")
	REG("xmm6", 128, "vec128", "") REG("xmm7", 128, "vec128", "")
	REG("xmm8", 128, "vec128", "") REG("xmm9", 128, "vec128", "")
	REG("xmm10", 128, "vec128", "") REG("xmm11", 128, "vec128", "")
	REG("xmm12", 128, "vec128", "") REG("xmm13", 128, "vec128", "")
	REG("xmm14", 128, "vec128", "") REG("xmm15", 128, "vec128", "")
	REG("mxcsr", 32, "i386_mxcsr", " group=\"vector\"")
	"</feature>"
	"</target>";

/* ---- packet parsing helpers ---- */

/* Parse hex digits at *p into *v, advancing *p; false if there were none. */
static bool parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d, n = 0;

	while ((d = rsp_hexval(*s)) >= 0) {
		if (n++ == 16)
			return false;		/* more than 64 bits */
		x = x << 4 | (uint64_t)d;
		s++;
	}
	if (s == *p)
		return false;
	*v = x;
	*p = s;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static size_t reply_str(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

static size_t reply_err(char *out, size_t cap, int err)
{
	int e = err < 0 ? -err : err;

	return (size_t)snprintf(out, cap, "E%02x", e & 0xff);
}

/* ---- the packets ---- */

size_t rsp_stop_reply(const struct rsp_session *s, char *out, size_t cap)
{
	char rbp[17], rsp[17], rip[17];
	const char *why = "";
	char watch[48] = "";

	rsp_hex_encode(rbp, &s->regs->bp, 8);
	rsp_hex_encode(rsp, &s->regs->sp, 8);
	rsp_hex_encode(rip, &s->regs->ip, 8);
	switch (s->stop_kind) {
	case RSP_STOP_SWBREAK:
		why = s->gdb_swbreak ? "swbreak:;" : "";
		break;
	case RSP_STOP_HWBREAK:
		why = s->gdb_hwbreak ? "hwbreak:;" : "";
		break;
	case RSP_STOP_WATCH:
	case RSP_STOP_RWATCH:
	case RSP_STOP_AWATCH:
		snprintf(watch, sizeof(watch), "%s:%lx;",
			 s->stop_kind == RSP_STOP_WATCH ? "watch" :
			 s->stop_kind == RSP_STOP_RWATCH ? "rwatch" : "awatch",
			 (unsigned long)s->watch_addr);
		why = watch;
		break;
	default:
		break;
	}
	return (size_t)snprintf(out, cap, "T%02x06:%s;07:%s;10:%s;%s",
				s->signal & 0xff, rbp, rsp, rip, why);
}

static size_t read_regs(struct rsp_session *s, char *out, size_t cap)
{
	size_t o = 0;

	for (int n = 0; n < GDB_NUM_REGS; n++) {
		if (o + 2 * reg_size(n) + 1 > cap)
			return reply_err(out, cap, -ENOSPC);
		o += put_reg(s, n, out + o);
	}
	return o;
}

/* 'G': registers in order; only the general ones (up to gs) are taken. */
static size_t write_regs(struct rsp_session *s, const char *hex, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	struct pt_regs saved = *s->regs;
	bool written = s->reg_written;

	for (int n = 0; n < GDB_ST0; n++) {
		unsigned int size = reg_size(n);
		uint64_t v = 0;
		int err;

		if (o + 2 * size > len || rsp_hex_decode(&v, sizeof(v), hex + o, 2 * size) < 0) {
			*s->regs = saved;
			s->reg_written = written;
			return reply_err(out, cap, -EINVAL);
		}
		o += 2 * size;
		err = set_reg(s, n, v);
		if (err) {
			*s->regs = saved;
			s->reg_written = written;
			return reply_err(out, cap, err);
		}
	}
	return reply_str(out, cap, "OK");
}

static size_t read_one_reg(struct rsp_session *s, const char *p, char *out, size_t cap)
{
	uint64_t n;

	if (!parse_hex(&p, &n) || *p || n >= GDB_NUM_REGS)
		return reply_err(out, cap, -EINVAL);
	return put_reg(s, (int)n, out);
}

static size_t write_one_reg(struct rsp_session *s, const char *p, char *out, size_t cap)
{
	uint64_t n, v = 0;
	int err;

	if (!parse_hex(&p, &n) || !expect(&p, '=') || n >= GDB_NUM_REGS)
		return reply_err(out, cap, -EINVAL);
	if (strlen(p) != 2 * reg_size((int)n))
		return reply_err(out, cap, -EINVAL);
	if (n >= GDB_ST0)
		return reply_err(out, cap, -EOPNOTSUPP);
	if (rsp_hex_decode(&v, sizeof(v), p, strlen(p)) < 0)
		return reply_err(out, cap, -EINVAL);
	err = set_reg(s, (int)n, v);
	return err ? reply_err(out, cap, err) : reply_str(out, cap, "OK");
}

/* 'm addr,len': as much as is readable from addr on; an error only if nothing is. */
static size_t read_mem(struct rsp_session *s, const char *p, char *out, size_t cap)
{
	static uint8_t buf[RSP_MAX_PACKET / 2];	/* one stub, one packet at a time */
	uint64_t addr, len;
	size_t got = 0;

	if (!parse_hex(&p, &addr) || !expect(&p, ',') || !parse_hex(&p, &len) || *p)
		return reply_err(out, cap, -EINVAL);
	len = min(len, (uint64_t)min(sizeof(buf), (cap - 1) / 2));
	if (addr + len < addr)
		len = -addr;
	if (len && s->ops->read_mem(s->ctx, addr, buf, len) == 0) {
		got = len;
	} else {
		while (got < len && s->ops->read_mem(s->ctx, addr + got, buf + got, 1) == 0)
			got++;
	}
	if (!got && len)
		return reply_err(out, cap, -EFAULT);
	return rsp_hex_encode(out, buf, got);
}

/* 'M addr,len:hex' and 'X addr,len:binary' (already unescaped by the receiver). */
static size_t write_mem(struct rsp_session *s, const char *pkt, size_t pktlen, bool binary,
			char *out, size_t cap)
{
	const char *p = pkt + 1, *data;
	static uint8_t buf[RSP_MAX_PACKET];
	uint64_t addr, len;
	size_t have;
	int err;

	if (!parse_hex(&p, &addr) || !expect(&p, ',') || !parse_hex(&p, &len) || !expect(&p, ':'))
		return reply_err(out, cap, -EINVAL);
	data = p;
	have = pktlen - (size_t)(data - pkt);
	if (len > sizeof(buf) || addr + len < addr)
		return reply_err(out, cap, -EINVAL);
	if (binary) {
		if (have != len)
			return reply_err(out, cap, -EINVAL);
		memcpy(buf, data, len);
	} else if (have != 2 * len || rsp_hex_decode(buf, sizeof(buf), data, have) != (long)len) {
		return reply_err(out, cap, -EINVAL);
	}
	if (!len)
		return reply_str(out, cap, "OK");
	err = s->ops->write_mem(s->ctx, addr, buf, len);
	return err ? reply_err(out, cap, err) : reply_str(out, cap, "OK");
}

/* 'Z type,addr,kind' / 'z type,addr,kind' (conditions after ';' are ignored). */
static size_t breakpoint(struct rsp_session *s, const char *p, bool insert, char *out, size_t cap)
{
	uint64_t type, addr, kind;
	int err;

	if (!parse_hex(&p, &type) || !expect(&p, ',') || !parse_hex(&p, &addr) ||
	    !expect(&p, ',') || !parse_hex(&p, &kind) || (*p && *p != ';'))
		return reply_err(out, cap, -EINVAL);
	if (type > RSP_WP_ACCESS)
		return 0;		/* unsupported type: empty reply */
	err = insert ? s->ops->insert_bp(s->ctx, (enum rsp_bp_type)type, addr, (unsigned int)kind)
		     : s->ops->remove_bp(s->ctx, (enum rsp_bp_type)type, addr, (unsigned int)kind);
	if (err == -EOPNOTSUPP)
		return 0;
	return err ? reply_err(out, cap, err) : reply_str(out, cap, "OK");
}

/* "c", "c ADDR", "Csig", "Csig;ADDR" and the same for s/S. */
static bool resume_addr(struct rsp_session *s, const char *p, bool with_signal)
{
	uint64_t v;

	if (with_signal) {
		if (!parse_hex(&p, &v))
			return false;
		if (!*p)
			return true;
		if (!expect(&p, ';'))
			return false;
	}
	if (!*p)
		return true;
	if (!parse_hex(&p, &v) || *p)
		return false;
	if (s->regs->ip != v)
		s->reg_written = true;
	s->regs->ip = v;
	return true;
}

static size_t xfer_features(const char *p, char *out, size_t cap)
{
	static const char annex[] = "target.xml:";
	size_t total = sizeof(rsp_target_xml) - 1, n;
	uint64_t off, len;

	if (strncmp(p, annex, sizeof(annex) - 1))
		return reply_err(out, cap, -ENOENT);
	p += sizeof(annex) - 1;
	if (!parse_hex(&p, &off) || !expect(&p, ',') || !parse_hex(&p, &len) || *p)
		return reply_err(out, cap, -EINVAL);
	if (off >= total)
		return reply_str(out, cap, "l");
	n = min((size_t)len, total - (size_t)off);
	n = min(n, cap - 2);
	out[0] = off + n < total ? 'm' : 'l';
	memcpy(out + 1, rsp_target_xml + off, n);
	out[1 + n] = '\0';
	return 1 + n;
}

static bool has_feature(const char *list, const char *feat)
{
	size_t n = strlen(feat);

	for (const char *p = list; (p = strstr(p, feat)); p += n)
		if ((p == list || p[-1] == ';' || p[-1] == ':') && (p[n] == ';' || !p[n]))
			return true;
	return false;
}

static size_t query(struct rsp_session *s, const char *p, char *out, size_t cap)
{
	if (!strncmp(p, "qSupported", 10)) {
		s->gdb_swbreak = has_feature(p, "swbreak+");
		s->gdb_hwbreak = has_feature(p, "hwbreak+");
		return (size_t)snprintf(out, cap, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+",
					RSP_MAX_PACKET);
	}
	if (!strncmp(p, "qXfer:features:read:", 20))
		return xfer_features(p + 20, out, cap);
	if (!strcmp(p, "qAttached") || !strncmp(p, "qAttached:", 10))
		return reply_str(out, cap, "1");	/* quitting GDB detaches, never kills */
	if (!strcmp(p, "qC"))
		return reply_str(out, cap, "QC1");
	if (!strcmp(p, "qfThreadInfo"))
		return reply_str(out, cap, "m1");
	if (!strcmp(p, "qsThreadInfo"))
		return reply_str(out, cap, "l");
	if (!strncmp(p, "qSymbol", 7))
		return reply_str(out, cap, "OK");
	return 0;
}

static enum rsp_action vpacket(const char *p, char *out, size_t cap,
			       size_t *outlen)
{
	if (!strcmp(p, "vCont?")) {
		*outlen = reply_str(out, cap, "vCont;c;C;s;S");
		return RSP_REPLY;
	}
	if (!strncmp(p, "vCont;", 6)) {
		/* one thread: the first action decides */
		char a = p[6];

		if (a == 'c' || a == 'C')
			return RSP_RESUME_CONT;
		if (a == 's' || a == 'S')
			return RSP_RESUME_STEP;
		*outlen = reply_err(out, cap, -EINVAL);
		return RSP_REPLY;
	}
	if (!strncmp(p, "vKill", 5)) {
		*outlen = reply_str(out, cap, "OK");
		return RSP_DETACH;
	}
	*outlen = 0;
	return RSP_REPLY;
}

enum rsp_action rsp_dispatch(struct rsp_session *s, const char *pkt, size_t len,
			     char *out, size_t cap, size_t *outlen)
{
	const char *p = pkt + 1;
	size_t n = 0;

	out[0] = '\0';
	*outlen = 0;
	if (!len)
		return RSP_REPLY;
	switch (pkt[0]) {
	case '?':
		n = rsp_stop_reply(s, out, cap);
		break;
	case 'g':
		n = read_regs(s, out, cap);
		break;
	case 'G':
		n = write_regs(s, p, len - 1, out, cap);
		break;
	case 'p':
		n = read_one_reg(s, p, out, cap);
		break;
	case 'P':
		n = write_one_reg(s, p, out, cap);
		break;
	case 'm':
		n = read_mem(s, p, out, cap);
		break;
	case 'M':
	case 'X':
		n = write_mem(s, pkt, len, pkt[0] == 'X', out, cap);
		break;
	case 'Z':
	case 'z':
		n = breakpoint(s, p, pkt[0] == 'Z', out, cap);
		break;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		if (!resume_addr(s, p, pkt[0] == 'C' || pkt[0] == 'S')) {
			n = reply_err(out, cap, -EINVAL);
			break;
		}
		return pkt[0] == 'c' || pkt[0] == 'C' ? RSP_RESUME_CONT : RSP_RESUME_STEP;
	case 'D':
		*outlen = reply_str(out, cap, "OK");
		return RSP_DETACH;
	case 'k':
		return RSP_KILL;
	case 'H':
	case 'T':
		n = reply_str(out, cap, "OK");
		break;
	case 'q':
		n = query(s, pkt, out, cap);
		break;
	case 'v':
		return vpacket(pkt, out, cap, outlen);
	default:
		n = 0;		/* unsupported: the empty reply */
		break;
	}
	*outlen = n;
	return RSP_REPLY;
}
