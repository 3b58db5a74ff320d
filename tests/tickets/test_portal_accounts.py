"""Buyer portal accounts: sign-up, throttled sign-in, password reset, profile, layout and language switcher."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from orders.models import BuyerProfile
from tests.factories import UserFactory

User = get_user_model()
PASSWORD = "pass-word-123"  # tests.factories.UserFactory's
SIGNUP = {
    "username": "anna", "email": "anna@example.com", "password1": "Sunny-Kazan-2024", "password2": "Sunny-Kazan-2024",
    "language": "zh-hans", "phone": "+7 900 000-00-00",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the sign-in throttle lives in the cache, which outlives a test
    yield
    cache.clear()


def sign_in(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_signup_creates_a_buyer_with_profile_and_signs_in(client, db):
    response = client.post(reverse("portal:signup"), SIGNUP)

    assert response.status_code == 302
    assert response.url == reverse("portal:order-list")
    user = User.objects.get(username="anna")
    assert (user.email, user.is_staff, user.check_password("Sunny-Kazan-2024")) == ("anna@example.com", False, True)
    assert (user.buyer_profile.language, user.buyer_profile.phone) == ("zh-hans", "+7 900 000-00-00")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_signup_refuses_a_taken_username(client, customer):
    response = client.post(reverse("portal:signup"), {**SIGNUP, "username": "Customer"})  # differs only in case

    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert "A user with that username already exists." in response.text
    assert not User.objects.filter(username="Customer").exists()


def test_signup_refuses_mismatched_passwords(client, db):
    response = client.post(reverse("portal:signup"), {**SIGNUP, "password2": "something-else-42"})

    assert "password2" in response.context["form"].errors
    assert not User.objects.filter(username="anna").exists()


def test_signup_page_sends_a_signed_in_user_to_their_orders(client, customer):
    client.force_login(customer)

    assert client.get(reverse("portal:signup")).url == reverse("portal:order-list")


def test_login_page_uses_the_vendored_bootstrap_and_no_cdn(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    stylesheets = re.findall(r'<link[^>]+href="([^"]+)"', response.text)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', response.text)
    assert any("vendor/bootstrap-5.3.8/bootstrap.min.css" in href for href in stylesheets)
    assert any("vendor/bootstrap-5.3.8/bootstrap.bundle.min.js" in src for src in scripts)
    assert not [url for url in stylesheets + scripts if url.startswith(("http:", "https:", "//"))]
    assert re.search(r'<input[^>]+name="password"[^>]+class="[^"]*form-control', response.text)  # crispy-bootstrap5


def test_sign_in_switches_to_the_buyers_language(client, customer):
    response = sign_in(client, "customer", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"  # BuyerProfileFactory's


def test_sign_in_locks_after_ten_failures_even_for_the_right_password(client, customer):
    for _ in range(10):
        assert "Please enter a correct username and password" in sign_in(client, "customer", "wrong").text

    response = sign_in(client, "customer", PASSWORD)

    assert response.status_code == 200
    assert "Too many attempts, try again in 15 minutes." in response.text
    assert "_auth_user_id" not in client.session


def test_sign_in_lock_is_per_username_and_ip_and_expires(client, customer):
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        for _ in range(10):
            sign_in(client, "customer", "wrong")
        assert sign_in(client, "CUSTOMER", PASSWORD).status_code == 200  # still locked: usernames compare casefolded
        traveller.shift(dt.timedelta(minutes=5))
        assert "try again in 10 minutes" in sign_in(client, "customer", PASSWORD).text
        assert sign_in(client, "customer", PASSWORD, ip="10.0.0.2").status_code == 302  # another IP
        client.logout()
        traveller.shift(dt.timedelta(minutes=10, seconds=1))
        assert sign_in(client, "customer", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, customer):
    for _ in range(9):
        sign_in(client, "customer", "wrong")
    assert sign_in(client, "customer", PASSWORD).status_code == 302
    client.logout()
    for _ in range(9):
        sign_in(client, "customer", "wrong")

    assert sign_in(client, "customer", PASSWORD).status_code == 302


def test_sign_out_is_a_post_and_goes_home(client, customer):
    client.force_login(customer)

    response = client.post(reverse("logout"))

    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client, customer, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": customer.email})

    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [customer.email]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session-held one
    response = client.post(form_url, {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"})
    assert response.url == reverse("password_reset_complete")
    customer.refresh_from_db()
    assert customer.check_password("Brand-new-pass-77")


def test_password_reset_pages_are_styled(client, db):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        response = client.get(reverse(name))
        assert "vendor/bootstrap-5.3.8" in response.text, name
        assert "Django administration" not in response.text, name


def test_profile_saves_names_language_and_phone_and_switches_the_language(client, customer):
    client.force_login(customer)
    data = {"first_name": "Anna", "last_name": "Ivanova", "email": "anna@example.org", "language": "en", "phone": "+7 999"}

    response = client.post(reverse("portal:profile"), data)

    assert response.url == reverse("portal:profile")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email) == ("Anna", "Ivanova", "anna@example.org")
    assert (customer.buyer_profile.language, customer.buyer_profile.phone) == ("en", "+7 999")
    assert "Your profile has been saved." in client.get(reverse("portal:profile")).text


def test_profile_gives_a_user_without_one_a_buyer_profile(client, db):
    user = UserFactory(username="plain")
    client.force_login(user)

    assert client.get(reverse("portal:profile")).status_code == 200
    client.post(reverse("portal:profile"), {"email": "plain@example.com", "language": "ru"})

    assert BuyerProfile.objects.get(user=user).language == "ru"


def test_profile_needs_a_signed_in_user(client, db):
    response = client.get(reverse("portal:profile"))

    assert response.url == f"{reverse('login')}?next={reverse('portal:profile')}"


def test_every_page_has_the_language_switcher_and_it_sets_the_cookie(client, db):
    page = client.get(reverse("home")).text
    assert f'action="{reverse("set_language")}"' in page
    for name in ("English", "Русский", "简体中文"):
        assert name in page

    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert '<html lang="ru">' in client.get(reverse("home")).text


def test_home_shows_a_buyer_their_dashboard_and_staff_the_desk(client, customer, agent):
    client.force_login(customer)
    page = client.get(reverse("home")).text
    assert reverse("portal:order-list") in page
    assert reverse("admin:index") not in page

    client.force_login(agent)
    assert reverse("admin:index") in client.get(reverse("home")).text


def test_home_offers_sign_in_and_sign_up_to_visitors(client, db):
    page = client.get(reverse("home")).text

    assert reverse("login") in page
    assert reverse("portal:signup") in page
