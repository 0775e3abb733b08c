/*
 * Just enough ACPI: from the RSDP (handed over by the multiboot2 loader) find
 * the MADT for the processors (their local APIC ids), the IOAPICs and the ISA
 * interrupt overrides, and the FADT for power off (PM1a control + the \_S5
 * sleep type) and reset.
 */
#include "arch.h"
#include "kernel.h"

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct rsdp {
	char sig[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
} __attribute__((packed));

uint64_t acpi_ioapic_phys = 0xfec00000;	/* the PC default if no MADT */
uint32_t acpi_cpu_apic_ids[MAX_CPUS];
unsigned int acpi_ncpus;
struct acpi_ioapic acpi_ioapics[MAX_IOAPICS];
unsigned int acpi_nioapics;
static unsigned int cpus_ignored;
static uint8_t isa_gsi[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static uint16_t isa_flags[16];	/* MPS INTI flags: polarity bits 0-1, trigger 2-3 */
static uint16_t pm1a_cnt, slp_typa;
static bool s5_found;
static uint8_t reset_reg_space, reset_value;
static uint64_t reset_reg_addr;

unsigned int acpi_isa_irq_to_gsi(unsigned int isa_irq, bool *level, bool *low)
{
	/* ISA default: edge, active high; an override may say otherwise */
	*level = isa_irq < 16 && (isa_flags[isa_irq] & 0xc) == 0xc;
	*low = isa_irq < 16 && (isa_flags[isa_irq] & 0x3) == 0x3;
	return isa_irq < 16 ? isa_gsi[isa_irq] : isa_irq;
}

static void parse_madt(const struct sdt_header *h)
{
	const uint8_t *p = (const uint8_t *)h + sizeof(*h) + 8, *end = (const uint8_t *)h + h->length;

	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] == 0) {	/* processor local APIC */
			/* enabled (bit 0); "online capable" ones (bit 1) are hot-plug slots */
			if (!(*(const uint32_t *)(p + 4) & 1))
				continue;
			if (acpi_ncpus < MAX_CPUS)
				acpi_cpu_apic_ids[acpi_ncpus++] = p[3];
			else
				cpus_ignored++;
		} else if (p[0] == 1) {	/* I/O APIC */
			if (acpi_nioapics < MAX_IOAPICS) {
				struct acpi_ioapic *io = &acpi_ioapics[acpi_nioapics++];

				io->id = p[2];
				io->phys = *(const uint32_t *)(p + 4);
				io->gsi_base = *(const uint32_t *)(p + 8);
			}
			if (acpi_nioapics == 1)
				acpi_ioapic_phys = *(const uint32_t *)(p + 4);
		} else if (p[0] == 2) {	/* interrupt source override */
			if (p[3] < 16) {
				isa_gsi[p[3]] = (uint8_t)*(const uint32_t *)(p + 4);
				isa_flags[p[3]] = *(const uint16_t *)(p + 8);
			}
		}
	}
}

/*
 * \_S5's sleep type lives in AML. Rather than an interpreter, find the
 * package "_S5_" names and read its first integer, as small kernels do.
 */
static void find_s5(const struct sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt + sizeof(*dsdt);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)	/* PackageOp */
			continue;
		p += 5;
		p += ((*p & 0xc0) >> 6) + 2;	/* PkgLength, then NumElements */
		if (*p == 0x0a)			/* BytePrefix */
			p++;
		slp_typa = *p << 10;
		s5_found = true;
		return;
	}
}

static void parse_fadt(const struct sdt_header *h)
{
	const uint8_t *f = (const uint8_t *)h;
	uint64_t dsdt = *(const uint32_t *)(f + 40);

	pm1a_cnt = *(const uint32_t *)(f + 64);
	if (h->length >= 129) {	/* ACPI 2+: RESET_REG (GAS) and RESET_VALUE */
		reset_reg_space = f[116];
		reset_reg_addr = *(const uint64_t *)(f + 120);
		reset_value = f[128];
	}
	if (h->length >= 148 && *(const uint64_t *)(f + 140))
		dsdt = *(const uint64_t *)(f + 140);
	if (dsdt)
		find_s5(phys_to_virt(dsdt));
}

/* No RSDP from the loader (multiboot 1): search the BIOS areas, as ACPI allows. */
static uint64_t find_rsdp(void)
{
	uint64_t ebda = (uint64_t)*(const uint16_t *)phys_to_virt(0x40e) << 4;
	const uint64_t ranges[2][2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };

	for (int r = 0; r < 2; r++)
		for (uint64_t pa = ranges[r][0]; pa && pa < ranges[r][1]; pa += 16)
			if (!memcmp(phys_to_virt(pa), "RSD PTR ", 8))
				return pa;
	return 0;
}

void acpi_init(uint64_t rsdp_phys)
{
	const struct rsdp *r;
	const struct sdt_header *root;
	bool x;
	unsigned int n;

	if (!rsdp_phys)
		rsdp_phys = find_rsdp();
	if (!rsdp_phys) {
		pr_warn("acpi: no RSDP; using PC defaults\n");
		return;
	}
	r = phys_to_virt(rsdp_phys);
	x = r->revision >= 2 && r->xsdt;
	root = phys_to_virt(x ? r->xsdt : r->rsdt);
	n = (root->length - sizeof(*root)) / (x ? 8 : 4);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *ents = (const uint8_t *)root + sizeof(*root);
		uint64_t pa = x ? *(const uint64_t *)(ents + 8 * i) : *(const uint32_t *)(ents + 4 * i);
		const struct sdt_header *h = phys_to_virt(pa);

		if (!memcmp(h->sig, "APIC", 4))
			parse_madt(h);
		else if (!memcmp(h->sig, "FACP", 4))
			parse_fadt(h);
	}
	pr_info("acpi: %u cpus, %u ioapic (first at %#lx), timer irq -> gsi %u, poweroff %s\n",
		acpi_ncpus, acpi_nioapics, acpi_ioapic_phys, isa_gsi[0],
		s5_found ? "via PM1a" : "unavailable");
	if (cpus_ignored)
		pr_warn("acpi: %u more cpus than MAX_CPUS (%u) ignored\n", cpus_ignored, MAX_CPUS);
}

void acpi_poweroff(void)
{
	if (s5_found && pm1a_cnt)
		outw(pm1a_cnt, slp_typa | (1 << 13));	/* SLP_TYP | SLP_EN */
}

void acpi_reboot(void)
{
	if (reset_reg_space == 1 && reset_reg_addr)	/* system I/O space */
		outb(reset_reg_addr, reset_value);
}
