/*
 * A probe farm for `bench`: 2048 small functions of 31 one-byte nops and a
 * ret, so the probe-table scaling benchmark can register 50,000+ probes on
 * distinct instruction boundaries (the rest of the kernel has fewer), each
 * a short decode from its function's start. Never called. Four int3 bytes
 * of padding after each, as the compiler's function alignment leaves after
 * most C functions, so a jump-optimized probe on the last nops has room.
 */
	.text
	.altmacro
	.macro farm_fn n
	.globl bench_farm_\n
	.type bench_farm_\n, @function
bench_farm_\n:
	.fill 31, 1, 0x90
	ret
	.size bench_farm_\n, . - bench_farm_\n
	.fill 4, 1, 0xcc
	.endm

	.set i, 0
	.rept 2048
	farm_fn %i
	.set i, i + 1
	.endr
	.section .note.GNU-stack, "", @progbits
