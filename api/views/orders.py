"""Orders: create-or-update by posting number within the token's shop, list, retrieve with lines."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import get_order_for_principal, orders_for
from api.filters import updated_since_filter
from api.idempotency import idempotent
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer
from orders.models import FulfilmentScheme, Language, Order, OrderLine
from orders.services import BuyerData, OrderLineData, ShippingAddress, order_upsert


class OrderLineOutputSerializer(OutputSerializer):
    class Meta:
        model = OrderLine
        fields = ["sku", "name", "quantity", "unit_price"]


class OrderOutputSerializer(OutputSerializer):
    buyer_email = serializers.EmailField(source="buyer.email", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "order_number", "posting_number", "scheme", "status", "buyer_email", "recipient_name", "recipient_phone",
            "country", "region", "city", "postal_code", "address_line", "declared_value", "currency", "placed_at",
            "shipped_at", "promised_delivery_date", "delivered_at", "created_at", "updated_at",
        ]


class OrderDetailOutputSerializer(OrderOutputSerializer):
    lines = OrderLineOutputSerializer(many=True, read_only=True)

    class Meta(OrderOutputSerializer.Meta):
        fields = [*OrderOutputSerializer.Meta.fields, "lines"]


class OrderFilter(django_filters.FilterSet):
    updated_since = updated_since_filter()
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    order_number = django_filters.CharFilter()
    posting_number = django_filters.CharFilter()

    class Meta:
        model = Order
        fields: list[str] = []


class OrderListView(ApiListView):
    serializer_class = OrderOutputSerializer
    filterset_class = OrderFilter
    ordering_fields = ("id", "updated_at", "placed_at")

    def get_queryset(self) -> Any:
        return orders_for(self.who)

    @extend_schema(operation_id="orders_list", summary="List the shop's orders", tags=["orders"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class OrderLineInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=300)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class BuyerInputSerializer(StrictSerializer):
    """Found by e-mail (case-insensitive), else created as a new buyer; used only when the posting is new."""

    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False, default=Language.RUSSIAN)


class OrderUpsertView(ApiView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "OrderUpsertInput"

        read_only_names = frozenset({"id", "status", "buyer_email", "shipped_at", "delivered_at", "created_at", "updated_at"})

        order_number = serializers.CharField(max_length=64)
        posting_number = serializers.CharField(max_length=64)
        buyer = BuyerInputSerializer()
        scheme = serializers.ChoiceField(choices=FulfilmentScheme.choices, required=False)
        recipient_name = serializers.CharField(max_length=200)
        recipient_phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
        country = serializers.RegexField(r"^[A-Z]{2}$", required=False, default="RU")
        region = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
        city = serializers.CharField(max_length=120)
        postal_code = serializers.CharField(max_length=16, required=False, default="", allow_blank=True)
        address_line = serializers.CharField(max_length=300)
        declared_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="RUB")
        placed_at = serializers.DateTimeField()
        promised_delivery_date = serializers.DateField(required=False, allow_null=True, default=None)
        lines = OrderLineInputSerializer(many=True, required=False)

    @extend_schema(
        operation_id="orders_upsert", tags=["orders"], summary="Create an order, or update it by posting number",
        description="The key is the posting number within the token's shop: 201 when the posting is new, 200 when it "
        "was updated. An update keeps the buyer and status; `lines`, when sent, replace the stored lines.",
        request=InputSerializer, responses={201: OrderDetailOutputSerializer, 200: OrderDetailOutputSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        shop = self.who.write_shop()
        self.who.require_full_scope()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order, created = order_upsert(
            shop=shop, buyer=BuyerData(**data["buyer"]), order_number=data["order_number"], posting_number=data["posting_number"],
            address=ShippingAddress(**{k: data[k] for k in ("recipient_name", "city", "address_line", "country", "region",
                                                          "postal_code", "recipient_phone")}),
            declared_value=data["declared_value"], currency=data["currency"], placed_at=data["placed_at"],
            lines=[OrderLineData(**line) for line in data["lines"]] if "lines" in data else None,
            scheme=data.get("scheme"), promised_delivery_date=data["promised_delivery_date"],
        )
        order = get_order_for_principal(self.who, order.id)
        body = OrderDetailOutputSerializer(order).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OrderDetailView(ApiView):
    @extend_schema(operation_id="orders_retrieve", tags=["orders"], summary="An order with its lines",
                   responses=OrderDetailOutputSerializer)
    def get(self, request: Request, order_id: int) -> Response:
        order = get_order_for_principal(self.who, order_id)
        return Response(OrderDetailOutputSerializer(order).data)
