"""WSGI entry point for production servers (gunicorn twofold.wsgi)."""

from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from twofold.operations.errors import limit_lock_waits

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
application = get_wsgi_application()

# A web request waits for a lock at most DATABASE_LOCK_TIMEOUT, then is answered "busy, try again".
limit_lock_waits()
# Every module a request may reach is loaded now (the URLconf imports each view, the API and
# SCIM), then set aside from the garbage collector: the application's own objects, hundreds of
# thousands, live as long as the process, and a full collection that walks them all in the middle
# of a request cost a tenth of them a quarter of a second (a SCIM page of 100 Users, measured).
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
