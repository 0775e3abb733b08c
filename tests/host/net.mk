# Network stack (issue 5): the portable Internet checksum code, on the host.
HOST_TESTS += checksum

checksum_SRCS := tests/host/test_checksum.c net/checksum.c
