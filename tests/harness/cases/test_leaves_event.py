"""A test that leaves an event defined must fail."""


def test_leaves_event(guest):
    guest.cmd("define")
