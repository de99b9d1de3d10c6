"""NexusTop's PostgreSQL backend: django-tenants' one, safe behind a transaction-pooling pooler."""
