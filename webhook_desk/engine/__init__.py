"""The delivery engine: claim due deliveries, send them with a pool of threads, record attempts.

`worker.Engine` runs it; `webhook-desk deliver` runs it headless and the GUI in a QThread.
"""
