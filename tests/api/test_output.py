"""The output serializers' prepared readers render every row exactly as DRF's generic to_representation does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework import serializers

from api.views import base
from api.views.cases import CaseOutputSerializer
from api.views.claims import ClaimOutputSerializer
from api.views.orders import OrderLineOutputSerializer, OrderOutputSerializer
from api.views.parcels import ParcelOutputSerializer
from tests.factories import ClaimFactory, OrderLineFactory, TicketFactory
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

MOSCOW = dt.timezone(dt.timedelta(hours=3))


def drf(serializer: serializers.ModelSerializer, instance: object) -> dict:  # type: ignore[type-arg]
    return dict(serializers.ModelSerializer.to_representation(serializer, instance))


def test_a_case_renders_as_drf_renders_it_with_and_without_optional_values(order, parcel):
    settled = TicketFactory(order=order, parcel=parcel, status=TicketStatus.RESOLVED)
    settled.first_responded_at = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=MOSCOW)  # not UTC: converted
    settled.resolved_at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    fresh = Ticket.objects.select_related("buyer").get(pk=TicketFactory(order=order, parcel=None).pk)
    for case in (settled, fresh):
        fast = CaseOutputSerializer(case).data
        assert fast == drf(CaseOutputSerializer(), case)
        assert list(fast) == list(CaseOutputSerializer().fields)  # same keys, same order
    assert CaseOutputSerializer(settled).data["first_responded_at"] == "2026-03-01T09:30:15.123456Z"
    assert CaseOutputSerializer(fresh).data["parcel"] is None


def test_a_page_of_values_rows_renders_as_the_cases_themselves(order, parcel):
    TicketFactory(order=order, parcel=parcel, status=TicketStatus.RESOLVED, resolved_at=dt.datetime(2026, 3, 2, tzinfo=MOSCOW))
    TicketFactory(order=order, parcel=None)
    rows = Ticket.objects.order_by("id").values(*CaseOutputSerializer.model_paths())
    cases = Ticket.objects.order_by("id")
    assert CaseOutputSerializer(rows, many=True).data == [drf(CaseOutputSerializer(), case) for case in cases]


def test_values_rows_cannot_stand_for_a_path_through_a_nullable_relation():
    class ParcelNumber(base.OutputSerializer):
        tracking_number = serializers.CharField(source="parcel.tracking_number")  # no parcel: DRF leaves the key out

        class Meta:
            model = Ticket
            fields = ["id", "tracking_number"]

    assert base._readers(ParcelNumber) is not None
    with pytest.raises(TypeError, match="tracking_number"):
        base._readers(ParcelNumber, from_values=True)


def test_a_status_set_in_python_renders_as_its_plain_value(case):
    case.status = TicketStatus.OPEN  # an enum member, as services leave it on the instance
    assert CaseOutputSerializer(case).data["status"] == drf(CaseOutputSerializer(), case)["status"] == "open"
    assert type(CaseOutputSerializer(case).data["status"]) is str


def test_orders_lines_parcels_and_claims_render_as_drf_renders_them(order, parcel):
    line = OrderLineFactory(order=order, unit_price=Decimal("12.50"))
    claim = ClaimFactory(ticket=TicketFactory(order=order))
    for serializer_class, instance in ((OrderOutputSerializer, order), (OrderLineOutputSerializer, line), (ClaimOutputSerializer, claim)):
        assert serializer_class(instance).data == drf(serializer_class(), instance)
    parcel.active_anomalies = []
    assert ParcelOutputSerializer(parcel).data == drf(ParcelOutputSerializer(), parcel)


def test_a_serializer_with_a_field_that_is_not_plain_keeps_drf_s_path():
    assert base._readers(ParcelOutputSerializer) is None  # a method field and a slug field: DRF renders it
    for plain in (CaseOutputSerializer, OrderOutputSerializer, OrderLineOutputSerializer, ClaimOutputSerializer):
        assert base._readers(plain) is not None
