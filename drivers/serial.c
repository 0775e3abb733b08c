/*
 * 16550 UART on COM1: the console. Output is polled (a console must work
 * from an oops with interrupts off); input arrives by interrupt (IRQ 4) and
 * is handed byte by byte to the shell.
 */
#include "kernel.h"
#include "arch.h"
#include "uart16550.h"

#define COM1	0x3f8

static void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(COM1, '\r');
		uart_putc(COM1, s[i]);
	}
}

static void serial_irq(void *data)
{
	(void)data;
	while (inb(COM1 + UART_LSR) & UART_LSR_DR)
		console_rx(inb(COM1 + UART_RBR));
}

static int serial_early_init(void)
{
	uart_init(COM1, 0x0b);		/* DTR, RTS, OUT2 (gates the IRQ line) */
	console_set_output(serial_write);
	return 0;
}
INITCALL(serial_early_init, 0);

static int serial_irq_init(void)
{
	int err = irq_request(4, serial_irq, NULL);

	if (err)
		return err;
	irq_set_name(4, "com1");
	outb(COM1 + UART_IER, 0x01);	/* received data available */
	serial_irq(NULL);		/* anything typed during boot */
	return 0;
}
INITCALL(serial_irq_init, 2);
