"""Buyer account pages under /accounts/ (namespace "portal").

Sign-in, sign-out and password reset are Django's auth views, included un-namespaced at the same
prefix in supportdesk/urls.py (names login, logout, password_reset, ...).
"""

from django.urls import URLPattern, path

from tickets.portal import accounts

urlpatterns: list[URLPattern] = [
    path("signup/", accounts.signup, name="signup"),
    path("profile/", accounts.profile, name="profile"),
]
