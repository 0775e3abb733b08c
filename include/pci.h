/*
 * PCI (drivers/pci.c): configuration space through mechanism #1 (ports
 * 0xCF8/0xCFC), a table of the functions found at boot with their BARs
 * sized, and the few calls a driver needs to claim a device.
 */
#ifndef KP_PCI_H
#define KP_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4
#define PCI_COMMAND_INTX_DISABLE 0x400

#define PCI_CLASS_NETWORK	0x02

#define PCI_NUM_BARS		6

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	uint64_t addr;
	uint64_t size;
	enum pci_bar_type type;
	bool prefetch;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class;		/* base << 16 | sub << 8 | prog-if */
	uint8_t revision, header_type;
	uint8_t irq_line, irq_pin;	/* pin 0: no interrupt */
	struct pci_bar bar[PCI_NUM_BARS];
	bool claimed;		/* a driver owns it */
};

uint8_t pci_read8(const struct pci_dev *d, unsigned int off);
uint16_t pci_read16(const struct pci_dev *d, unsigned int off);
uint32_t pci_read32(const struct pci_dev *d, unsigned int off);
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v);
void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v);

/* Functions found at boot, in bus/device/function order. */
unsigned int pci_count(void);
struct pci_dev *pci_get(unsigned int i);

/* Turn on memory (and I/O) decoding for the BARs it has. */
void pci_enable_device(struct pci_dev *d);
/* Let the device master the bus (DMA). */
void pci_set_master(struct pci_dev *d);
/* Map a memory BAR uncached; NULL if it is not a memory BAR. */
void *pci_iomap(struct pci_dev *d, int bar);

/* "Ethernet controller" and such, for messages; never NULL. */
const char *pci_class_name(uint32_t class);

#endif
