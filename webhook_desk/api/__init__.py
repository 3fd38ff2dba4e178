"""The platform's HTTP API served over our own services and database (`webhook-desk serve`):
every route of the ECG Webhooks Module (seed 004) and of CentrePoint v3/v1 (seeds 000-002)."""
