"""Parcels: create, change the tracking number, list by status and anomaly, retrieve with events."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import Principal, get_order_for_principal, get_parcel_for_principal, parcels_for
from api.filters import updated_since_filter
from api.idempotency import idempotent
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer, field_404
from logistics.models import AnomalyKind, Carrier, Parcel, ParcelAnomaly, TrackingEvent, TrackingNumberChange
from logistics.selectors import TIMELINE_ORDER
from logistics.services import parcel_change_tracking_number, parcel_create
from logistics.statuses import ParcelStatus

_ACTIVE_ANOMALY = ParcelAnomaly.objects.filter(parcel_id=OuterRef("pk"), resolved_at__isnull=True)


class TrackingEventOutputSerializer(OutputSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["occurred_at", "status", "raw_code", "raw_description", "location"]


class ParcelOutputSerializer(OutputSerializer):
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    order = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]
    anomalies = serializers.SerializerMethodField(help_text="Detected problems that still hold.")

    class Meta:
        model = Parcel
        fields = [
            "id", "order", "direction", "carrier", "tracking_number", "status", "status_changed_at", "last_event_at",
            "promised_date", "anomalies", "created_at", "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=AnomalyKind.choices)))
    def get_anomalies(self, parcel: Parcel) -> list[str]:
        return sorted(a.kind for a in parcel.active_anomalies)  # type: ignore[attr-defined]


class ParcelDetailOutputSerializer(ParcelOutputSerializer):
    events = TrackingEventOutputSerializer(many=True, read_only=True, source="timeline")

    class Meta(ParcelOutputSerializer.Meta):
        fields = [*ParcelOutputSerializer.Meta.fields, "events"]


def _with_anomalies(parcels: QuerySet[Parcel]) -> QuerySet[Parcel]:
    active = Prefetch("anomalies", queryset=ParcelAnomaly.objects.filter(resolved_at__isnull=True), to_attr="active_anomalies")
    return parcels.prefetch_related(active)


def _detail(who: Principal, parcel_id: object) -> Parcel:
    """The parcel with its anomalies and its timeline (newest first), through the principal's scope."""
    timeline = Prefetch("events", queryset=TrackingEvent.objects.order_by(*TIMELINE_ORDER), to_attr="timeline")
    return get_parcel_for_principal(who, parcel_id, queryset=_with_anomalies(parcels_for(who)).prefetch_related(timeline))


class ParcelFilter(django_filters.FilterSet):
    updated_since = updated_since_filter()
    status = django_filters.MultipleChoiceFilter(choices=ParcelStatus.choices)
    anomaly = django_filters.ChoiceFilter(choices=AnomalyKind.choices, method="filter_anomaly", label="Has this unresolved anomaly.")
    has_anomaly = django_filters.BooleanFilter(method="filter_has_anomaly", label="Has (true) or has no (false) unresolved anomaly.")
    order = django_filters.NumberFilter(field_name="order_id")
    tracking_number = django_filters.CharFilter()
    carrier = django_filters.CharFilter(field_name="carrier__code")

    class Meta:
        model = Parcel
        fields: list[str] = []

    def filter_anomaly(self, queryset: QuerySet[Parcel], name: str, value: str) -> QuerySet[Parcel]:
        return queryset.filter(Exists(_ACTIVE_ANOMALY.filter(kind=value)))

    def filter_has_anomaly(self, queryset: QuerySet[Parcel], name: str, value: bool | None) -> QuerySet[Parcel]:
        if value is None:
            return queryset
        return queryset.filter(Exists(_ACTIVE_ANOMALY)) if value else queryset.exclude(Exists(_ACTIVE_ANOMALY))


class ParcelListView(ApiListView):
    serializer_class = ParcelOutputSerializer
    filterset_class = ParcelFilter

    def get_queryset(self) -> Any:
        return _with_anomalies(parcels_for(self.who))

    @extend_schema(operation_id="parcels_list", tags=["parcels"], summary="List parcels by status and anomaly")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ParcelDetailView(ApiView):
    @extend_schema(operation_id="parcels_retrieve", tags=["parcels"], summary="A parcel with its tracking events",
                   responses=ParcelDetailOutputSerializer)
    def get(self, request: Request, parcel_id: int) -> Response:
        return Response(ParcelDetailOutputSerializer(_detail(self.who, parcel_id)).data)


class ParcelCreateView(ApiView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ParcelCreateInput"

        read_only_names = frozenset({"id", "status", "status_changed_at", "last_event_at", "anomalies", "created_at", "updated_at", "events"})

        order = serializers.IntegerField(help_text="Id of one of the shop's orders.")
        carrier = serializers.SlugField(max_length=40, help_text="Carrier code, see GET /api/v1/carriers.")
        tracking_number = serializers.CharField(max_length=64)
        direction = serializers.ChoiceField(choices=Parcel.Direction.choices, required=False, default=Parcel.Direction.FORWARD)
        promised_date = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(operation_id="parcels_create", tags=["parcels"], summary="Start tracking a parcel of an order",
                   request=InputSerializer, responses={201: ParcelDetailOutputSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        self.who.require_full_scope()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = field_404(lambda: get_order_for_principal(self.who, data["order"]), "order")
        carrier = _carrier(data["carrier"])
        parcel = parcel_create(
            order=order, carrier=carrier, tracking_number=data["tracking_number"], direction=data["direction"],
            promised_date=data["promised_date"],
        )
        return Response(ParcelDetailOutputSerializer(_detail(self.who, parcel.id)).data, status=status.HTTP_201_CREATED)


class TrackingNumberChangeView(ApiView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "TrackingNumberChangeInput"

        tracking_number = serializers.CharField(max_length=64)
        reason = serializers.CharField(max_length=300, help_text="Why it changes; the buyer will see it.")
        carrier = serializers.SlugField(max_length=40, required=False, help_text="The new carrier's code, if it changes too.")

    class OutputSerializer(OutputSerializer):
        old_carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
        new_carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]

        class Meta:
            model = TrackingNumberChange
            ref_name = "TrackingNumberChange"
            fields = ["id", "parcel", "old_carrier", "old_number", "new_carrier", "new_number", "reason", "changed_at"]

    @extend_schema(
        operation_id="parcels_change_tracking_number", tags=["parcels"], summary="Replace a parcel's tracking number",
        description="Validated for the (new) carrier, kept in the parcel's history, and the buyer is notified; "
        "polling restarts on the new number.", request=InputSerializer, responses={201: OutputSerializer},
    )
    @idempotent
    def post(self, request: Request, parcel_id: int) -> Response:
        self.who.require_full_scope()
        parcel = get_parcel_for_principal(self.who, parcel_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        carrier = _carrier(data["carrier"]) if "carrier" in data else None
        change = parcel_change_tracking_number(
            parcel=parcel, new_number=data["tracking_number"], reason=data["reason"], acting_user=self.who.user, new_carrier=carrier,
        )
        return Response(self.OutputSerializer(change).data, status=status.HTTP_201_CREATED)


def _carrier(code: str) -> Carrier:
    carrier = Carrier.objects.filter(code=code, is_active=True).first()
    if carrier is None:
        raise serializers.ValidationError({"carrier": [_("No active carrier has this code.")]})
    return carrier
