; The application processors' way in. A SIPI starts a CPU in real mode at
; vector * 4 KiB, so smp.c copies this blob to AP_BOOT_PA (below 1 MiB) and
; sends vector AP_BOOT_PA >> 12. It climbs from real mode to protected mode
; to long mode much as boot/boot.asm does, with a page table smp.c builds
; (the kernel's upper half plus an identity map of the low 2 MiB, so the
; instruction after paging is switched on still has its address), then
; calls the C entry smp.c left in the parameter block with the CPU's own
; stack and per-CPU area.
;
; It is data to the kernel (it runs only from the copy), so every address in
; it is computed for the copy: AT(x) is where label x lands below 1 MiB.

%include "arch/x86_64/long_mode.inc"

AP_BOOT_PA	equ 0x8000		; keep in step with smp.c
%define AT(x) (AP_BOOT_PA + (x) - ap_boot_start)

section .rodata
align 16
global ap_boot_start, ap_boot_end, ap_boot_params

bits 16
ap_boot_start:
	cli
	cld
	xor ax, ax
	mov ds, ax
	o32 lgdt [AT(boot_gdtr)]
	mov eax, cr0
	or eax, 1			; PE
	mov cr0, eax
	jmp dword 0x08:AT(prot32)

bits 32
prot32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	ENTER_LONG_MODE [AT(ap_boot_params)]	; the page table (below 4 GiB)
	jmp 0x18:AT(long64)

bits 64
long64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, [abs AT(ap_boot_params) + 8]
	mov rdi, [abs AT(ap_boot_params) + 16]
	mov rax, [abs AT(ap_boot_params) + 24]
	xor ebp, ebp			; ends the frame-pointer chain for backtraces
	call rax			; never returns
.hang:
	cli
	hlt
	jmp .hang

align 8
boot_gdt:
	dq 0
	dq 0x00cf9a000000ffff		; 0x08: 32-bit code
	dq 0x00cf92000000ffff		; 0x10: data
	dq 0x00af9a000000ffff		; 0x18: 64-bit code
boot_gdtr:
	dw $ - boot_gdt - 1
	dd AT(boot_gdt)

; filled in by smp.c for each AP in turn (struct ap_boot_params)
align 8
ap_boot_params:
	dq 0				; cr3
	dq 0				; stack top
	dq 0				; struct percpu *
	dq 0				; entry(struct percpu *)
ap_boot_end:
