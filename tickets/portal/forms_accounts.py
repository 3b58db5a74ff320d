"""Buyer account forms: sign-up, profile, and a sign-in form that throttles password guessing."""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm, UsernameField
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from orders.models import Language

PHONE_INPUT = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
LOGIN_MAX_FAILURES = 10
LOGIN_LOCKOUT_SECONDS = 15 * 60


def _throttle_keys(username: str, request: HttpRequest | None) -> tuple[str, str]:
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    # Hashed: cache backends such as memcached refuse spaces and long keys, and usernames are user input.
    digest = hashlib.sha256(f"{username.casefold()}\n{ip}".encode()).hexdigest()
    return f"login-failures:{digest}", f"login-locked:{digest}"


def login_locked_for(username: str, request: HttpRequest | None) -> int:
    """Seconds left before `username` may try again from this IP; 0 when not locked."""
    _failures_key, locked_key = _throttle_keys(username, request)
    until = cache.get(locked_key)
    return max(0, math.ceil(until - time.time())) if until else 0


def login_record_failure(username: str, request: HttpRequest | None) -> None:
    """Count a failed sign-in; the 10th within 15 minutes locks this username+IP for 15 minutes."""
    failures_key, locked_key = _throttle_keys(username, request)
    cache.add(failures_key, 0, timeout=LOGIN_LOCKOUT_SECONDS)  # the window starts at the first failure
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add() and incr()
        failures = 1
        cache.set(failures_key, failures, timeout=LOGIN_LOCKOUT_SECONDS)
    if failures >= LOGIN_MAX_FAILURES:
        cache.set(locked_key, time.time() + LOGIN_LOCKOUT_SECONDS, timeout=LOGIN_LOCKOUT_SECONDS)
        cache.delete(failures_key)


def login_forget_failures(username: str, request: HttpRequest | None) -> None:
    cache.delete(_throttle_keys(username, request)[0])


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing even the right password while the username+IP is locked."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if seconds := login_locked_for(username, self.request):
            minutes = math.ceil(seconds / 60)
            message = ngettext(
                "Too many attempts, try again in %(minutes)d minute.",
                "Too many attempts, try again in %(minutes)d minutes.",
                minutes,
            )
            raise ValidationError(message, code="throttled", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except ValidationError:
            login_record_failure(username, self.request)
            raise
        login_forget_failures(username, self.request)
        return cleaned


class SignUpForm(UserCreationForm):
    """Validates a new buyer (unique username, matching and strong passwords); the view calls buyer_create."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.RUSSIAN)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False, widget=PHONE_INPUT)

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}
        labels = {"username": _("Username")}

    def buyer_data(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "username": data["username"], "email": data["email"], "password": data["password1"],
            "language": data["language"], "phone": data["phone"],
        }


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False, widget=PHONE_INPUT)
