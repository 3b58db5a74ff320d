"""/api/tokens/: shop staff create and revoke their shop's API tokens (session sign-in; the secret is shown once)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken, TokenScope
from api.services import token_create, token_revoke
from orders.models import Shop, ShopMembership


def manageable_shops(user: User) -> QuerySet[Shop]:
    """Shops whose tokens `user` may manage: their own shops as staff; every shop for superusers."""
    if user.is_superuser:
        return Shop.objects.all()
    return Shop.objects.filter(memberships__user_id=user.pk, memberships__role=ShopMembership.Role.STAFF)


class TokenForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=Shop.objects.none(), label=gettext_lazy("Shop"))
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"), help_text=gettext_lazy("What will use it, e.g. “ERP sync”."))
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.SHOP, label=gettext_lazy("Scope"))

    def __init__(self, *args: object, shops: QuerySet[Shop], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ModelChoiceField, self.fields["shop"]).queryset = shops


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    shops = manageable_shops(user)
    if not shops.exists():
        raise Http404("No shop whose tokens you manage")
    form = TokenForm(request.POST or None, shops=shops)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = token_create(acting_user=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = TokenForm(shops=shops)
    tokens = ApiToken.objects.filter(shop__in=shops).select_related("shop", "created_by")
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens, "secret": secret})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = cast(User, request.user)
    token = ApiToken.objects.filter(id=token_id, shop__in=manageable_shops(user)).first()
    if token is None:
        raise Http404("No such token")
    token_revoke(token=token, acting_user=user)
    messages.success(request, _("Token “%(name)s” is revoked; requests with it now fail.") % {"name": token.name})
    return redirect("api:tokens")
