"""One module per integration (database, cache, Celery, API, logging, ...)."""
