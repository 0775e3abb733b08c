# The module loader's ELF half (kernel/module_elf.c): checks, layout,
# relocations, on crafted input and on an object built like a module.
HOST_TESTS += module_elf
module_elf_SRCS := tests/host/test_module_elf.c kernel/module_elf.c
$(B)/host/test_module_elf: kernel/module_internal.h $(B)/host/module_sample.o
$(B)/host/module_sample.o: tests/host/module_sample.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MD -MP,$(MOD_CFLAGS)) -c $< -o $@
