"""The service layer: every way the GUI, the CLI and the served API read or change data.

Each module holds one noun of the domain (registrations, catalog, firing, resend, audit, ...)
and speaks in sentences a user can read (webhook_desk.errors). Nothing here imports Qt; the
engine, the database and the secret store sit below it.
"""
