"""Widgets shared by the wizards: masked secret entry, camera view with outline, step list."""
