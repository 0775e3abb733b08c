# The portable spinlock core (lib/spinlock.c), hammered by host threads.
HOST_TESTS += spinlock
spinlock_SRCS := tests/host/test_spinlock.c lib/spinlock.c
spinlock_LIBS := -lpthread
