"""Buyer portal: the signed-in user's notifications. Listing them marks nothing read; opening one does."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from tickets.notifications import (
    get_notification_for_user,
    notification_mark_read,
    notifications_for_user,
    notifications_mark_all_read,
)

PAGE_SIZE = 30


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_mark_read(notification=get_notification_for_user(request.user, pk))
    # only a path on this site: a stored URL must never send the buyer elsewhere
    local = notification.url.startswith("/") and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None)
    return redirect(notification.url if local else reverse("portal:notification-list"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect("portal:notification-list")
