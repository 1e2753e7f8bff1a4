"""Fixtures shared by every test folder live in the bkpsdm-testing package."""

pytest_plugins = ["bkpsdm.testing.fixtures"]
