"""Breakglass: break-glass custodian ceremonies."""

__version__ = "0.1.0"
