"""/api/: the v1 operations (explicit paths, one view class per operation), the schema, its docs and the token page."""

from __future__ import annotations

from typing import Any

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.errors import not_found
from api.views import carriers, case_messages, cases, claims, orders, parcels, tokens, webhooks

app_name = "api"


def methods(*views: type[Any], name: str) -> Any:
    """One URL, several operations: a class made of the operation classes (each brings its own method)."""
    combined: Any = type(name, tuple(views), {"__doc__": views[0].__doc__})
    return combined.as_view()


urlpatterns = [
    path("v1/orders", methods(orders.OrderListView, orders.OrderUpsertView, name="Orders"), name="orders"),
    path("v1/orders/<int:order_id>", orders.OrderDetailView.as_view(), name="order-detail"),
    path("v1/parcels", methods(parcels.ParcelListView, parcels.ParcelCreateView, name="Parcels"), name="parcels"),
    path("v1/parcels/<int:parcel_id>", parcels.ParcelDetailView.as_view(), name="parcel-detail"),
    path("v1/parcels/<int:parcel_id>/tracking-number", parcels.TrackingNumberChangeView.as_view(), name="parcel-tracking-number"),
    path("v1/cases", methods(cases.CaseListView, cases.CaseCreateView, name="Cases"), name="cases"),
    path("v1/cases/<int:case_id>", cases.CaseDetailView.as_view(), name="case-detail"),
    path("v1/cases/<int:case_id>/status", cases.CaseStatusView.as_view(), name="case-status"),
    path(
        "v1/cases/<int:case_id>/messages",
        methods(case_messages.CaseMessageListView, case_messages.CaseReplyView, name="CaseMessages"), name="case-messages",
    ),
    path("v1/claims", claims.ClaimListView.as_view(), name="claims"),
    path("v1/claims/<int:claim_id>", methods(claims.ClaimDetailView, claims.ClaimUpdateView, name="Claim"), name="claim-detail"),
    path("v1/carriers", carriers.CarrierListView.as_view(), name="carriers"),
    path("v1/carriers/<slug:code>/validate", carriers.CarrierValidateView.as_view(), name="carrier-validate"),
    path(
        "v1/webhooks", methods(webhooks.WebhookSubscriptionListView, webhooks.WebhookSubscriptionCreateView, name="Webhooks"),
        name="webhooks",
    ),
    path(
        "v1/webhooks/<int:subscription_id>",
        methods(webhooks.WebhookSubscriptionDetailView, webhooks.WebhookSubscriptionDeleteView, name="Webhook"), name="webhook-detail",
    ),
    path("v1/webhooks/<int:subscription_id>/test", webhooks.WebhookTestView.as_view(), name="webhook-test"),
    path("v1/webhooks/<int:subscription_id>/deliveries", webhooks.WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<int:token_id>/revoke", tokens.token_revoke_view, name="token-revoke"),
    re_path(r"^(?P<rest>.*)$", not_found),
]
