# GDB remote-protocol layer of the in-kernel stub (issue 6): framing,
# checksums, escapes, registers, target description, packet dispatch.
HOST_TESTS += kgdb_rsp

kgdb_rsp_SRCS := tests/host/test_kgdb_rsp.c probes/kgdb_rsp.c probes/kgdb_rsp_wire.c
