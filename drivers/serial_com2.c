/*
 * 16550 UART on COM2: the GDB stub's port. Polled both ways with the UART's
 * interrupt off: the stub talks to it with interrupts disabled, from trap
 * context, and bytes that arrive while no one is listening just wait in the
 * FIFO (or are lost when it overflows) without disturbing the kernel.
 */
#include "kernel.h"
#include "arch.h"
#include "uart16550.h"

#define COM2	0x2f8

static int com2_read(void)
{
	if (!(inb(COM2 + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(COM2 + UART_RBR);
}

static void com2_write(uint8_t c)
{
	uart_putc(COM2, c);
}

static const struct debug_port com2_io = {
	.name = "COM2",
	.read_char = com2_read,
	.write_char = com2_write,
};

static bool com2_present(void)
{
	outb(COM2 + UART_SCR, 0x5a);
	if (inb(COM2 + UART_SCR) != 0x5a)
		return false;
	outb(COM2 + UART_SCR, 0xa5);
	return inb(COM2 + UART_SCR) == 0xa5;
}

static int com2_init(void)
{
	if (!com2_present()) {
		pr_info("serial: no COM2; the GDB stub has no port\n");
		return 0;
	}
	uart_init(COM2, 0x03);		/* polled: DTR, RTS; OUT2 off: no IRQ line */
	return debug_port_register(&com2_io);
}
INITCALL(com2_init, 4);
