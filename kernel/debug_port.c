/* The debug port registry: see struct debug_port in include/kernel.h. */
#include "kernel.h"

static const struct debug_port *port;

int debug_port_register(const struct debug_port *p)
{
	if (port)
		return -EBUSY;
	port = p;
	return 0;
}

const struct debug_port *debug_port(void)
{
	return port;
}
/* the GDB stub calls it from trap context, possibly inside a probe handler */
NOKPROBE_SYMBOL(debug_port);
