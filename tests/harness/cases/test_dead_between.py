"""The shared guest dies after the first test's checks: the second must fail."""


def test_first(guest):
    guest.cmd("die-later")


def test_second(guest):
    assert guest.cmd("version").startswith("kprobe64")
