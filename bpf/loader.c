/*
 * The ELF loader: a relocatable eBPF object as clang writes it becomes a
 * struct bpf_object of maps and programs. Order of work: check the ELF
 * (elf_open), create the maps (.maps via BTF, legacy maps, global data),
 * then for each function of each program section copy its instructions,
 * append .text if it calls there, resolve relocations, check helpers
 * against the program type and run the structural check. Any refusal frees
 * everything built so far, so a bad object changes nothing.
 */
#include "elf.h"
#include "btf.h"
#include "bpf.h"
#include "lib.h"
#include "kerrno.h"

/* Where a map came from, to resolve relocations against its symbol. */
struct map_origin {
	unsigned int shndx;
	uint64_t off;		/* symbol value in .maps/maps; data maps: unused */
	bool data;		/* a .rodata/.data/.bss array */
};

struct load {
	struct elf_file elf;
	struct bpf_object *obj;
	const char *prefix;
	char *err;
	size_t errlen;
	struct map_origin origins[BPF_OBJ_MAX_MAPS];
	unsigned int text_shndx, btf_shndx;
};

#define BPF_F_RDONLY_PROG	(1u << 7)	/* Linux's: programs may only read */

static int refuse(struct load *l, int e, const char *fmt, const char *arg)
{
	snprintf(l->err, l->errlen, fmt, arg);
	return e;
}

static int make_name(struct load *l, char *dst, const char *name)
{
	/* "prefix.func", "prefix.rodata" */
	int n = l->prefix && *l->prefix ?
		snprintf(dst, BPF_OBJ_NAME_LEN, "%s%s%s", l->prefix, *name == '.' ? "" : ".", name) :
		snprintf(dst, BPF_OBJ_NAME_LEN, "%s", name);

	if (n >= BPF_OBJ_NAME_LEN || !*name)
		return refuse(l, -EINVAL, "name too long or empty: '%s'", name);
	return 0;
}

static int add_map(struct load *l, const struct bpf_map_spec *spec, const struct map_origin *o)
{
	struct bpf_object *obj = l->obj;
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_map_spec s = *spec;
	struct bpf_map *map;
	int err;

	if (obj->nr_maps == BPF_OBJ_MAX_MAPS)
		return refuse(l, -E2BIG, "too many maps%s", "");
	err = make_name(l, name, spec->name);
	if (err)
		return err;
	s.name = name;
	map = bpf_map_create(&s, &err);
	if (!map)
		return refuse(l, err, err == -ENOMEM ? "no memory for map '%s'" :
			      "map '%s': type, sizes or max_entries not supported", spec->name);
	l->origins[obj->nr_maps] = *o;
	obj->maps[obj->nr_maps++] = map;
	return 0;
}

static int load_maps(struct load *l)
{
	const struct elf_file *f = &l->elf;
	unsigned int btf_maps = elf_find_sec(f, ".maps"), legacy = elf_find_sec(f, "maps");

	for (unsigned int i = 0; i < f->nsyms; i++) {
		const struct elf64_sym *sym = &f->syms[i];
		const char *name = elf_sym_name(f, sym);
		struct btf_map_def def;
		struct bpf_map_spec spec;
		int err;

		if (!sym->st_shndx || (sym->st_shndx != btf_maps && sym->st_shndx != legacy) ||
		    ELF_ST_TYPE(sym->st_info) == STT_SECTION)
			continue;
		if (sym->st_shndx == btf_maps) {
			if (!l->btf_shndx)
				return refuse(l, -EINVAL, "map '%s' in .maps but no BTF", name);
			if (!l->obj->btf)
				return refuse(l, -EINVAL, "bad BTF%s", "");
			err = btf_find_map(l->obj->btf, name, &def, l->err, l->errlen);
			if (err == -ENOENT)
				return refuse(l, -EINVAL, "map '%s' has no BTF definition", name);
			if (err)
				return err;
		} else {
			const uint8_t *d = elf_sec_data(f, legacy);

			if (!d || sym->st_value > f->sh[legacy].sh_size ||
			    f->sh[legacy].sh_size - sym->st_value < sizeof(def))
				return refuse(l, -EINVAL, "legacy map '%s' is truncated", name);
			memcpy(&def, d + sym->st_value, sizeof(def));
		}
		spec = (struct bpf_map_spec){ def.type, def.key_size, def.value_size,
					      def.max_entries, def.map_flags, name };
		err = add_map(l, &spec, &(struct map_origin){ sym->st_shndx, sym->st_value, false });
		if (err)
			return err;
		if (def.key_type_id || def.value_type_id) {
			struct bpf_map *m = l->obj->maps[l->obj->nr_maps - 1];

			m->btf = l->obj->btf;
			m->btf_key_type_id = def.key_type_id;
			m->btf_value_type_id = def.value_type_id;
		}
	}
	return 0;
}

static int load_data_maps(struct load *l)
{
	static const char *const secs[] = { ".rodata", ".data", ".bss" };
	const struct elf_file *f = &l->elf;

	for (unsigned int i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		unsigned int sh = elf_find_sec(f, secs[i]);
		struct bpf_map_spec spec = { BPF_MAP_TYPE_ARRAY, 4, 0, 1, 0, secs[i] };
		uint32_t zero = 0;
		struct bpf_map *m;
		int err;

		if (!sh || !f->sh[sh].sh_size)
			continue;
		if (f->sh[sh].sh_size > BPF_DATA_MAX_SIZE)
			return refuse(l, -E2BIG, "section %s is too large", secs[i]);
		spec.value_size = (uint32_t)f->sh[sh].sh_size;
		if (i == 0)
			spec.map_flags = BPF_F_RDONLY_PROG;
		err = add_map(l, &spec, &(struct map_origin){ sh, 0, true });
		if (err)
			return err;
		m = l->obj->maps[l->obj->nr_maps - 1];
		if (f->sh[sh].sh_type != SHT_NOBITS)
			memcpy(m->ops->map_lookup_elem(m, &zero), elf_sec_data(f, sh), spec.value_size);
		/* the value is the section's variables, as bpftool shows global data */
		if (l->obj->btf && (m->btf_value_type_id = btf_find_datasec(l->obj->btf, secs[i])))
			m->btf = l->obj->btf;
	}
	return 0;
}

static int map_for_symbol(struct load *l, const struct elf64_sym *sym)
{
	for (unsigned int i = 0; i < l->obj->nr_maps; i++) {
		const struct map_origin *o = &l->origins[i];

		if (o->shndx == sym->st_shndx && (o->data || o->off == sym->st_value))
			return (int)i;
	}
	return -1;
}

/* One relocation of section sh at instruction idx of the program being built. */
static int relocate(struct load *l, struct bpf_insn *insns, uint32_t n, uint32_t idx,
		    uint32_t text_base, const struct elf64_rel *r)
{
	const struct elf_file *f = &l->elf;
	uint32_t type = ELF_R_TYPE(r->r_info), symi = ELF_R_SYM(r->r_info);
	const struct elf64_sym *sym;
	struct bpf_insn *insn = &insns[idx];
	int m;

	if (symi == 0 || symi >= f->nsyms)
		return refuse(l, -EINVAL, "bad relocation: symbol out of range%s", "");
	sym = &f->syms[symi];
	if (type == R_BPF_64_64) {
		if (insn->code != (BPF_LD | BPF_IMM | BPF_DW) || idx + 1 >= n)
			return refuse(l, -EINVAL, "bad relocation: R_BPF_64_64 not on a lddw (%s)",
				      elf_sym_name(f, sym));
		m = map_for_symbol(l, sym);
		if (m < 0)
			return refuse(l, -EINVAL, "bad relocation: '%s' is not a map or global data",
				      elf_sym_name(f, sym));
		if (l->origins[m].data) {
			uint64_t off = sym->st_value + (uint64_t)(int64_t)insn->imm;

			if (off >= l->obj->maps[m]->value_size)
				return refuse(l, -EINVAL, "bad relocation: offset outside '%s'",
					      elf_sym_name(f, sym));
			insn->src_reg = BPF_PSEUDO_MAP_VALUE;
			insn[1].imm = (int32_t)off;
		} else {
			insn->src_reg = BPF_PSEUDO_MAP_FD;
			insn[1].imm = 0;
		}
		insn->imm = m;
		return 0;
	}
	if (type == R_BPF_64_32) {
		int64_t target;

		if (insn->code != (BPF_JMP | BPF_CALL) || insn->src_reg != BPF_PSEUDO_CALL ||
		    sym->st_shndx != l->text_shndx || !l->text_shndx || sym->st_value % 8)
			return refuse(l, -EINVAL, "bad relocation: R_BPF_64_32 not a call into .text (%s)",
				      elf_sym_name(f, sym));
		target = (int64_t)text_base + (int64_t)(sym->st_value / 8) + insn->imm + 1;
		if (target < text_base || target >= n)
			return refuse(l, -EINVAL, "bad relocation: call outside .text (%s)",
				      elf_sym_name(f, sym));
		insn->imm = (int32_t)(target - idx - 1);
		return 0;
	}
	return refuse(l, -EINVAL, "bad relocation: unsupported type near '%s'", elf_sym_name(f, sym));
}

/*
 * Relocations of section sh whose instruction lies in [first, first + count),
 * that range being copied to base in insns and .text to text_at.
 */
static int apply_relocs(struct load *l, unsigned int sh, uint32_t first, uint32_t count,
			uint32_t base, uint32_t text_at, struct bpf_insn *insns, uint32_t n)
{
	const struct elf_file *f = &l->elf;

	for (unsigned int s = 1; s < f->shnum; s++) {
		const struct elf64_shdr *rs = &f->sh[s];
		const uint8_t *d = elf_sec_data(f, s);

		if (rs->sh_type != SHT_REL || rs->sh_info != sh)
			continue;
		if (rs->sh_size % sizeof(struct elf64_rel))
			return refuse(l, -EINVAL, "bad relocation section %s", elf_sec_name(f, s));
		for (uint64_t o = 0; o < rs->sh_size; o += sizeof(struct elf64_rel)) {
			struct elf64_rel r;
			uint64_t at;
			int err;

			memcpy(&r, d + o, sizeof(r));
			if (r.r_offset % 8 || r.r_offset >= f->sh[sh].sh_size)
				return refuse(l, -EINVAL, "bad relocation offset in %s", elf_sec_name(f, s));
			at = r.r_offset / 8;
			if (at < first || at >= first + count)
				continue;
			err = relocate(l, insns, n, (uint32_t)(at - first + base), text_at, &r);
			if (err)
				return err;
		}
	}
	return 0;
}

static bool calls_text(struct load *l, unsigned int sh, uint32_t first, uint32_t count)
{
	const struct elf_file *f = &l->elf;

	for (unsigned int s = 1; s < f->shnum; s++) {
		const struct elf64_shdr *rs = &f->sh[s];
		const uint8_t *d = elf_sec_data(f, s);

		if (rs->sh_type != SHT_REL || rs->sh_info != sh || rs->sh_size % sizeof(struct elf64_rel))
			continue;
		for (uint64_t o = 0; o < rs->sh_size; o += sizeof(struct elf64_rel)) {
			struct elf64_rel r;

			memcpy(&r, d + o, sizeof(r));
			if (ELF_R_TYPE(r.r_info) == R_BPF_64_32 && r.r_offset / 8 >= first &&
			    r.r_offset / 8 < first + count)
				return true;
		}
	}
	return false;
}

static int check_helpers(struct load *l, const struct bpf_prog *prog)
{
	for (uint32_t i = 0; i < prog->len; i++) {
		const struct bpf_insn *in = &prog->insnsi[i];
		const struct bpf_helper_info *h;
		char why[96];

		if (in->code == (BPF_JMP | BPF_CALL | BPF_X)) {
			snprintf(l->err, l->errlen, "program '%s': insn %u: callx is not supported",
				 prog->name, i);
			return -EINVAL;
		}
		if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg)
			continue;
		h = bpf_helper_info((uint32_t)in->imm);
		if (!h)
			snprintf(why, sizeof(why), "insn %u: unknown helper %d", i, in->imm);
		else if (!(h->prog_types & BPF_PROG_MASK(prog->type)))
			snprintf(why, sizeof(why), "insn %u: helper %s is not available to %s programs",
				 i, h->name, bpf_prog_type_name(prog->type));
		else
			continue;
		snprintf(l->err, l->errlen, "program '%s': %s", prog->name, why);
		return -EINVAL;
	}
	return 0;
}

static int section_type(const char *sec, enum bpf_prog_type *type)
{
	if (!strcmp(sec, "xdp") || !strncmp(sec, "xdp/", 4))
		*type = BPF_PROG_TYPE_XDP;
	else if ((!strncmp(sec, "kprobe/", 7) && sec[7]) || (!strncmp(sec, "kretprobe/", 10) && sec[10]))
		*type = BPF_PROG_TYPE_KPROBE;
	else
		return -EINVAL;
	return 0;
}

static int add_prog(struct load *l, unsigned int sh, const struct elf64_sym *sym,
		    enum bpf_prog_type type)
{
	const struct elf_file *f = &l->elf;
	const char *name = elf_sym_name(f, sym);
	uint64_t secsize = f->sh[sh].sh_size, tsize = l->text_shndx ? f->sh[l->text_shndx].sh_size : 0;
	uint32_t first = (uint32_t)(sym->st_value / 8), count = (uint32_t)(sym->st_size / 8), n;
	bool text;
	struct bpf_prog *prog;
	char log[128];
	int err;

	if (sym->st_value % 8 || sym->st_size % 8 || !sym->st_size || sym->st_value > secsize ||
	    sym->st_size > secsize - sym->st_value)
		return refuse(l, -EINVAL, "function '%s' lies outside its section", name);
	if (l->obj->nr_progs == BPF_OBJ_MAX_PROGS)
		return refuse(l, -E2BIG, "too many programs%s", "");
	text = calls_text(l, sh, first, count);
	n = count + (text ? (uint32_t)(tsize / 8) : 0);
	if (n > BPF_MAXINSNS)
		return refuse(l, -E2BIG, "program '%s' is too large", name);
	prog = bpf_zalloc(sizeof(*prog));
	if (!prog || !(prog->insnsi = bpf_zalloc((size_t)n * sizeof(struct bpf_insn)))) {
		bpf_free(prog);
		return refuse(l, -ENOMEM, "no memory for program '%s'", name);
	}
	l->obj->progs[l->obj->nr_progs++] = prog;
	prog->type = type;
	prog->len = n;
	prog->maps = l->obj->maps;
	prog->nr_maps = l->obj->nr_maps;
	prog->helpers = bpf_helper_table();
	prog->nr_helpers = BPF_MAX_HELPERS;
	snprintf(prog->section, sizeof(prog->section), "%s", elf_sec_name(f, sh));
	err = make_name(l, prog->name, name);
	if (err)
		return err;
	memcpy(prog->insnsi, (const uint8_t *)elf_sec_data(f, sh) + sym->st_value, sym->st_size);
	if (text)
		memcpy(prog->insnsi + count, elf_sec_data(f, l->text_shndx), tsize);
	for (uint32_t i = 0; i < n; i++)
		if (prog->insnsi[i].code == (BPF_LD | BPF_IMM | BPF_DW) && prog->insnsi[i].src_reg)
			return refuse(l, -EINVAL, "program '%s': lddw with a pseudo source", name);
	err = apply_relocs(l, sh, first, count, 0, count, prog->insnsi, n);
	if (!err && text)
		err = apply_relocs(l, l->text_shndx, 0, (uint32_t)(tsize / 8), count, count,
				  prog->insnsi, n);
	if (!err)
		err = check_helpers(l, prog);
	if (err)
		return err;
	err = bpf_check_basic(prog, log, sizeof(log));
	if (err) {
		snprintf(l->err, l->errlen, "program '%s': %s", name, log);
		return err;
	}
	return 0;
}

static int load_progs(struct load *l)
{
	const struct elf_file *f = &l->elf;

	for (unsigned int sh = 1; sh < f->shnum; sh++) {
		const char *sec = elf_sec_name(f, sh);
		enum bpf_prog_type type;
		int err;

		if (f->sh[sh].sh_type != SHT_PROGBITS || !(f->sh[sh].sh_flags & SHF_EXECINSTR) ||
		    sh == l->text_shndx || !f->sh[sh].sh_size)
			continue;
		if (section_type(sec, &type))
			return refuse(l, -EINVAL, "unsupported program section '%s'", sec);
		if (f->sh[sh].sh_size > (uint64_t)BPF_MAXINSNS * 8)
			return refuse(l, -E2BIG, "section %s is too large", sec);
		for (unsigned int i = 0; i < f->nsyms; i++) {
			const struct elf64_sym *sym = &f->syms[i];

			if (sym->st_shndx != sh || ELF_ST_TYPE(sym->st_info) != STT_FUNC ||
			    ELF_ST_BIND(sym->st_info) != STB_GLOBAL)
				continue;
			err = add_prog(l, sh, sym, type);
			if (err)
				return err;
		}
	}
	if (!l->obj->nr_progs)
		return refuse(l, -ENOENT, "no programs in the object%s", "");
	return 0;
}

static void read_license(struct load *l)
{
	static const char *const gpl[] = { "GPL", "GPL v2", "GPL and additional rights",
					   "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL" };
	unsigned int sh = elf_find_sec(&l->elf, "license");
	const char *d = sh ? elf_sec_data(&l->elf, sh) : NULL;
	size_t n = d ? l->elf.sh[sh].sh_size : 0;

	if (n >= sizeof(l->obj->license))
		n = sizeof(l->obj->license) - 1;
	memcpy(l->obj->license, d ? d : "", n);
	l->obj->license[n] = '\0';
	for (uint32_t p = 0; p < l->obj->nr_progs; p++)
		for (size_t i = 0; i < sizeof(gpl) / sizeof(gpl[0]); i++)
			if (!strcmp(l->obj->license, gpl[i]))
				l->obj->progs[p]->gpl_compatible = true;
}

int bpf_object_load(const void *data, size_t size, const char *prefix, struct bpf_object **out,
		    char *err, size_t errlen)
{
	struct load l = { .prefix = prefix, .err = err, .errlen = errlen };
	int e;

	err[0] = '\0';
	if (size > BPF_OBJ_MAX_SIZE)
		return refuse(&l, -E2BIG, "object too large%s", "");
	e = elf_open(&l.elf, data, size, err, errlen);
	if (e)
		return e;
	l.text_shndx = elf_find_sec(&l.elf, ".text");
	l.btf_shndx = elf_find_sec(&l.elf, ".BTF");
	l.obj = bpf_zalloc(sizeof(*l.obj));
	if (l.obj) {
		l.obj->maps = bpf_zalloc(BPF_OBJ_MAX_MAPS * sizeof(*l.obj->maps));
		l.obj->progs = bpf_zalloc(BPF_OBJ_MAX_PROGS * sizeof(*l.obj->progs));
	}
	if (!l.obj || !l.obj->maps || !l.obj->progs)
		e = refuse(&l, -ENOMEM, "no memory%s", "");
	/* a malformed .BTF only matters to an object with BTF-defined maps */
	if (!e && l.btf_shndx && elf_sec_data(&l.elf, l.btf_shndx))
		l.obj->btf = btf_load(elf_sec_data(&l.elf, l.btf_shndx),
				      l.elf.sh[l.btf_shndx].sh_size);
	if (!e)
		e = load_maps(&l);
	if (!e)
		e = load_data_maps(&l);
	if (!e)
		e = load_progs(&l);
	if (e) {
		bpf_object_free(l.obj);
		return e;
	}
	read_license(&l);
	*out = l.obj;
	return 0;
}

void bpf_object_free(struct bpf_object *obj)
{
	if (!obj)
		return;
	for (uint32_t i = 0; obj->progs && i < obj->nr_progs; i++) {
		bpf_free(obj->progs[i]->insnsi);
		bpf_free(obj->progs[i]);
	}
	for (uint32_t i = 0; obj->maps && i < obj->nr_maps; i++)
		bpf_map_free(obj->maps[i]);
	btf_free(obj->btf);
	bpf_free(obj->progs);
	bpf_free(obj->maps);
	bpf_free(obj);
}

const char *bpf_prog_type_name(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return "xdp";
	case BPF_PROG_TYPE_KPROBE:
		return "kprobe";
	default:
		return NULL;
	}
}
