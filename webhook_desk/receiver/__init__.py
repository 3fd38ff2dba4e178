"""The built-in test receiver: a real HTTP endpoint that captures, verifies and answers as told.

Import its modules by name (answers, inbox, server, verdicts): this package imports none of
them, so reading the inbox does not load the HTTP server (aiohttp).
"""
