/*
 * PCI enumeration through configuration mechanism #1: write the address of a
 * dword (bus, device, function, register) to 0xCF8, move the data through
 * 0xCFC. At boot every bus/device/function is probed once; what answers is
 * kept in a table, BARs sized, so drivers and `lspci` read the table rather
 * than the hardware.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "pci.h"

#define CONFIG_ADDRESS	0xcf8
#define CONFIG_DATA	0xcfc
#define MAX_PCI_DEVS	64

static struct pci_dev devs[MAX_PCI_DEVS];
static unsigned int ndevs;
static bool table_full;

static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, unsigned int off)
{
	return 1U << 31 | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
	       (uint32_t)fn << 8 | (off & 0xfc);
}

/*
 * Address and data are two port accesses: the pair must not be split by an
 * interrupt handler that touches configuration space too.
 */
static uint32_t cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, unsigned int off)
{
	uint64_t flags = local_irq_save();
	uint32_t v;

	outl(CONFIG_ADDRESS, cfg_addr(bus, dev, fn, off));
	v = inl(CONFIG_DATA);
	local_irq_restore(flags);
	return v;
}

static void cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, unsigned int off, uint32_t v)
{
	uint64_t flags = local_irq_save();

	outl(CONFIG_ADDRESS, cfg_addr(bus, dev, fn, off));
	outl(CONFIG_DATA, v);
	local_irq_restore(flags);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned int off)
{
	return cfg_read(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned int off)
{
	return pci_read32(d, off) >> ((off & 2) * 8);
}

uint8_t pci_read8(const struct pci_dev *d, unsigned int off)
{
	return pci_read32(d, off) >> ((off & 3) * 8);
}

void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v)
{
	cfg_write(d->bus, d->dev, d->fn, off, v);
}

/* Read-modify-write of the containing dword (PCI_STATUS bits are RW1C: keep them 0). */
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v)
{
	unsigned int shift = (off & 2) * 8;
	uint32_t old = pci_read32(d, off);

	if ((off & ~3U) == PCI_COMMAND)
		old &= 0x0000ffff;	/* never write back status bits */
	old &= ~(0xffffU << shift);
	pci_write32(d, off, old | (uint32_t)v << shift);
}

/*
 * Size a BAR the standard way: write all ones, read back which address bits
 * stick, restore. Decoding is off meanwhile so the device never answers at
 * the temporary all-ones address. Returns how many BAR slots it used.
 */
static int size_bar(struct pci_dev *d, int i)
{
	unsigned int off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(d, off), mask, hi = 0, hmask = 0xffffffff;
	struct pci_bar *b = &d->bar[i];

	pci_write32(d, off, 0xffffffff);
	mask = pci_read32(d, off);
	pci_write32(d, off, lo);
	if (!mask || mask == 0xffffffff)
		return 1;
	if (lo & 1) {
		b->type = PCI_BAR_IO;
		b->addr = lo & ~3U;
		b->size = (~(mask & ~3U) + 1) & 0xffff;
		return 1;
	}
	b->prefetch = lo & 8;
	b->addr = lo & ~0xfU;
	if (((lo >> 1) & 3) == 2 && i < PCI_NUM_BARS - 1) {
		b->type = PCI_BAR_MEM64;
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffff);
		hmask = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
		b->addr |= (uint64_t)hi << 32;
		b->size = ~(((uint64_t)hmask << 32) | (mask & ~0xfU)) + 1;
		return 2;
	}
	b->type = PCI_BAR_MEM32;
	b->size = (uint32_t)(~(mask & ~0xfU) + 1);
	return 1;
}

static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	struct pci_dev *d;
	uint32_t cls;
	uint16_t cmd;

	if (ndevs == MAX_PCI_DEVS) {
		table_full = true;
		return;
	}
	d = &devs[ndevs++];
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	cls = cfg_read(bus, dev, fn, 0x08);
	d->revision = cls & 0xff;
	d->class = cls >> 8;
	d->header_type = (cfg_read(bus, dev, fn, 0x0c) >> 16) & 0x7f;
	d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
	if (d->header_type != 0)
		return;		/* bridges: their BARs are not ours to use */
	cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (int i = 0; i < PCI_NUM_BARS;)
		i += size_bar(d, i);
	pci_write16(d, PCI_COMMAND, cmd);
}

/*
 * Probe every bus rather than follow bridges: 256 x 32 reads of a vendor
 * ID is cheap, and it finds devices behind bridges firmware numbered oddly.
 */
static int pci_init(void)
{
	unsigned int buses = 0;

	for (unsigned int bus = 0; bus < 256; bus++) {
		bool any = false;

		for (uint8_t dev = 0; dev < 32; dev++) {
			uint32_t id = cfg_read(bus, dev, 0, 0);
			uint8_t nfn;

			if ((id & 0xffff) == 0xffff)
				continue;
			any = true;
			/* header type bit 7: a multi-function device */
			nfn = (cfg_read(bus, dev, 0, 0x0c) >> 16) & 0x80 ? 8 : 1;
			for (uint8_t fn = 0; fn < nfn; fn++) {
				if (fn)
					id = cfg_read(bus, dev, fn, 0);
				if ((id & 0xffff) != 0xffff)
					add_function(bus, dev, fn, id);
			}
		}
		buses += any;
	}
	pr_info("pci: %u functions on %u bus%s%s\n", ndevs, buses, buses == 1 ? "" : "es",
		table_full ? " (table full: some not listed)" : "");
	return 0;
}
INITCALL(pci_init, 3);

unsigned int pci_count(void)
{
	return ndevs;
}

struct pci_dev *pci_get(unsigned int i)
{
	return i < ndevs ? &devs[i] : NULL;
}

void pci_enable_device(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		if (d->bar[i].type == PCI_BAR_IO)
			cmd |= PCI_COMMAND_IO;
		else if (d->bar[i].type != PCI_BAR_NONE)
			cmd |= PCI_COMMAND_MEMORY;
	}
	/* we take interrupts as INTx through the IOAPIC */
	cmd &= ~PCI_COMMAND_INTX_DISABLE;
	pci_write16(d, PCI_COMMAND, cmd);
	d->claimed = true;
}

void pci_set_master(struct pci_dev *d)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_MASTER);
}

void *pci_iomap(struct pci_dev *d, int bar)
{
	struct pci_bar *b;

	if (bar < 0 || bar >= PCI_NUM_BARS)
		return NULL;
	b = &d->bar[bar];
	if ((b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64) || !b->size || !b->addr)
		return NULL;
	return ioremap(b->addr, b->size);
}

const char *pci_class_name(uint32_t class)
{
	static const struct {
		uint16_t cls;	/* base << 8 | sub */
		const char *name;
	} names[] = {
		{ 0x0100, "SCSI controller" }, { 0x0101, "IDE controller" },
		{ 0x0106, "SATA controller" }, { 0x0108, "NVMe controller" },
		{ 0x0200, "Ethernet controller" }, { 0x0280, "Network controller" },
		{ 0x0300, "VGA controller" }, { 0x0380, "Display controller" },
		{ 0x0401, "Audio device" }, { 0x0403, "Audio device" },
		{ 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" },
		{ 0x0604, "PCI bridge" }, { 0x0680, "Bridge" },
		{ 0x0700, "Serial controller" }, { 0x0c03, "USB controller" },
		{ 0x0c05, "SMBus" }, { 0x00ff, "Unclassified" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].cls == class >> 8)
			return names[i].name;
	switch (class >> 16) {
	case 0x01: return "Storage controller";
	case 0x02: return "Network controller";
	case 0x03: return "Display controller";
	case 0x06: return "Bridge";
	case 0x0c: return "Serial bus controller";
	}
	return "Device";
}

static void print_size(char *buf, size_t n, uint64_t size)
{
	if (size >= (1 << 20) && !(size & ((1 << 20) - 1)))
		snprintf(buf, n, "%luM", size >> 20);
	else if (size >= 1024 && !(size & 1023))
		snprintf(buf, n, "%luK", size >> 10);
	else
		snprintf(buf, n, "%lu", size);
}

static int cmd_lspci(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_error("lspci takes no arguments");
	if (!ndevs)
		cprintf("no PCI devices\n");
	for (unsigned int i = 0; i < ndevs; i++) {
		struct pci_dev *d = &devs[i];
		char line[320];
		int n;

		n = snprintf(line, sizeof(line), "%02x:%02x.%x %04x:%04x class %06x %s",
			     d->bus, d->dev, d->fn, d->vendor, d->device, d->class,
			     pci_class_name(d->class));
		if (d->irq_pin)
			n += snprintf(line + n, sizeof(line) - n, " irq %u (INT%c)",
				      d->irq_line, 'A' + d->irq_pin - 1);
		for (int b = 0; b < PCI_NUM_BARS && n < (int)sizeof(line); b++) {
			const struct pci_bar *bar = &d->bar[b];
			char sz[16];

			if (bar->type == PCI_BAR_NONE)
				continue;
			print_size(sz, sizeof(sz), bar->size);
			n += snprintf(line + n, sizeof(line) - n, " bar%d=%s:%#lx/%s", b,
				      bar->type == PCI_BAR_IO ? "io" :
				      bar->type == PCI_BAR_MEM64 ? "mem64" : "mem32",
				      bar->addr, sz);
		}
		cprintf("%s%s\n", line, d->claimed ? " [driver]" : "");
	}
	return 0;
}
CONSOLE_CMD(lspci, cmd_lspci, "lspci",
	    "list PCI functions: bus:dev.fn vendor:device class, IRQ, BARs");
