"""A test that returns its verdict instead of asserting it must fail."""


def test_returns_false(guest):
    return guest.cmd("version") == "something else"
