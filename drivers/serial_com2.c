/*
 * 16550 UART on COM2: the GDB stub's port. Polled both ways with the UART's
 * interrupt off: the stub talks to it with interrupts disabled, from trap
 * context, and bytes that arrive while no one is listening just wait in the
 * FIFO (or are lost when it overflows) without disturbing the kernel.
 */
#include "kernel.h"
#include "arch.h"
#include "kgdb.h"

#define COM2	0x2f8
#define RBR	0	/* receive buffer (read) */
#define THR	0	/* transmit holding (write) */
#define IER	1
#define FCR	2
#define LCR	3
#define MCR	4
#define LSR	5
#define SCR	7	/* scratch: tells a UART from an empty port */
#define LSR_DR		0x01
#define LSR_THRE	0x20

static int com2_read(void)
{
	if (!(inb(COM2 + LSR) & LSR_DR))
		return -1;
	return inb(COM2 + RBR);
}

static void com2_write(uint8_t c)
{
	for (int spin = 0; !(inb(COM2 + LSR) & LSR_THRE) && spin < 100000; spin++)
		cpu_relax();
	outb(COM2 + THR, c);
}

static const struct kgdb_io com2_io = {
	.name = "COM2",
	.read_char = com2_read,
	.write_char = com2_write,
};

static bool com2_present(void)
{
	outb(COM2 + SCR, 0x5a);
	if (inb(COM2 + SCR) != 0x5a)
		return false;
	outb(COM2 + SCR, 0xa5);
	return inb(COM2 + SCR) == 0xa5;
}

static int com2_init(void)
{
	if (!com2_present()) {
		pr_info("serial: no COM2; the GDB stub has no port\n");
		return 0;
	}
	outb(COM2 + IER, 0x00);		/* polled: no interrupts */
	outb(COM2 + LCR, 0x80);		/* DLAB: divisor follows */
	outb(COM2 + 0, 1);		/* 115200 baud */
	outb(COM2 + 1, 0);
	outb(COM2 + LCR, 0x03);		/* 8N1 */
	outb(COM2 + FCR, 0xc7);		/* FIFOs on, cleared, 14-byte trigger */
	outb(COM2 + MCR, 0x03);		/* DTR, RTS; OUT2 off: no IRQ line */
	return kgdb_register_io(&com2_io);
}
INITCALL(com2_init, 4);
