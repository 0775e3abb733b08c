"""The kernel oopses after the test's last prompt: the test must fail."""


def test_oops_after_last_prompt(guest):
    assert guest.cmd("version").startswith("kprobe64")
    guest.cmd("oops-later")
