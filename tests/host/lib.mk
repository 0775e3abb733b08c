# lib/ (vsnprintf, strtoull, kstrtou64, glob) against the host libc.
HOST_TESTS += lib
lib_SRCS := tests/host/test_lib.c tests/host/lib_renamed.c lib/glob.c
# the grid prints through varying format strings on purpose
lib_CFLAGS = $(HOST_CFLAGS_DEFAULT) -Wno-format-nonliteral -Wno-format-security
# lib_renamed.c includes these
$(B)/host/test_lib: lib/vsnprintf.c lib/strtox.c
