"""Response headers: the ones Django has no setting for, and django-csp's policy built once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

_SETTING = "CONTENT_SECURITY_POLICY"
# Any nonce would do: it only tells whether the configured policy names one (csp.constants.NONCE).
_SAMPLE_NONCE = "c2FtcGxl"


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``) with every response.

    SecurityMiddleware covers HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy, and
    django-csp the Content-Security-Policy; browser features like the camera have no setting there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.PERMISSIONS_POLICY
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


@functools.cache
def _configured_policy(*, report_only: bool) -> tuple[str, bool]:
    """The header django-csp builds from ``CONTENT_SECURITY_POLICY`` (or its report-only twin) for a
    response without a policy of its own, and whether a request's nonce would change it."""
    policy = build_policy(report_only=report_only)
    return policy, build_policy(nonce=_SAMPLE_NONCE, report_only=report_only) != policy


@receiver(setting_changed)
def _policy_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in (_SETTING, f"{_SETTING}_REPORT_ONLY"):
        _configured_policy.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware, the configured policy's header built once per process, not per response.

    django-csp builds the header from the settings on every response, twice (the policy and its
    report-only twin). The settings do not change while a process runs, so the header it would build
    is kept (:func:`_configured_policy`, rebuilt when a test changes the settings) and set exactly as
    django-csp sets it. Whatever could make a response's header differ takes django-csp's own way: a
    view's decorators, a nonce the policy names, and DEBUG's exempted error pages.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        # A view's decorators (csp_update, csp_replace, csp_exempt and their report-only forms) leave
        # attributes named _csp… on its response: any such attribute, whatever django-csp calls it,
        # takes django-csp's own way.
        if settings.DEBUG or any(name.startswith("_csp") for name in vars(response)):
            return super().process_response(request, response)
        enforced, enforced_nonce = _configured_policy(report_only=False)
        report_only, report_only_nonce = _configured_policy(report_only=True)
        nonce = getattr(request, "_csp_nonce", None)
        if nonce and (enforced_nonce or report_only_nonce):
            return super().process_response(request, response)
        if enforced:
            self._set(request, response, HEADER, enforced, "_csp_exempt", _SETTING)
        if report_only:
            self._set(request, response, HEADER_REPORT_ONLY, report_only, "_csp_exempt_ro", f"{_SETTING}_REPORT_ONLY")
        # As django-csp: a nonce asked for after the header is written could never be in it.
        if nonce is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @staticmethod
    def _set(
        request: HttpRequest, response: HttpResponseBase, header: str, policy: str, exempt: str, setting: str
    ) -> None:
        """django-csp's rule: unless the response has the header already, is exempt, or its path
        starts with one of the setting's ``EXCLUDE_URL_PREFIXES``."""
        if header in response or getattr(response, exempt, False) is not False:
            return
        prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
        if not request.path_info.startswith(tuple(prefixes)):
            response[header] = policy
