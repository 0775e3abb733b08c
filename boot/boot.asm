; Multiboot2 header and the 32-bit entry GRUB jumps to.
;
; GRUB leaves us in 32-bit protected mode, paging off, EAX = multiboot2 magic,
; EBX = physical address of the boot information. We check the magic and that
; the CPU has long mode, then map the first 1 GiB three times with 2 MiB pages:
; identity (so this code keeps running), at -2 GiB (where the kernel is
; linked) and at PAGE_OFFSET (the direct map, so phys_to_virt() works from the
; first C instruction); enable PAE, long mode, NX and paging; enter the kernel.
; arch/x86_64/paging.c later replaces these tables with the real ones.

%include "arch/x86_64/long_mode.inc"

MB2_MAGIC	equ 0xe85250d6
MB2_BOOT_MAGIC	equ 0x36d76289
MB1_MAGIC	equ 0x1badb002
MB1_BOOT_MAGIC	equ 0x2badb002
MB1_FLAGS	equ (1 << 1) | (1 << 16)	; memory map, load addresses below
KERNEL_VMA	equ 0xffffffff80000000
COM1		equ 0x3f8

section .multiboot align=8
mb2_header:
	dd MB2_MAGIC
	dd 0				; architecture: i386 protected mode
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
	dw 0, 0				; end tag
	dd 8
mb2_header_end:

; Multiboot 1 as well, for QEMU's own loader (`qemu -kernel build/kprobe64.bin`,
; the flat image `make bench` uses): it cannot load ELF64, so the header says
; where the flat image goes (the a.out kludge: load at 1 MiB, enter at _start).
align 4
mb1_header:
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
	dd mb1_header			; header_addr
	dd mb2_header			; load_addr: the image starts here
	dd 0				; load_end_addr: the whole file
	dd 0				; bss_end_addr: the image includes it
	dd _start			; entry_addr

section .boot.text progbits alloc exec nowrite
bits 32
global _start
_start:
	cli
	cld
	mov esp, boot_stack_top
	mov esi, eax			; kmain(mbi, magic) tells the two formats apart
	mov edi, ebx			; keep the info pointer for kmain
	cmp eax, MB2_BOOT_MAGIC
	je .magic_ok
	cmp eax, MB1_BOOT_MAGIC
	jne .not_multiboot
.magic_ok:

	; long mode needs CPUID leaf 0x80000001, bit 29 of EDX
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	; PD: 512 x 2 MiB, present + writable + large
	mov ecx, 0
.fill_pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83
	mov [boot_pd + ecx * 8], eax
	mov dword [boot_pd + ecx * 8 + 4], 0
	inc ecx
	cmp ecx, 512
	jne .fill_pd

	mov eax, boot_pd
	or eax, 0x03
	mov [boot_pdpt_low], eax
	mov [boot_pdpt_high + 510 * 8], eax	; -2 GiB
	mov eax, boot_pdpt_low
	or eax, 0x03
	mov [boot_pml4], eax
	mov eax, boot_pdpt_high
	or eax, 0x03
	mov [boot_pml4 + 511 * 8], eax
	mov eax, boot_pdpt_low		; and at PAGE_OFFSET, the direct map
	or eax, 0x03
	mov [boot_pml4 + 273 * 8], eax

	ENTER_LONG_MODE boot_pml4

	lgdt [boot_gdt_ptr]
	jmp 0x08:.long_mode

.not_multiboot:
	mov esi, msg_not_mb2
	jmp .fail
.no_long_mode:
	mov esi, msg_no_lm
.fail:
	mov dx, COM1
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .fail
.halt:
	hlt
	jmp .halt

bits 64
.long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor ax, ax
	mov fs, ax
	mov gs, ax
	extern boot_stack_high_top
	mov rsp, boot_stack_high_top
	xor ebp, ebp			; ends the frame-pointer chain for backtraces
	; edi, esi: the info's physical address and the loader's magic
	; (cpuid above clobbered neither: it writes eax, ebx, ecx, edx)
	extern kmain
	mov rax, kmain
	call rax
.hang:
	cli
	hlt
	jmp .hang

section .boot.data progbits alloc noexec write align=4096
boot_pml4:	times 512 dq 0
boot_pdpt_low:	times 512 dq 0
boot_pdpt_high:	times 512 dq 0
boot_pd:	times 512 dq 0
		times 1024 db 0
boot_stack_top:

boot_gdt:
	dq 0
	dq 0x00af9a000000ffff		; 0x08: 64-bit code
	dq 0x00cf92000000ffff		; 0x10: data
boot_gdt_ptr:
	dw $ - boot_gdt - 1
	dq boot_gdt

msg_not_mb2:	db "kprobe64: error: not started by a multiboot loader", 13, 10, 0
msg_no_lm:	db "kprobe64: error: this CPU has no 64-bit long mode", 13, 10, 0
