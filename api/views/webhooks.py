"""Webhook subscriptions: create (the signing secret shown in that response only), list, retrieve, delete,
send a test event, and each subscription's delivery log. Shop-scoped tokens only: they are the seller's
integration settings, never a storefront's (buyer-facing tokens get 403).
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import get_webhook_subscription_for_principal, webhook_subscriptions_for
from api.idempotency import idempotent
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer
from webhooks.models import TEST_EVENT_TYPE, EventType, WebhookDelivery, WebhookSubscription
from webhooks.selectors import deliveries_for_subscription
from webhooks.services import subscription_create, subscription_delete, subscription_send_test

EVENT_TYPES_HELP = "Event types to send (at least one)."
DELIVERY_EVENT_TYPES = [*EventType.choices, (TEST_EVENT_TYPE, "Test event")]  # what a delivery can carry


class WebhookSubscriptionOutputSerializer(OutputSerializer):
    """A shop's webhook endpoint and the events it gets; `is_active` false once disabled after repeated failure."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), read_only=True,
                                   help_text=EVENT_TYPES_HELP)

    class Meta:
        model = WebhookSubscription
        ref_name = "WebhookSubscription"
        fields = [
            "id", "url", "description", "events", "is_active", "consecutive_failures", "failing_since", "disabled_at",
            "disabled_reason", "created_at",
        ]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionOutputSerializer):
    """The new subscription with its signing secret (this response only)."""

    secret = serializers.CharField(
        read_only=True, help_text="The signing key (`whsec_…`, Standard Webhooks). Shown in this response only: store it now.",
    )

    class Meta(WebhookSubscriptionOutputSerializer.Meta):
        ref_name = "WebhookSubscriptionCreated"
        fields = [*WebhookSubscriptionOutputSerializer.Meta.fields, "secret"]


class WebhookDeliveryOutputSerializer(OutputSerializer):
    """One event sent (or being sent) to one subscription: the delivery log's row."""

    event_id = serializers.CharField(read_only=True, help_text="The webhook-id header: stable across retries.")
    event_type = serializers.ChoiceField(
        source="event.type", read_only=True, choices=DELIVERY_EVENT_TYPES,
    )

    class Meta:
        model = WebhookDelivery
        ref_name = "WebhookDelivery"
        fields = [
            "id", "event_id", "event_type", "status", "attempts", "last_attempt_at", "last_status_code", "last_error",
            "duration_ms", "next_attempt_at", "delivered_at", "created_at",
        ]


class WebhookSubscriptionFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(label="false: the subscriptions disabled after repeated failure.")

    class Meta:
        model = WebhookSubscription
        fields: list[str] = []


class WebhookSubscriptionListView(ApiListView):
    """Subscriptions have no updated_at, so no `updated_since`: a shop has a handful of them."""

    serializer_class = WebhookSubscriptionOutputSerializer
    filterset_class = WebhookSubscriptionFilter
    ordering_fields = ("id", "created_at")

    def get_queryset(self) -> Any:
        return webhook_subscriptions_for(self.who)

    @extend_schema(operation_id="webhooks_list", tags=["webhooks"], summary="List the shop's webhook subscriptions",
                   description="The signing secret is never listed; it is shown once, in the create response.")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookSubscriptionCreateView(ApiView):
    class InputSerializer(StrictSerializer):
        """A new subscription; the secret and the state fields are the server's (refused by name)."""

        class Meta:
            ref_name = "WebhookSubscriptionCreateInput"

        read_only_names = frozenset({
            "id", "secret", "is_active", "consecutive_failures", "failing_since", "disabled_at", "disabled_reason", "created_at",
        })
        url = serializers.CharField(
            max_length=2000, help_text="http(s) endpoint that receives the events (POST, JSON). Hosts that resolve to private, "
            "loopback, link-local or other non-public addresses are refused, and so are user names and passwords in the URL.",
        )
        events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=50,
                                       help_text=EVENT_TYPES_HELP)
        description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(
        operation_id="webhooks_create", tags=["webhooks"], summary="Subscribe an endpoint to events",
        description="201 with the subscription and its signing `secret`, which is shown in this response only (a replay "
        "with the same Idempotency-Key and body returns the same response, secret included). The URL is checked "
        "again before every delivery.",
        request=InputSerializer, responses={201: WebhookSubscriptionCreatedSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        shop = self.who.write_shop()
        self.who.require_full_scope()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription = subscription_create(shop=shop, url=data["url"], events=data["events"], description=data["description"])
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookSubscriptionDetailView(ApiView):
    @extend_schema(operation_id="webhooks_retrieve", tags=["webhooks"], summary="A webhook subscription (without its secret)",
                   responses=WebhookSubscriptionOutputSerializer)
    def get(self, request: Request, subscription_id: int) -> Response:
        return Response(WebhookSubscriptionOutputSerializer(get_webhook_subscription_for_principal(self.who, subscription_id)).data)


class WebhookSubscriptionDeleteView(ApiView):
    @extend_schema(operation_id="webhooks_delete", tags=["webhooks"], summary="Delete a webhook subscription",
                   description="Its delivery log goes with it; nothing more is sent to the URL.", responses={204: None})
    def delete(self, request: Request, subscription_id: int) -> Response:
        subscription_delete(subscription=get_webhook_subscription_for_principal(self.who, subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookTestView(ApiView):
    @extend_schema(
        operation_id="webhooks_test", tags=["webhooks"], summary="Send a test event",
        description="Queues a `webhook.test` event for this subscription alone, delivered (signed, retried) like any "
        "other: 202 with the delivery, whose progress the delivery log shows. A disabled subscription is a 400.",
        request=None, responses={202: WebhookDeliveryOutputSerializer},
    )
    @idempotent
    def post(self, request: Request, subscription_id: int) -> Response:
        delivery = subscription_send_test(subscription=get_webhook_subscription_for_principal(self.who, subscription_id))
        return Response(WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=WebhookDelivery.Status.choices)

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class WebhookDeliveryListView(ApiListView):
    serializer_class = WebhookDeliveryOutputSerializer
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no subscription
            return WebhookDelivery.objects.none()
        return deliveries_for_subscription(get_webhook_subscription_for_principal(self.who, self.kwargs["subscription_id"]))

    @extend_schema(operation_id="webhooks_deliveries_list", tags=["webhooks"], summary="A subscription's delivery log, newest first",
                   description="One row per event sent to the subscription: its status, attempts so far, the last "
                   "response's status code or error, and when the next attempt is due.")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
