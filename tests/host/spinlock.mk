# The portable spinlock core (include/lib.h), hammered by host threads.
HOST_TESTS += spinlock
spinlock_SRCS := tests/host/test_spinlock.c
spinlock_LIBS := -lpthread
