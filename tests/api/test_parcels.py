from __future__ import annotations

import pytest

from logistics.models import AnomalyKind, Parcel, TrackingNumberChange
from tests.api.conftest import assert_problem
from tests.factories import CarrierFactory, ParcelFactory, TrackingEventFactory

pytestmark = pytest.mark.django_db


def test_create_validates_the_number_for_the_carrier(api, order, carrier):
    response = api.post("/api/v1/parcels", {"order": order.id, "carrier": "cdek", "tracking_number": "12345"})
    problem = assert_problem(response, 400)
    assert "tracking_number" in problem["errors"] and "10 digits" in problem["errors"]["tracking_number"][0]
    response = api.post("/api/v1/parcels", {"order": order.id, "carrier": "cdek", "tracking_number": " 1234567890 "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tracking_number"] == "1234567890" and body["status"] == "pending" and body["events"] == []
    assert Parcel.objects.get(id=body["id"]).order == order


def test_create_on_another_shops_order_is_a_field_error_without_a_parcel(api, other_order, carrier):
    problem = assert_problem(api.post("/api/v1/parcels", {"order": other_order.id, "carrier": "cdek", "tracking_number": "1234567890"}), 400)
    assert problem["errors"] == {"order": ["Not found."]}
    assert not Parcel.objects.exists()


def test_create_with_unknown_carrier(api, order):
    problem = assert_problem(api.post("/api/v1/parcels", {"order": order.id, "carrier": "nope", "tracking_number": "1234567890"}), 400)
    assert "carrier" in problem["errors"]


def test_retrieve_has_events_newest_first_and_anomalies(api, parcel):
    TrackingEventFactory(parcel=parcel, event_key="a", status="in_transit", occurred_at=parcel.created_at)
    TrackingEventFactory(parcel=parcel, event_key="b", status="delivered")
    parcel.anomalies.create(kind=AnomalyKind.DELAYED)
    body = api.get(f"/api/v1/parcels/{parcel.id}").json()
    assert [e["status"] for e in body["events"]] == ["delivered", "in_transit"]
    assert body["anomalies"] == ["delayed"] and body["carrier"] == "cdek"


def test_other_shops_parcel_is_not_found(api, other_order):
    theirs = ParcelFactory(order=other_order)
    assert_problem(api.get(f"/api/v1/parcels/{theirs.id}"), 404)
    assert_problem(api.post(f"/api/v1/parcels/{theirs.id}/tracking-number", {"tracking_number": "0987654321", "reason": "x"}), 404)


def test_list_filters_by_status_and_anomaly(api, order, other_order):
    late = ParcelFactory(order=order, status="in_transit")
    late.anomalies.create(kind=AnomalyKind.DELAYED)
    cleared = ParcelFactory(order=order, status="in_transit")
    cleared.anomalies.create(kind=AnomalyKind.STALLED, resolved_at=cleared.created_at)
    done = ParcelFactory(order=order, status="delivered")
    theirs = ParcelFactory(order=other_order, status="in_transit")
    theirs.anomalies.create(kind=AnomalyKind.DELAYED)

    def ids(**params):
        return {row["id"] for row in api.get("/api/v1/parcels", params).json()["results"]}

    assert ids() == {late.id, cleared.id, done.id}
    assert ids(status="in_transit") == {late.id, cleared.id}
    assert ids(status=["delivered", "in_transit"]) == {late.id, cleared.id, done.id}
    assert ids(anomaly="delayed") == {late.id}
    assert ids(anomaly="stalled") == set()  # resolved anomalies do not count
    assert ids(has_anomaly="true") == {late.id}
    assert ids(has_anomaly="false") == {cleared.id, done.id}


def test_list_by_unknown_status_value_is_a_400(api):
    assert "status" in assert_problem(api.get("/api/v1/parcels", {"status": "teleported"}), 400)["errors"]


def test_change_tracking_number_goes_through_the_service_and_keeps_history(api, parcel, shop_owner):
    response = api.post(f"/api/v1/parcels/{parcel.id}/tracking-number", {"tracking_number": "1111111111", "reason": "Relabelled"})
    assert response.status_code == 201, response.content
    change = TrackingNumberChange.objects.get()
    assert (change.old_number, change.new_number, change.changed_by) == ("1234567890", "1111111111", shop_owner)
    assert response.json()["old_number"] == "1234567890"
    parcel.refresh_from_db()
    assert parcel.tracking_number == "1111111111"


def test_change_tracking_number_to_another_carrier_checks_its_format(api, parcel):
    CarrierFactory(code="rp", number_formats=["s10"])
    problem = assert_problem(api.post(f"/api/v1/parcels/{parcel.id}/tracking-number",
                                      {"tracking_number": "RB123456789CN", "reason": "x", "carrier": "rp"}), 400)
    assert "check digit" in problem["errors"]["tracking_number"][0]


def test_change_to_the_same_number_is_refused(api, parcel):
    problem = assert_problem(api.post(f"/api/v1/parcels/{parcel.id}/tracking-number", {"tracking_number": "1234567890", "reason": "x"}), 400)
    assert "tracking_number" in problem["errors"]


def test_buyer_facing_token_cannot_change_numbers(buyer_api, parcel):
    assert_problem(buyer_api.post(f"/api/v1/parcels/{parcel.id}/tracking-number", {"tracking_number": "1111111111", "reason": "x"}), 403)
