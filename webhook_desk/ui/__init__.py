"""The desktop GUI: one main window with a tab per task, over the same services as the CLI."""
