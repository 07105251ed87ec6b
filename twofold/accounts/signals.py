"""What happens at every sign-in, whichever way it came (the sign-in page, the admin, single sign-on)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from twofold.accounts.middleware import LAST_SEEN_KEY
from twofold.accounts.two_factor import second_factor_at_sign_in, second_factor_record


@receiver(user_logged_in, dispatch_uid="twofold.accounts.session_start")
def session_start(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start the idle clock and note the second factor due, so that no page has to look it up."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[LAST_SEEN_KEY] = time.time()
    second_factor_record(request, due=second_factor_at_sign_in(user))
