"""Buyer accounts: sign up, sign in (throttled), profile. Password reset and sign-out are Django's own views."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from orders.models import BuyerProfile
from orders.services import buyer_create, buyer_update_profile
from tickets.portal.forms_accounts import ProfileForm, SignUpForm, ThrottledAuthenticationForm


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Switch the UI language the way django.views.i18n.set_language does: through its cookie."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def buyer_profile_language(user: User) -> str | None:
    profile = BuyerProfile.objects.filter(user=user).only("language").first()
    return profile.language if profile else None


class SignInView(LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: ThrottledAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        language = buyer_profile_language(cast(User, form.get_user()))
        return remember_language(response, language) if language else response


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:order-list")
    form = SignUpForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        user = buyer_create(**form.buyer_data())
        login(request, user)
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Welcome! Your account is ready."))
        return remember_language(redirect("portal:order-list"), form.cleaned_data["language"])
    return render(request, "portal/accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    buyer = BuyerProfile.objects.filter(user=user).first()
    initial = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
               "language": buyer.language if buyer else translation.get_language(), "phone": buyer.phone if buyer else ""}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        buyer_update_profile(user=user, **form.cleaned_data)
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Your profile has been saved."))
        return remember_language(redirect("portal:profile"), form.cleaned_data["language"])
    return render(request, "portal/accounts/profile.html", {"form": form})
