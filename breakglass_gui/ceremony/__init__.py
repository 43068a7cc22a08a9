"""Ceremony flows as UI-free step graphs (split, reconstruct, drill), reaching I/O via ports."""
