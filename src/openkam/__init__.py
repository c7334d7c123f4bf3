"""OpenKAM: open-source Key Account Management for B2B suppliers."""

__version__ = "0.1.0"
