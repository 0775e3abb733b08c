# kprobe64: the only build entry. `make help` lists the targets.

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
NM      := $(CROSS_COMPILE)nm
OBJCOPY := $(CROSS_COMPILE)objcopy
NASM    ?= nasm
HOSTCC  ?= cc
# Debian's python3: pytest, xdist and scapy come from its packages
PYTHON  ?= $(firstword $(wildcard /usr/bin/python3) python3)
QEMU    ?= qemu-system-x86_64
GDBPORT ?= 1234
MEM     ?= 256M
SMP     ?= 2

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build

# Dead padding for jump-optimized probes' islands (docs/probes.md,
# "Fallbacks"): labels reached only by a jump, and functions, aligned to 32
# leave more never-run nops after a jmp or ret. Not -fpatchable-function-entry:
# it turns off gcc's IPA-RA, so callers save registers around every call.
OPT_PAD_CFLAGS := -falign-jumps=32 -falign-functions=32
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -mno-sse -mno-mmx \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -fno-delete-null-pointer-checks \
	$(OPT_PAD_CFLAGS) -MD -MP
LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T linker.ld
NASMFLAGS := -f elf64 -g -F dwarf -I./

SRC_DIRS := arch/x86_64 kernel lib drivers drivers/net net probes bpf tests/kernel
C_SRCS   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
ASM_SRCS := boot/boot.asm $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.asm))
S_SRCS   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.S))
OBJS := $(patsubst %.c,$(B)/%.o,$(C_SRCS)) $(patsubst %.asm,$(B)/%.o,$(ASM_SRCS)) \
	$(patsubst %.S,$(B)/%.o,$(S_SRCS))

# The probe engine's hit path (int3/#DB/fault hooks, the table lookup,
# step/boost/emulate) goes whole into .noprobe.text.hit: the blacklist
# (include/kernel.h, probes/blacklist.c). Everything else is probe-able.
NOPROBE_FILES := probes/step.c
NOPROBE_OBJS := $(patsubst %.c,$(B)/%.o,$(NOPROBE_FILES))

# Tools the build and the tests need; missing ones are installed by scripts/install-deps.
NEEDED_TOOLS := $(CC) $(LD) $(NASM) grub-mkrescue xorriso mformat $(QEMU) $(PYTHON) gdb objdump clang
DEPS_STAMP := $(B)/.deps-ok

# eBPF samples (samples/bpf/*.c): clang -target bpf with Debian's libbpf-dev
# headers, the same command line that builds them for Linux.
BPF_CLANG ?= clang
BPF_SAMPLE_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I/usr/include/$(shell $(CC) -dumpmachine)
BPF_SAMPLES := $(patsubst samples/bpf/%.c,$(B)/samples/bpf/%.o,$(wildcard samples/bpf/*.c))

$(B)/samples/bpf/%.o: samples/bpf/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)$(BPF_CLANG) $(BPF_SAMPLE_CFLAGS) -c $< -o $@

.PHONY: all iso run debug gdb test test-host test-system bench bench-linux clean help deps modules
all: $(B)/kprobe64.elf $(BPF_SAMPLES)

$(DEPS_STAMP):
	$(Q)missing=""; for t in $(NEEDED_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	[ -f /usr/include/capstone/capstone.h ] || missing="$$missing libcapstone-dev"; \
	[ -f /usr/include/bpf/bpf_helpers.h ] || missing="$$missing libbpf-dev"; \
	[ -d /usr/lib/grub/i386-pc ] || missing="$$missing grub-pc-bin"; \
	$(PYTHON) -c "import pytest, xdist, pytest_timeout, scapy, elftools" 2>/dev/null || \
	    missing="$$missing python3-pytest/xdist/timeout/scapy/pyelftools"; \
	if [ -n "$$missing" ]; then echo "missing:$$missing; running scripts/install-deps"; scripts/install-deps; fi
	$(Q)mkdir -p $(B) && touch $@
deps: $(DEPS_STAMP)

# The flags objects were built with: a change (OPT_PAD_CFLAGS, say) rebuilds
# them, as a change of source would.
$(B)/cflags: FORCE | $(DEPS_STAMP)
	$(Q)printf '%s\n' '$(CFLAGS)' | cmp -s - $@ || printf '%s\n' '$(CFLAGS)' > $@

$(B)/%.o: %.c $(B)/cflags | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
	$(Q)$(if $(filter $@,$(NOPROBE_OBJS)),$(OBJCOPY) --rename-section .text=.noprobe.text.hit \
	    --rename-section .text.unlikely=.noprobe.text.hit --rename-section .text.hot=.noprobe.text.hit $@)

$(B)/%.o: %.asm | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) $(NASMFLAGS) -MD $(B)/$*.d -MP $< -o $@

$(B)/%.o: %.S $(B)/cflags | $(DEPS_STAMP)
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

$(B)/kallsyms.c: $(B)/stage1.elf scripts/kallsyms.py linker.ld
	$(Q)$(NM) -n -S --defined-only $< > $(B)/stage1.nm
	$(Q)$(PYTHON) scripts/kallsyms.py $(B)/stage1.nm $@ linker.ld

$(B)/kprobe64.elf: $(B)/kallsyms.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(LDFLAGS) -o $@ $(OBJS) $(B)/kallsyms.o
	$(Q)$(NM) -n --defined-only $@ | grep -v -e kallsyms -e __kernel_end > $(B)/final.nm; \
	    $(NM) -n --defined-only $(B)/stage1.elf | grep -v -e kallsyms -e __kernel_end | cmp -s - $(B)/final.nm || \
	    { echo "error: symbol addresses moved between links"; rm -f $@; exit 1; }

# A flat image for QEMU's own multiboot-1 loader (-kernel), used by make bench.
$(B)/kprobe64.bin: $(B)/kprobe64.elf
	$(Q)$(OBJCOPY) -O binary $< $@

# Files GRUB loads beside the kernel as multiboot2 modules, each under its
# own name (the kernel finds them with boot_file()): MODULES="a.ko b.ko" for
# insmod boot:a.ko, BPF="a.o b.o" for bpf load boot:a.o (by default every
# eBPF sample).
BPF ?= $(BPF_SAMPLES)
ISO_FILES := $(MODULES) $(BPF)

# $(call make_iso,ISO,FILES): the kernel, the files, and grub.cfg with one
# module2 line per file after the multiboot2 line.
define make_iso
	@$(if $(Q),echo "  ISO     $(1)")
	$(Q)rm -rf $(1).dir && mkdir -p $(1).dir/boot/grub $(1).dir/boot/files
	$(Q)cp $(B)/kprobe64.elf $(1).dir/boot/kprobe64.elf
	$(Q)$(if $(strip $(2)),cp $(2) $(1).dir/boot/files/)
	$(Q)awk '{ print } /^[ \t]*multiboot2 / { n = split(files, f, " "); \
	    for (i = 1; i <= n; i++) { b = f[i]; sub(".*/", "", b); \
	    printf "\tmodule2 /boot/files/%s %s\n", b, b } }' files="$(strip $(2))" \
	    boot/grub.cfg > $(1).dir/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $(1) $(1).dir >$(1).log 2>&1 || { cat $(1).log; exit 1; }
	$(Q)rm -rf $(1).dir
endef

# The file list is part of the ISO: a different MODULES= rebuilds it.
$(B)/iso-files: FORCE | $(DEPS_STAMP)
	$(Q)echo "$(strip $(ISO_FILES))" | cmp -s - $@ || echo "$(strip $(ISO_FILES))" > $@

iso: $(B)/kprobe64.iso
$(B)/kprobe64.iso: $(B)/kprobe64.elf boot/grub.cfg $(B)/iso-files $(ISO_FILES)
	$(call make_iso,$@,$(ISO_FILES))

.PHONY: FORCE
FORCE:

# scripts/qemu.py builds every QEMU command line (tests and bench use it too).
SMP ?= 2
# TFTP=DIR serves DIR at 10.0.2.2 (insmod tftp:FILE.ko, bpf load tftp:FILE.o).
QEMU_RUN := QEMU=$(QEMU) $(PYTHON) scripts/qemu.py --iso $(B)/kprobe64.iso --mem $(MEM) --smp $(SMP) \
	$(if $(TFTP),--tftp $(TFTP))

run: $(B)/kprobe64.iso
	@echo "kprobe64: console on this terminal; Ctrl-A X quits QEMU"
	$(QEMU_RUN)

# make debug: QEMU's gdbstub on GDBPORT (waiting at the first instruction
# unless DEBUG_WAIT= is given), and COM2 on KGDBPORT for the in-kernel stub.
# make gdb: GDB with the symbols and scripts/gdb helpers, connected to
# QEMU's gdbstub; `make gdb GDBPORT=$(KGDBPORT)` talks to the in-kernel stub
# instead (type `kgdb` on the console first). See docs/gdb.md.
KGDBPORT ?= 1235
DEBUG_WAIT ?= -S
debug: $(B)/kprobe64.iso
	@echo "kprobe64: QEMU gdbstub on localhost:$(GDBPORT)$(if $(DEBUG_WAIT), (waiting; run 'make gdb' in another terminal)), in-kernel stub (COM2) on localhost:$(KGDBPORT)"
	$(QEMU_RUN) -- -serial tcp:127.0.0.1:$(KGDBPORT),server,nowait \
	    -gdb tcp:127.0.0.1:$(GDBPORT) $(DEBUG_WAIT)

gdb: $(B)/kprobe64.elf
	gdb -q -x scripts/gdb/gdbinit -ex "target remote 127.0.0.1:$(GDBPORT)" $(B)/kprobe64.elf

# ---- loadable modules (docs/modules.md) ----
# make M=DIR builds the modules DIR's Kbuild (or Makefile) lists with
# obj-m += NAME.o (NAME-y := a.o b.o for several objects) into DIR/NAME.ko,
# for a DIR in the tree or anywhere else (make -C THIS_TREE M=$$PWD).
# make modules builds samples/modules/ and tests/modules/ into $(B)/.
# Linux builds modules with -Wall but not -Wextra (unused handler arguments are the norm).
MOD_CFLAGS := $(filter-out -Iinclude -Wextra,$(CFLAGS)) -I$(CURDIR)/include -DMODULE

ifneq ($(M),)
KERNELRELEASE := $(shell sed -n 's/^#define KP_VERSION\t"\(.*\)"/\1/p' include/kernel.h)
MDIR := $(abspath $(M))
MO ?= $(MDIR)
obj-m :=
ifneq ($(wildcard $(MDIR)/Kbuild),)
include $(MDIR)/Kbuild
else
include $(MDIR)/Makefile
endif
MOD_NAMES := $(patsubst %.o,%,$(obj-m))
mod_objs = $(addprefix $(MO)/,$(or $($(1)-y),$($(1)-objs),$(1).o))
.DEFAULT_GOAL := modules
modules: $(foreach m,$(MOD_NAMES),$(MO)/$(m).ko)

$(MO)/%.o: $(MDIR)/%.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [M]  $@")
	$(Q)$(CC) $(MOD_CFLAGS) $($(notdir $*)-cflags) -DKBUILD_MODNAME='"$(notdir $*)"' -c $< -o $@

# NAME.mod.o: the module's name in .modinfo and its struct module
# (__this_module, what THIS_MODULE points at), as Linux's modpost adds them.
$(MO)/%.mod.o: $(DEPS_STAMP) include/module.h
	@mkdir -p $(dir $@)
	$(Q)printf '#include "module.h"\nstatic const char name[] __attribute__((used, section(".modinfo"), aligned(1))) = "name=%s";\nstruct module __this_module __attribute__((section(".gnu.linkonce.this_module"))) = { .name = "%s" };\n' \
	    $(notdir $*) $(notdir $*) | $(CC) $(filter-out -MD -MP,$(MOD_CFLAGS)) -x c -c - -o $@

define mod_rule
$(MO)/$(1).ko: $(call mod_objs,$(1)) $(MO)/$(1).mod.o
	@$$(if $$(Q),echo "  LD [M]  $$@")
	$$(Q)$(LD) -r -o $$@ $$^
endef
$(foreach m,$(MOD_NAMES),$(eval $(call mod_rule,$(m))))
-include $(wildcard $(MO)/*.d)
else
MODULE_DIRS := samples/modules tests/modules
modules: | $(DEPS_STAMP)
	$(Q)$(foreach d,$(MODULE_DIRS),$(MAKE) --no-print-directory M=$(d) MO=$(CURDIR)/$(B)/$(d) modules &&) true
endif

# ---- tests ----

HOST_TESTS :=
HOST_BENCH :=
-include tests/host/*.mk
# -iquote: the tree's headers for "...", so include/linux/ (for modules) and
# include/elf64.h never stand in for the host's <linux/...> system headers.
HOST_CFLAGS_DEFAULT := -std=gnu11 -O1 -g -Wall -Wextra -Werror -iquote include \
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
	$$(Q)$$(HOSTCC) -std=gnu11 -O2 -g -iquote include $$(bench_$(1)_SRCS) -o $$@ $$(bench_$(1)_LIBS)
endef
$(foreach t,$(HOST_BENCH),$(eval $(call bench_rule,$(t))))

test-host: $(HOST_BINS)
	$(Q)$(PYTHON) tests/run.py --host $(HOST_BINS)

# The system tests of modules boot an ISO holding every sample and test
# module, and two eBPF objects for the module that loads them (bpfmod).
MOD_ISO_BPF = $(B)/samples/bpf/kprobe_hist.o $(B)/samples/bpf/xdp_drop.o
TEST_ISO_FILES = $(wildcard $(B)/samples/modules/*.ko $(B)/tests/modules/*.ko) tests/modules/notelf.ko \
	$(MOD_ISO_BPF)
$(B)/kprobe64-modules.iso: $(B)/kprobe64.elf boot/grub.cfg test-modules $(MOD_ISO_BPF)
	$(call make_iso,$@,$(TEST_ISO_FILES))
.PHONY: test-modules
test-modules: | $(DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory modules
	$(Q)$(MAKE) --no-print-directory $(B)/tests/modules/wrongarch.ko

# Wrong machine: a good module with its e_machine set to i386.
$(B)/tests/modules/wrongarch.ko: $(B)/tests/modules/quiet.ko
	$(Q)cp $< $@ && printf '\003\000' | dd of=$@ bs=1 seek=18 conv=notrunc status=none

test-system: $(B)/kprobe64.iso $(B)/kprobe64-modules.iso
	$(Q)$(PYTHON) tests/run.py --system

test: $(HOST_BINS) $(B)/kprobe64.iso $(B)/kprobe64-modules.iso
	$(Q)$(PYTHON) tests/run.py --host $(HOST_BINS) --system

# make bench: QEMU -kernel $(B)/kprobe64.bin under -icount shift=0,sleep=off (the
# TSC counts guest instructions; GRUB hangs under fixed-shift icount, so no ISO);
# ACCEL=kvm for real cycles; DOC=1 also rewrites the table in docs/performance.md.
ACCEL ?= tcg
bench: $(B)/kprobe64.bin $(BPF_SAMPLES) $(foreach t,$(HOST_BENCH),$(B)/host/bench_$(t))
	$(Q)$(PYTHON) scripts/bench.py --accel $(ACCEL) $(if $(DOC),--update-doc docs/performance.md) \
	    $(if $(PEER),--peer $(PEER)) $(foreach t,$(HOST_BENCH),$(B)/host/bench_$(t))

# make bench-linux: Debian's cloud kernel (apt-get download, unpacked under
# $(B)/linux-peer/) with tools/bench-linux/kpbench.ko, in the same QEMU.
# STRIDE=N: the attach case takes every Nth probe-able function (default 16).
bench-linux: $(B)/samples/bpf/xdp_drop.o
	$(Q)$(PYTHON) scripts/bench_linux.py $(if $(STRIDE),--stride $(STRIDE))

clean:
	rm -rf $(B)

help:
	@echo "make           build $(B)/kprobe64.elf and the samples/bpf objects"
	@echo "make iso       build $(B)/kprobe64.iso (GRUB, multiboot2); BPF=\"a.o b.o\" puts those"
	@echo "               eBPF objects on it as modules (default: the samples/bpf objects)"
	@echo "make run       boot it in QEMU, console on this terminal (Ctrl-A X quits)"
	@echo "make debug     like run, but QEMU waits for GDB on port GDBPORT=$(GDBPORT)"
	@echo "make gdb       GDB with symbols, connected to 'make debug'"
	@echo "make test      host, in-kernel and system tests; ends 'N passed, N failed'"
	@echo "make modules   build samples/modules and tests/modules; make M=DIR builds DIR's obj-m"
	@echo "make iso MODULES=\"a.ko b.ko\"  put modules on the ISO for insmod boot:a.ko"
	@echo "make bench     benchmarks under QEMU -icount (deterministic); ACCEL=kvm, DOC=1, PEER=linux"
	@echo "make bench-linux  Debian's Linux kprobe costs in the same QEMU (downloads the kernel once)"
	@echo "options: V=1 (show commands), CROSS_COMPILE=x86_64-elf-, MEM=256M, SMP=2 (CPUs, 1..8)"

-include $(OBJS:.o=.d)
