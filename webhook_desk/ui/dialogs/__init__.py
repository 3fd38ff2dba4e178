"""The window's dialogs; each opens with open() so nothing blocks the event loop."""
