"""信用XX: static public credit-disclosure sites from a credit office's data drops."""

__version__ = "0.1.0"
