/*
 * Intel 8254x (e1000) registers and descriptors used by drivers/net/e1000.c,
 * from the PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual (8254x SDM), chapter 13 (registers) and 3 (descriptors).
 * Offsets are byte offsets into BAR0.
 */
#ifndef KP_E1000_HW_H
#define KP_E1000_HW_H

#include <stdint.h>

#define E1000_VENDOR_INTEL	0x8086
#define E1000_DEV_82540EM	0x100e	/* QEMU's default -device e1000 */
#define E1000_DEV_82545EM	0x100f	/* QEMU's e1000-82545em */

/* ---- general ---- */
#define E1000_CTRL	0x0000
#define E1000_STATUS	0x0008
#define E1000_EERD	0x0014
#define E1000_ICR	0x00c0	/* read clears */
#define E1000_ITR	0x00c4	/* interrupt throttling, 256 ns units */
#define E1000_ICS	0x00c8
#define E1000_IMS	0x00d0
#define E1000_IMC	0x00d8

#define E1000_CTRL_FD		(1U << 0)
#define E1000_CTRL_LRST		(1U << 3)
#define E1000_CTRL_ASDE		(1U << 5)
#define E1000_CTRL_SLU		(1U << 6)	/* set link up */
#define E1000_CTRL_ILOS		(1U << 7)
#define E1000_CTRL_RST		(1U << 26)	/* device reset, self-clearing */
#define E1000_CTRL_VME		(1U << 30)
#define E1000_CTRL_PHY_RST	(1U << 31)

#define E1000_STATUS_FD		(1U << 0)
#define E1000_STATUS_LU		(1U << 1)
#define E1000_STATUS_SPEED_SHIFT 6		/* 00 10, 01 100, 1x 1000 Mb/s */

/* EERD on the 82540/82545: start bit 0, done bit 4, word address 15:8 */
#define E1000_EERD_START	(1U << 0)
#define E1000_EERD_DONE		(1U << 4)
#define E1000_EERD_ADDR_SHIFT	8
#define E1000_EERD_DATA_SHIFT	16

/* interrupt causes (ICR, ICS, IMS, IMC) */
#define E1000_ICR_TXDW		(1U << 0)	/* transmit descriptor written back */
#define E1000_ICR_TXQE		(1U << 1)
#define E1000_ICR_LSC		(1U << 2)	/* link status change */
#define E1000_ICR_RXSEQ		(1U << 3)
#define E1000_ICR_RXDMT0	(1U << 4)	/* receive ring below threshold */
#define E1000_ICR_RXO		(1U << 6)	/* receiver overrun */
#define E1000_ICR_RXT0		(1U << 7)	/* receiver timer: frames arrived */

/* ---- receive ---- */
#define E1000_RCTL	0x0100
#define E1000_RDTR	0x2820
#define E1000_RADV	0x282c
#define E1000_RDBAL	0x2800
#define E1000_RDBAH	0x2804
#define E1000_RDLEN	0x2808
#define E1000_RDH	0x2810
#define E1000_RDT	0x2818
#define E1000_MTA	0x5200	/* 128 dwords */
#define E1000_RAL0	0x5400
#define E1000_RAH0	0x5404
#define E1000_RAH_AV	(1U << 31)

#define E1000_RCTL_EN		(1U << 1)
#define E1000_RCTL_SBP		(1U << 2)
#define E1000_RCTL_UPE		(1U << 3)
#define E1000_RCTL_MPE		(1U << 4)
#define E1000_RCTL_LPE		(1U << 5)
#define E1000_RCTL_BAM		(1U << 15)	/* accept broadcast */
#define E1000_RCTL_SZ_2048	(0U << 16)	/* with BSEX clear */
#define E1000_RCTL_SECRC	(1U << 26)	/* strip the CRC: lengths exclude it */

struct e1000_rx_desc {
	uint64_t addr;
	uint16_t length;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
} __attribute__((packed));

#define E1000_RXD_STAT_DD	(1U << 0)	/* descriptor done */
#define E1000_RXD_STAT_EOP	(1U << 1)	/* end of packet */
/* layer-2 errors: CRC/alignment, symbol, sequence, carrier extension, RX data */
#define E1000_RXD_ERR_FRAME	0x97

/* ---- transmit ---- */
#define E1000_TCTL	0x0400
#define E1000_TIPG	0x0410
#define E1000_TDBAL	0x3800
#define E1000_TDBAH	0x3804
#define E1000_TDLEN	0x3808
#define E1000_TDH	0x3810
#define E1000_TDT	0x3818
#define E1000_TIDV	0x3820

#define E1000_TCTL_EN		(1U << 1)
#define E1000_TCTL_PSP		(1U << 3)	/* pad short packets */
#define E1000_TCTL_CT_SHIFT	4
#define E1000_TCTL_COLD_SHIFT	12
/* IPGT 10, IPGR1 8, IPGR2 6: the SDM's values for copper 82540/82545 */
#define E1000_TIPG_DEFAULT	(10U | 8U << 10 | 6U << 20)

struct e1000_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
} __attribute__((packed));

#define E1000_TXD_CMD_EOP	(1U << 0)
#define E1000_TXD_CMD_IFCS	(1U << 1)	/* insert the CRC */
#define E1000_TXD_CMD_RS	(1U << 3)	/* report status: set DD when done */
#define E1000_TXD_STAT_DD	(1U << 0)

/* ---- statistics (read to clear on real parts) ---- */
#define E1000_CRCERRS	0x4000
#define E1000_ALGNERRC	0x4004
#define E1000_SYMERRS	0x4008
#define E1000_RXERRC	0x400c
#define E1000_MPC	0x4010	/* missed packets: no room in the FIFO/ring */
#define E1000_COLC	0x4028
#define E1000_SEC	0x4038
#define E1000_RLEC	0x4040
#define E1000_GPRC	0x4074
#define E1000_BPRC	0x4078
#define E1000_MPRC	0x407c
#define E1000_GPTC	0x4080
#define E1000_GORCL	0x4088
#define E1000_GOTCL	0x4090
#define E1000_RNBC	0x40a0	/* receive no buffers */
#define E1000_RUC	0x40a4	/* receive undersize */
#define E1000_RFC	0x40a8	/* receive fragment */
#define E1000_ROC	0x40ac	/* receive oversize */
#define E1000_RJC	0x40b0	/* receive jabber */
#define E1000_TORL	0x40c0
#define E1000_TOTL	0x40c8
#define E1000_TPR	0x40d0
#define E1000_TPT	0x40d4

#endif
