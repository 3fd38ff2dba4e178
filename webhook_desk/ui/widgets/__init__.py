"""Reusable widgets shared by several tabs and dialogs."""
