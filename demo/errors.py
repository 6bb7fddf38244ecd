"""The one error the demo reports as a single line."""


class DemoError(Exception):
    """A step of the demo failed; the message says which."""
