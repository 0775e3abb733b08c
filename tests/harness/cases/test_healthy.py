"""A healthy test passes: the checks themselves do not fail everything."""


def test_healthy(guest):
    assert guest.cmd("version").startswith("kprobe64")
