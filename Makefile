# kprobe64: the only build entry. `make help` lists the targets.

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
NM      := $(CROSS_COMPILE)nm
OBJCOPY := $(CROSS_COMPILE)objcopy
NASM    ?= nasm
HOSTCC  ?= cc
PYTHON  ?= python3
QEMU    ?= qemu-system-x86_64
GDBPORT ?= 1234
MEM     ?= 256M

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -mno-sse -mno-mmx \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -fno-delete-null-pointer-checks \
	-MD -MP
LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T linker.ld
NASMFLAGS := -f elf64 -g -F dwarf -I./

SRC_DIRS := arch/x86_64 kernel lib drivers drivers/net net probes bpf tests/kernel
C_SRCS   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
ASM_SRCS := boot/boot.asm $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.asm))
S_SRCS   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.S))
OBJS := $(patsubst %.c,$(B)/%.o,$(C_SRCS)) $(patsubst %.asm,$(B)/%.o,$(ASM_SRCS)) \
	$(patsubst %.S,$(B)/%.o,$(S_SRCS))

# Files the probe engine may never patch go whole into .noprobe.text: the trap
# path and everything the probe hit path calls.
NOPROBE_FILES := $(wildcard arch/x86_64/traps.c arch/x86_64/extable.c \
	probes/core.c probes/table.c probes/step.c probes/kretprobe.c \
	probes/blacklist.c probes/fetch.c probes/filter.c arch/x86_64/paging.c \
	probes/events_hit.c probes/trace_buffer.c)
NOPROBE_OBJS := $(patsubst %.c,$(B)/%.o,$(NOPROBE_FILES))

# Tools the build and the tests need; missing ones are installed by scripts/install-deps.
NEEDED_TOOLS := $(CC) $(LD) $(NASM) grub-mkrescue xorriso mformat $(QEMU) $(PYTHON) gdb objdump
DEPS_STAMP := $(B)/.deps-ok

.PHONY: all iso run debug gdb test test-host test-system bench bench-linux clean help deps
all: $(B)/kprobe64.elf

$(DEPS_STAMP):
	$(Q)missing=""; for t in $(NEEDED_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	[ -f /usr/include/capstone/capstone.h ] || missing="$$missing libcapstone-dev"; \
	[ -d /usr/lib/grub/i386-pc ] || missing="$$missing grub-pc-bin"; \
	if [ -n "$$missing" ]; then echo "missing:$$missing; running scripts/install-deps"; scripts/install-deps; fi
	$(Q)mkdir -p $(B) && touch $@
deps: $(DEPS_STAMP)

$(B)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
	$(Q)$(if $(filter $@,$(NOPROBE_OBJS)),$(OBJCOPY) --rename-section .text=.noprobe.text \
	    --rename-section .text.unlikely=.noprobe.text --rename-section .text.hot=.noprobe.text $@)

$(B)/%.o: %.asm | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -MD $(B)/$*.d -MP $< -o $@

$(B)/%.o: %.S | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Two links: the first with an empty symbol table gives every address; the
# table goes last in the image (linker.ld), so the second link moves nothing.
$(B)/kallsyms0.c: scripts/kallsyms.py
	@mkdir -p $(B)
	$(Q)$(PYTHON) scripts/kallsyms.py /dev/null $@

$(B)/kallsyms0.o $(B)/kallsyms.o: $(B)/%.o: $(B)/%.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/stage1.elf: $(OBJS) $(B)/kallsyms0.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(B)/kallsyms0.o

$(B)/kallsyms.c: $(B)/stage1.elf scripts/kallsyms.py
	$(Q)$(NM) -n -S --defined-only $< > $(B)/stage1.nm
	$(Q)$(PYTHON) scripts/kallsyms.py $(B)/stage1.nm $@

$(B)/kprobe64.elf: $(B)/kallsyms.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(B)/kallsyms.o
	$(Q)$(NM) -n --defined-only $@ | grep -v -e kallsyms -e __kernel_end > $(B)/final.nm; \
	    $(NM) -n --defined-only $(B)/stage1.elf | grep -v -e kallsyms -e __kernel_end | cmp -s - $(B)/final.nm || \
	    { echo "error: symbol addresses moved between links"; rm -f $@; exit 1; }

# A flat image for QEMU's own multiboot-1 loader (-kernel), used by make bench.
$(B)/kprobe64.bin: $(B)/kprobe64.elf
	$(Q)$(OBJCOPY) -O binary $< $@

iso: $(B)/kprobe64.iso
$(B)/kprobe64.iso: $(B)/kprobe64.elf boot/grub.cfg
	@$(if $(Q),echo "  ISO     $@")
	$(Q)rm -rf $(B)/isodir && mkdir -p $(B)/isodir/boot/grub
	$(Q)cp $(B)/kprobe64.elf $(B)/isodir/boot/kprobe64.elf
	$(Q)cp boot/grub.cfg $(B)/isodir/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(B)/isodir >$(B)/grub-mkrescue.log 2>&1 || \
	    { cat $(B)/grub-mkrescue.log; exit 1; }

QEMU_RUN := $(QEMU) -cdrom $(B)/kprobe64.iso -m $(MEM) -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-netdev user,id=n0 -device e1000,netdev=n0

run: $(B)/kprobe64.iso
	@echo "kprobe64: console on this terminal; Ctrl-A X quits QEMU"
	$(QEMU_RUN) -serial mon:stdio

# make debug: QEMU's gdbstub on GDBPORT (waiting at the first instruction
# unless DEBUG_WAIT= is given), and COM2 on KGDBPORT for the in-kernel stub.
# make gdb: GDB with the symbols and scripts/gdb helpers, connected to
# QEMU's gdbstub; `make gdb GDBPORT=$(KGDBPORT)` talks to the in-kernel stub
# instead (type `kgdb` on the console first). See docs/gdb.md.
KGDBPORT ?= 1235
DEBUG_WAIT ?= -S
debug: $(B)/kprobe64.iso
	@echo "kprobe64: QEMU gdbstub on localhost:$(GDBPORT)$(if $(DEBUG_WAIT), (waiting; run 'make gdb' in another terminal)), in-kernel stub (COM2) on localhost:$(KGDBPORT)"
	$(QEMU_RUN) -serial mon:stdio -serial tcp:127.0.0.1:$(KGDBPORT),server,nowait \
	    -gdb tcp:127.0.0.1:$(GDBPORT) $(DEBUG_WAIT)

gdb: $(B)/kprobe64.elf
	gdb -q -x scripts/gdb/gdbinit -ex "target remote 127.0.0.1:$(GDBPORT)" $(B)/kprobe64.elf

# ---- tests ----

HOST_TESTS :=
HOST_BENCH :=
-include tests/host/*.mk
HOST_CFLAGS_DEFAULT := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all
HOST_BINS := $(foreach t,$(HOST_TESTS),$(B)/host/test_$(t))

define host_rule
$(B)/host/test_$(1): $$($(1)_SRCS) $$(wildcard include/*.h tests/host/*.h) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  HOSTCC  $$@")
	$$(Q)$$(HOSTCC) $$(or $$($(1)_CFLAGS),$$(HOST_CFLAGS_DEFAULT)) $$($(1)_SRCS) -o $$@ $$($(1)_LIBS)
endef
$(foreach t,$(HOST_TESTS),$(eval $(call host_rule,$(t))))

define bench_rule
$(B)/host/bench_$(1): $$(bench_$(1)_SRCS) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(Q)$$(HOSTCC) -std=gnu11 -O2 -g -Iinclude $$(bench_$(1)_SRCS) -o $$@ $$(bench_$(1)_LIBS)
endef
$(foreach t,$(HOST_BENCH),$(eval $(call bench_rule,$(t))))

test-host: $(HOST_BINS)
	$(Q)$(PYTHON) tests/run.py --host $(HOST_BINS)

test-system: $(B)/kprobe64.iso
	$(Q)$(PYTHON) tests/run.py --system

test: $(HOST_BINS) $(B)/kprobe64.iso
	$(Q)$(PYTHON) tests/run.py --host $(HOST_BINS) --system

# make bench: QEMU -kernel $(B)/kprobe64.bin under -icount shift=0,sleep=off (the
# TSC counts guest instructions; GRUB hangs under fixed-shift icount, so no ISO);
# ACCEL=kvm for real cycles; DOC=1 also rewrites the table in docs/performance.md.
ACCEL ?= tcg
bench: $(B)/kprobe64.bin $(foreach t,$(HOST_BENCH),$(B)/host/bench_$(t))
	$(Q)$(PYTHON) scripts/bench.py --accel $(ACCEL) $(if $(DOC),--update-doc docs/performance.md) \
	    $(if $(PEER),--peer $(PEER)) $(foreach t,$(HOST_BENCH),$(B)/host/bench_$(t))

# make bench-linux: Debian's cloud kernel (apt-get download, unpacked under
# $(B)/linux-peer/) with tools/bench-linux/kpbench.ko, in the same QEMU.
bench-linux:
	$(Q)$(PYTHON) scripts/bench_linux.py

clean:
	rm -rf $(B)

help:
	@echo "make           build $(B)/kprobe64.elf"
	@echo "make iso       build $(B)/kprobe64.iso (GRUB, multiboot2)"
	@echo "make run       boot it in QEMU, console on this terminal (Ctrl-A X quits)"
	@echo "make debug     like run, but QEMU waits for GDB on port GDBPORT=$(GDBPORT)"
	@echo "make gdb       GDB with symbols, connected to 'make debug'"
	@echo "make test      host, in-kernel and system tests; ends 'N passed, N failed'"
	@echo "make bench     benchmarks under QEMU -icount (deterministic); ACCEL=kvm, DOC=1, PEER=linux"
	@echo "make bench-linux  Debian's Linux kprobe costs in the same QEMU (downloads the kernel once)"
	@echo "options: V=1 (show commands), CROSS_COMPILE=x86_64-elf-, MEM=256M"

-include $(OBJS:.o=.d)
