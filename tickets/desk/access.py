"""Who may use the agents' desk: staff in the agents or supervisors group, and superusers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

DESK_GROUPS = ("agents", "supervisors")


def _desk_group_names(user: AbstractBaseUser) -> frozenset[str]:
    """The user's desk groups, read once per user object: a desk page asks several times (the view's guard, the
    navigation's desk and supervisor checks), and request.user is one object for the whole request."""
    names = getattr(user, "_desk_group_names", None)
    if names is None:
        names = frozenset(user.groups.filter(name__in=DESK_GROUPS).values_list("name", flat=True))  # type: ignore[attr-defined]
        user._desk_group_names = names  # type: ignore[attr-defined]
    return names


def is_desk_user(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not getattr(user, "is_staff", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(_desk_group_names(user))  # type: ignore[arg-type]


def is_supervisor(user: AbstractBaseUser | AnonymousUser) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return is_desk_user(user) and "supervisors" in _desk_group_names(user)  # type: ignore[arg-type]


def desk_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the sign-in page; signed-in users who are not desk staff get 404,
    so buyers learn nothing about the desk's URLs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_desk_user(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def supervisor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like desk_required, and only for supervisors (reports, approvals): others get 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_supervisor(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def desk_context(request: HttpRequest) -> dict[str, bool]:
    """Template context for the navigation: whether to show the desk and its supervisor-only parts."""
    if not request.path.startswith("/desk/") and not getattr(request.user, "is_staff", False):
        return {"desk_user": False, "desk_is_supervisor": False}
    return {"desk_user": is_desk_user(request.user), "desk_is_supervisor": is_supervisor(request.user)}
