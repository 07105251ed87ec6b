"""Twofold: reverse mentoring and sponsorship programmes, run side by side."""

__version__ = "0.1.0"
