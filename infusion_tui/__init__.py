"""infusion-tui: a keyboard-first terminal client for Keap (formerly Infusionsoft)."""

__version__ = "0.1.0"
