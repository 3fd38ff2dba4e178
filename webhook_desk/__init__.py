"""webhook_desk: a desktop console for clinical-study webhooks."""

__version__ = "0.1.0"
