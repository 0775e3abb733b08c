/*
 * 16550 UART registers and what every port here does the same way: 115200
 * 8N1 with FIFOs, and polled transmit. Private to the serial drivers
 * (drivers/serial.c: COM1, the console; drivers/serial_com2.c: COM2, the
 * GDB stub's port). Offsets are from the port's I/O base.
 */
#ifndef KP_UART16550_H
#define KP_UART16550_H

#include "arch.h"

#define UART_RBR	0	/* receive buffer (read) */
#define UART_THR	0	/* transmit holding (write) */
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_SCR	7	/* scratch: tells a UART from an empty port */
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20

/* 115200 8N1, FIFOs on, interrupts off; mcr: the modem control lines. */
static inline void uart_init(uint16_t base, uint8_t mcr)
{
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x80);	/* DLAB: divisor follows */
	outb(base + 0, 1);		/* 115200 baud */
	outb(base + 1, 0);
	outb(base + UART_LCR, 0x03);	/* 8N1 */
	outb(base + UART_FCR, 0xc7);	/* FIFOs on, cleared, 14-byte trigger */
	outb(base + UART_MCR, mcr);
}

/* Polled: waits (briefly, bounded) for room in the transmitter. */
static inline void uart_putc(uint16_t base, uint8_t c)
{
	for (int spin = 0; !(inb(base + UART_LSR) & UART_LSR_THRE) && spin < 100000; spin++)
		cpu_relax();
	outb(base + UART_THR, c);
}

#endif
