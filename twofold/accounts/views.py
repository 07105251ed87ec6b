"""Signing in (password, lockout, second factor), the account page, and the page each role lands on."""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from twofold.accounts import permissions, services, two_factor
from twofold.accounts import tokens as access_tokens
from twofold.accounts.forms import CodeForm, PersonalTokenForm, ServiceTokenForm
from twofold.accounts.models import AccessToken, AccessTokenKind, User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Employees land on their own profile; roles without a profile on the page they work from."""
    user = request.user
    if user.person_id and not (user.is_programme_manager or user.is_superuser or user.is_executive):  # type: ignore[union-attr]
        return redirect("relationships:mine")
    if user.is_executive and not (user.is_programme_manager or user.is_superuser):  # type: ignore[union-attr]
        return redirect("insights:overview")
    if user.is_programme_manager or user.is_superuser:  # type: ignore[union-attr]
        return redirect("programmes:list")
    if permissions.allowed(user, "directory.view"):
        return redirect("people:directory")
    return render(request, "accounts/no_role.html", status=403)


def _sign_in_choices() -> dict[str, Any]:
    """What the sign-in page offers: single sign-on when it is configured, passwords unless it hides them."""
    return {
        "sso_name": settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else "",
        "passwords_hidden": settings.OIDC_HIDE_PASSWORDS,
    }


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **_sign_in_choices()}


class LogoutView(auth_views.LogoutView):
    """Signing out of Twofold; with ``OIDC_OP_LOGOUT_URL_METHOD`` set (single sign-on's
    ``OIDC_PROVIDER_LOGOUT``), out of the identity provider's session too."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        elsewhere = ""
        # Asked before Django's logout empties the session that names the provider's session.
        if settings.OIDC_OP_LOGOUT_URL_METHOD and request.user.is_authenticated:
            elsewhere = import_string(settings.OIDC_OP_LOGOUT_URL_METHOD)(request)
        response = super().post(request, *args, **kwargs)
        return redirect(elsewhere) if elsewhere else response


def signin_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in page with the lockout explained (django-axes' AXES_LOCKOUT_CALLABLE).

    Shown for the admin's sign-in as well, so a lockout reads the same wherever it happens.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_out": True,
            "lockout_minutes": settings.SIGNIN_LOCKOUT_MINUTES,
            "next": request.POST.get("next", ""),
            **_sign_in_choices(),
        },
        status=429,
    )


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` address the request carries, if it stays on this site; otherwise empty."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if safe else ""


@never_cache
@login_required
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app."""
    if two_factor.second_factor_due(request) is not two_factor.SecondFactor.VERIFY:
        return redirect(_safe_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_code_check(user=request.user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except services.TwoStepRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            # A new session key once fully signed in: whoever saw the half-signed-in one gains nothing.
            request.session.cycle_key()
            django_otp.login(request, device)
            two_factor.second_factor_record(request, due=None)
            return redirect(_safe_next(request) or resolve_url(settings.LOGIN_REDIRECT_URL))
    status = 422 if form.errors else 200
    return render(request, "accounts/login_code.html", {"form": form, "next": _safe_next(request)}, status=status)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "device": two_factor.confirmed_device(user),
            "can_enrol": two_factor.can_enrol(user),
            "required": two_factor.enrolment_required(user),
            "can_issue_service_tokens": permissions.allowed(user, "tokens.list_service"),
        },
    )


@never_cache
@login_required
def two_step(request: HttpRequest) -> HttpResponse:
    """Setting up an authenticator app: start (a new secret), then confirm with a code it shows."""
    user = request.user
    if not two_factor.can_enrol(user):
        raise PermissionDenied("Authenticator apps are for org admins.")
    if two_factor.confirmed_device(user) is not None:
        return redirect("account")
    form = CodeForm()
    status = 200
    try:
        if request.method == "POST" and request.POST.get("action") == "start":
            services.totp_device_start(user=user)  # type: ignore[arg-type]
            return redirect(request.get_full_path())
        if request.method == "POST":
            form = CodeForm(request.POST)
            if form.is_valid():
                device = services.totp_device_confirm(user=user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
                request.session.cycle_key()
                django_otp.login(request, device)
                two_factor.second_factor_record(request, due=None)
                messages.success(request, "Two-step sign-in is on: each sign-in now asks for a code from your app.")
                return redirect(_safe_next(request) or "account")
            status = 422
    except services.TwoStepRefused as refusal:
        form.add_error("code" if form.is_bound else None, str(refusal))
        status = 422
    device = two_factor.unconfirmed_device(user)
    context: dict[str, Any] = {
        "form": form,
        "required": two_factor.enrolment_required(user),
        "next": _safe_next(request),
    }
    if device is not None:
        secret = b32encode(device.bin_key).decode()
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(
            scale=4, border=4, dark="#1b2430", light="#ffffff", svgclass="qr-code", title="QR code of the secret"
        )
    return render(request, "accounts/two_step.html", context, status=status)


@require_POST
@login_required
def two_step_remove(request: HttpRequest) -> HttpResponse:
    try:
        services.totp_device_remove(user=request.user)  # type: ignore[arg-type]
    except services.TwoStepRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Your authenticator app is removed: signing in asks for your password only.")
    return redirect("account")


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")
    success_message = "Your password is changed. Anywhere else you were signed in, you are now signed out."


class PasswordResetView(auth_views.PasswordResetView):
    """Asking for a reset link by email; the same answer whether or not the address has an account."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_sent")

    def form_valid(self, form: Any) -> HttpResponse:
        # Links point at SITE_URL, like every other email, never at whatever Host the request named.
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")
    success_message = "Your new password is set. Sign in with it."

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever can read the account's email may sign in again at once, lockout or not.
        services.signin_lockout_clear(username=form.user.get_username())
        return response


# --- access tokens -------------------------------------------------------------------------------


def _token_page(
    request: HttpRequest,
    form_class: type[forms.Form],
    *,
    kind: str,
    owner: Callable[[forms.Form], Any],
    template: str,
    listed: Callable[[], Any],
) -> HttpResponse:
    """Issue a token from the posted form (shown once, on this response only) and list the rest.

    ``owner`` names the account the token acts as, or adds a field error and returns ``None``.
    """
    form = form_class(request.POST or None)
    issued = None
    status = 200
    if request.method == "POST":
        user = owner(form) if form.is_valid() else None
        if user is not None:
            try:
                _, issued = access_tokens.issue_token(
                    actor=request.user,
                    user=user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    kind=kind,
                    expires_days=form.cleaned_data["expires_days"],
                )
            except access_tokens.TokenRefused as refusal:
                form.add_error(None, str(refusal))
        if issued is None:
            status = 422
        else:
            form = form_class()
    return render(request, template, {"form": form, "issued": issued, "tokens": listed()}, status=status)


@never_cache
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """Your personal access tokens: issue one, list, revoke."""
    user: Any = request.user
    return _token_page(
        request,
        PersonalTokenForm,
        kind=AccessTokenKind.PERSONAL,
        owner=lambda form: user,
        template="accounts/tokens.html",
        listed=lambda: access_tokens.personal_tokens(user),
    )


def _service_token_owner(form: forms.Form) -> Any:
    owner = User.objects.filter(username=form.cleaned_data["username"]).first()
    if owner is None:
        form.add_error("username", "No account has this username.")
    return owner


@never_cache
@login_required
def service_tokens(request: HttpRequest) -> HttpResponse:
    """Org admins: service tokens for integrations, acting as any account."""
    permissions.authorize(request.user, "tokens.list_service")
    return _token_page(
        request,
        ServiceTokenForm,
        kind=AccessTokenKind.SERVICE,
        owner=_service_token_owner,
        template="accounts/service_tokens.html",
        listed=access_tokens.service_tokens,
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = permissions.revocable_tokens(request.user, AccessToken.objects.all()).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    access_tokens.revoke_token(actor=request.user, token=token)
    messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("service_tokens" if token.kind == AccessTokenKind.SERVICE else "tokens")
