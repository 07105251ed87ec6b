"""The policy header built once (twofold.headers.CSPMiddleware) is the header django-csp builds on
each response, in every case that could make them differ."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.test import RequestFactory

from twofold.headers import CSPMiddleware

POLICY_HEADERS = (HEADER, HEADER_REPORT_ONLY)


def served(
    middleware_class: type[DjangoCSPMiddleware],
    respond: Callable[[HttpRequest], HttpResponse],
    *,
    path: str = "/account/",
    use_nonce: bool = False,
) -> tuple[dict[str, str], HttpRequest]:
    """The policy headers ``middleware_class`` sets on the answer of ``respond`` to a GET of ``path``."""
    request = RequestFactory().get(path)

    def view(request: HttpRequest) -> HttpResponse:
        if use_nonce:
            request._csp_nonce = "dGVzdC1ub25jZQ=="  # type: ignore[attr-defined]  # the same for both middlewares
            str(request.csp_nonce)  # type: ignore[attr-defined]  # as a template asking for it would
        return respond(request)

    response = middleware_class(view)(request)
    return {name: response[name] for name in POLICY_HEADERS if name in response}, request


def nonce_after_the_response(request: HttpRequest) -> str:
    """What asking for the nonce once the header is written gives: django-csp refuses a nonce that
    could no longer be in the header."""
    try:
        return str(request.csp_nonce)  # type: ignore[attr-defined]
    except CSPNonceError:
        return "refused"


def same_as_django_csp(respond: Callable[[HttpRequest], HttpResponse], **kwargs: Any) -> dict[str, str]:
    ours, our_request = served(CSPMiddleware, respond, **kwargs)
    theirs, their_request = served(DjangoCSPMiddleware, respond, **kwargs)
    assert ours == theirs
    if kwargs.get("use_nonce"):
        assert nonce_after_the_response(our_request) == nonce_after_the_response(their_request) != "refused"
    else:
        refused = nonce_after_the_response(our_request) == "refused"
        assert refused == (nonce_after_the_response(their_request) == "refused")
    return ours


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def decorated(**attributes: Any) -> Callable[[HttpRequest], HttpResponse]:
    def respond(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        for name, value in attributes.items():
            setattr(response, name, value)
        return response

    return respond


def with_header(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("ok")
    response[HEADER] = "default-src 'none'"
    return response


def test_the_configured_policy_is_django_csps(settings) -> None:  # type: ignore[no-untyped-def]
    headers = same_as_django_csp(ok)
    assert "default-src 'self'" in headers[HEADER] and HEADER_REPORT_ONLY not in headers
    _, request = served(CSPMiddleware, ok)
    assert nonce_after_the_response(request) == "refused"
    assert same_as_django_csp(ok, use_nonce=True) == headers  # the policy names no nonce
    assert same_as_django_csp(ok, path="/static/twofold/app.css") == headers


@pytest.mark.parametrize(
    "respond",
    [
        decorated(_csp_update={"img-src": ["data:"]}),
        decorated(_csp_replace={"script-src": [SELF, "https://example.org"]}),
        decorated(_csp_config={"default-src": ["'none'"]}),
        decorated(_csp_update_ro={"img-src": ["data:"]}),
        decorated(_csp_exempt=True),
        decorated(_csp_exempt_ro=True),
        with_header,
        # The decorators themselves, and an attribute of a django-csp to come.
        csp_update({"img-src": ["data:"]})(ok),
        csp_replace({"script-src": [SELF, "https://example.org"]})(ok),
        csp_exempt()(ok),
        decorated(_csp_of_a_later_release={"img-src": ["data:"]}),
    ],
    ids=[
        "update",
        "replace",
        "config",
        "update-report-only",
        "exempt",
        "exempt-report-only",
        "header-set",
        "decorator-update",
        "decorator-replace",
        "decorator-exempt",
        "later-attribute",
    ],
)
def test_a_response_with_a_policy_of_its_own_gets_django_csps(respond, settings) -> None:  # type: ignore[no-untyped-def]
    same_as_django_csp(respond)
    same_as_django_csp(respond, use_nonce=True)


def test_a_policy_naming_the_nonce_report_only_and_excluded_prefixes_as_django_csp(settings) -> None:  # type: ignore[no-untyped-def]
    policy = copy.deepcopy(django_settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"] = [SELF, NONCE]
    settings.CONTENT_SECURITY_POLICY = policy
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [NONCE]}}
    without = same_as_django_csp(ok)
    assert "nonce" not in without[HEADER] and HEADER_REPORT_ONLY in without
    with_nonce = same_as_django_csp(ok, use_nonce=True)
    assert "'nonce-" in with_nonce[HEADER] and "'nonce-" in with_nonce[HEADER_REPORT_ONLY]

    policy = copy.deepcopy(policy)
    policy["EXCLUDE_URL_PREFIXES"] = ["/api/"]
    settings.CONTENT_SECURITY_POLICY = policy
    assert HEADER not in same_as_django_csp(ok, path="/api/v1/people")
    assert HEADER in same_as_django_csp(ok, path="/account/")


def test_debug_error_pages_as_django_csp(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    assert same_as_django_csp(lambda request: HttpResponseNotFound("no")) == {}
    assert HEADER in same_as_django_csp(ok)


def test_no_policy_configured_no_header(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CONTENT_SECURITY_POLICY = None
    assert same_as_django_csp(ok) == {}
