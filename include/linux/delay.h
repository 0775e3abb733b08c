/* <linux/delay.h> for modules: busy-wait delays (the kernel's, on the TSC). */
#ifndef KP_LINUX_DELAY_H
#define KP_LINUX_DELAY_H

void udelay(unsigned int us);
void mdelay(unsigned int ms);

#endif
