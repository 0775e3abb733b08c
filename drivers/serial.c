/*
 * 16550 UART on COM1: the console. Output is polled (a console must work
 * from an oops with interrupts off); input arrives by interrupt (IRQ 4) and
 * is handed byte by byte to the shell.
 */
#include "kernel.h"
#include "arch.h"

#define COM1	0x3f8
#define RBR	0	/* receive buffer (read) */
#define THR	0	/* transmit holding (write) */
#define IER	1
#define FCR	2
#define LCR	3
#define MCR	4
#define LSR	5
#define LSR_DR		0x01
#define LSR_THRE	0x20

static void serial_putc(char c)
{
	for (int spin = 0; !(inb(COM1 + LSR) & LSR_THRE) && spin < 100000; spin++)
		cpu_relax();
	outb(COM1 + THR, c);
}

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

static void serial_irq(void *data)
{
	(void)data;
	while (inb(COM1 + LSR) & LSR_DR)
		console_rx(inb(COM1 + RBR));
}

static int serial_early_init(void)
{
	outb(COM1 + IER, 0x00);
	outb(COM1 + LCR, 0x80);		/* DLAB: divisor follows */
	outb(COM1 + 0, 1);		/* 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + LCR, 0x03);		/* 8N1 */
	outb(COM1 + FCR, 0xc7);		/* FIFOs on, cleared, 14-byte trigger */
	outb(COM1 + MCR, 0x0b);		/* DTR, RTS, OUT2 (gates the IRQ line) */
	console_set_output(serial_write);
	return 0;
}
INITCALL(serial_early_init, 0);

static int serial_irq_init(void)
{
	int err = irq_request(4, serial_irq, NULL);

	if (err)
		return err;
	outb(COM1 + IER, 0x01);		/* received data available */
	serial_irq(NULL);		/* anything typed during boot */
	return 0;
}
INITCALL(serial_irq_init, 2);
