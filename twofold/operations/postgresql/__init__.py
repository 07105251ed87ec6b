"""Django's PostgreSQL backend with a cheaper health check (``ENGINE``; see :mod:`.base`)."""
