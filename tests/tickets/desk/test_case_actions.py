"""The side panel's actions: assignment, workflow status, priority, evidence request, macros, tracking-number change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.utils import translation

from logistics.models import TrackingNumberChange
from logistics.statuses import ParcelStatus
from orders.models import BuyerProfile, ShopMembership
from tests.factories import CarrierFactory, ShopMembershipFactory, UserFactory
from tests.tickets.desk.case_helpers import case_url, lost_parcel_case, make_macro
from tickets.models import (
    Attachment,
    EvidenceKind,
    Message,
    Notification,
    NotificationKind,
    Ticket,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(shop, customer):
    return lost_parcel_case(shop, customer)


@pytest.fixture
def colleague(shop):
    user = ShopMembershipFactory(shop=shop, user=UserFactory(username="li", is_staff=True), role=ShopMembership.Role.AGENT).user
    user.groups.add(Group.objects.get(name="agents"))
    return user


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def set_language(user, language: str) -> None:
    BuyerProfile.objects.filter(user=user).update(language=language)


# --- assignment ---

def test_assign_to_me_then_to_a_colleague_then_unassign(client, desk_agent, colleague, case):
    client.force_login(desk_agent)
    assert client.post(case_url(case, "desk:case-assign"), {"assignee": desk_agent.pk}).status_code == 302
    case.refresh_from_db()
    assert case.assignee == desk_agent
    client.post(case_url(case, "desk:case-assign"), {"assignee": colleague.pk})
    case.refresh_from_db()
    assert case.assignee == colleague
    client.force_login(colleague)
    client.post(case_url(case, "desk:case-assign"), {"assignee": ""})
    case.refresh_from_db()
    assert case.assignee is None
    assert TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.ASSIGNED).count() == 3


def test_the_assignee_menu_offers_only_agents_of_the_shop(client, desk_agent, colleague, case, other_agent):
    client.force_login(desk_agent)
    agents = client.get(case_url(case)).context["page"].agents
    assert set(agents) == {desk_agent, colleague}
    response = client.post(case_url(case, "desk:case-assign"), {"assignee": other_agent.pk})
    case.refresh_from_db()
    assert case.assignee is None and shown(response)


def test_taking_a_colleagues_case_needs_a_supervisor(client, desk_agent, colleague, case):
    case.assignee = colleague
    case.save(update_fields=["assignee"])
    client.force_login(desk_agent)
    response = client.post(case_url(case, "desk:case-assign"), {"assignee": desk_agent.pk})
    assert "only a supervisor can reassign it" in shown(response)[0]
    case.refresh_from_db()
    assert case.assignee == colleague
    desk_agent.groups.add(Group.objects.get(name="supervisors"))
    client.post(case_url(case, "desk:case-assign"), {"assignee": desk_agent.pk})
    case.refresh_from_db()
    assert case.assignee == desk_agent


# --- workflow status and priority ---

def test_status_buttons_follow_the_workflow(client, desk_agent, case):
    client.force_login(desk_agent)
    offered = [value for value, _label in client.get(case_url(case)).context["page"].statuses]
    assert set(offered) == {s for s in TicketStatus.values if case.can_transition_to(s)}
    client.post(case_url(case, "desk:case-status"), {"status": TicketStatus.RESOLVED})
    case.refresh_from_db()
    assert case.status == TicketStatus.RESOLVED
    offered = [value for value, _label in client.get(case_url(case)).context["page"].statuses]
    assert offered == [TicketStatus.OPEN, TicketStatus.CLOSED]


def test_a_move_the_workflow_refuses_is_a_clear_message(client, desk_agent, case):
    case.status = TicketStatus.RESOLVED
    case.save(update_fields=["status"])
    client.force_login(desk_agent)
    response = client.post(case_url(case, "desk:case-status"), {"status": TicketStatus.WAITING_ON_CARRIER})
    assert shown(response) == ["A case cannot go from Resolved to Waiting on carrier."]
    case.refresh_from_db()
    assert case.status == TicketStatus.RESOLVED
    assert not TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.STATUS_CHANGED).exists()


def test_an_unknown_status_is_refused(client, desk_agent, case):
    client.force_login(desk_agent)
    response = client.post(case_url(case, "desk:case-status"), {"status": "deleted"})
    assert shown(response) and case.status == TicketStatus.NEW


def test_priority_change_writes_an_event(client, desk_agent, case):
    client.force_login(desk_agent)
    client.post(case_url(case, "desk:case-priority"), {"priority": TicketPriority.URGENT})
    case.refresh_from_db()
    assert case.priority == TicketPriority.URGENT
    assert TicketEvent.objects.get(ticket=case, kind=TicketEvent.Kind.PRIORITY_CHANGED).new_value == "urgent"


# --- evidence request ---

@pytest.mark.parametrize(("language", "intro", "item"), [
    ("en", "To move your case forward we still need the following from you:", "- Proof of value (invoice, payment)"),
    ("ru", "Чтобы мы могли продолжить работу по обращению, пришлите, пожалуйста:", "- Подтверждение стоимости (счёт, оплата)"),
    ("zh-hans", "为了继续处理您的工单，我们还需要您提供以下材料：", "- 价值证明（发票、付款凭证）"),
])
def test_request_missing_evidence_asks_in_the_buyers_language_and_waits_on_them(client, desk_agent, case, language, intro, item):
    set_language(case.buyer, language)
    Attachment.objects.create(ticket=case, message=case.messages.first(), file="evidence/x", original_name="timeline.png",
                              content_type="image/png", size=5, evidence_kind=EvidenceKind.TRACKING_TIMELINE)
    client.force_login(desk_agent)
    assert 'id="request-evidence"' in client.get(case_url(case)).content.decode()
    client.post(case_url(case, "desk:case-request-evidence"))
    message = Message.objects.get(ticket=case, author=desk_agent)
    assert message.visibility == Message.Visibility.PUBLIC
    assert message.body.startswith(intro) and item in message.body
    with translation.override(language):
        assert str(EvidenceKind.TRACKING_TIMELINE.label) not in message.body  # already there: not asked again
    case.refresh_from_db()
    assert case.status == TicketStatus.WAITING_ON_BUYER


def test_request_missing_evidence_when_nothing_is_missing_says_so(client, desk_agent, case):
    for kind in case.required_evidence:
        Attachment.objects.create(ticket=case, message=case.messages.first(), file="evidence/x", original_name="f.png",
                                  content_type="image/png", size=5, evidence_kind=kind)
    client.force_login(desk_agent)
    assert 'id="request-evidence"' not in client.get(case_url(case)).content.decode()
    response = client.post(case_url(case, "desk:case-request-evidence"))
    assert "Nothing is missing" in shown(response)[0]
    assert not Message.objects.filter(author=desk_agent).exists()


# --- macros ---

def test_macro_preview_is_in_the_buyers_language(client, desk_agent, shop, case):
    set_language(case.buyer, "ru")
    macro = make_macro(shop=shop, texts={"en": "Hello {tracking_number}", "ru": "Здравствуйте, посылка {tracking_number}"})
    client.force_login(desk_agent)
    response = client.get(case_url(case, "desk:case-macro-preview") + f"?macro={macro.pk}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert f"Здравствуйте, посылка {case.parcel.tracking_number}" in html and ">ru<" in html
    assert "<html" not in html


def test_macro_apply_posts_the_reply_and_makes_its_changes(client, desk_agent, shop, case):
    macro = make_macro(shop=shop, set_status=TicketStatus.WAITING_ON_CARRIER, assign_to_self=True)
    client.force_login(desk_agent)
    response = client.post(case_url(case, "desk:case-macro-apply"), {"macro": macro.pk})
    assert "applied" in shown(response)[0]
    case.refresh_from_db()
    assert case.status == TicketStatus.WAITING_ON_CARRIER and case.assignee == desk_agent
    assert Message.objects.get(ticket=case, author=desk_agent).body.startswith("Hello")


def test_a_macro_of_another_shop_is_neither_offered_nor_applied(client, desk_agent, other_shop, case):
    macro = make_macro(shop=other_shop)
    client.force_login(desk_agent)
    assert macro not in client.get(case_url(case)).context["page"].macros
    client.post(case_url(case, "desk:case-macro-apply"), {"macro": macro.pk})
    assert not Message.objects.filter(author=desk_agent).exists()


# --- tracking-number change ---

def test_tracking_number_change_from_the_case_tells_the_buyer_and_shows_in_conversation_and_history(
    client, desk_agent, case, django_capture_on_commit_callbacks, mailoutbox,
):
    parcel = case.parcel
    CarrierFactory(code="other", name="Other Post")
    client.force_login(desk_agent)
    prefix = f"p{parcel.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(case_url(case, "desk:case-tracking-number", parcel.pk),
                               {f"{prefix}-new_number": "CDX777", f"{prefix}-new_carrier": "", f"{prefix}-reason": "Label reprinted"})
    assert response.status_code == 302
    change = TrackingNumberChange.objects.get(parcel=parcel)
    assert (change.new_number, change.changed_by, change.reason) == ("CDX777", desk_agent, "Label reprinted")
    parcel.refresh_from_db()
    assert parcel.tracking_number == "CDX777" and parcel.status == ParcelStatus.PENDING
    assert Notification.objects.filter(user=case.buyer, kind=NotificationKind.TRACKING_NUMBER_CHANGED).count() == 1
    assert len(mailoutbox) == 1
    system = Message.objects.get(ticket=case, author=None)
    assert "CDX777" in system.body and system.visibility == Message.Visibility.PUBLIC
    html = client.get(case_url(case)).content.decode()
    assert f'id="parcel-{parcel.pk}-changes"' in html and "Label reprinted" in html
    from tickets.notifications import tickets_notify_tracking_number_changes
    assert tickets_notify_tracking_number_changes() == 0  # the scan does not announce it a second time


def test_tracking_number_change_errors_show_on_the_form(client, desk_agent, case):
    parcel = case.parcel
    parcel.carrier.number_formats = ["cdek"]
    parcel.carrier.save(update_fields=["number_formats"])
    old = parcel.tracking_number
    client.force_login(desk_agent)
    prefix = f"p{parcel.pk}"
    response = client.post(case_url(case, "desk:case-tracking-number", parcel.pk),
                           {f"{prefix}-new_number": "12", f"{prefix}-reason": ""})
    assert response.status_code == 200
    form = dict(response.context["tracking_forms"])[parcel]
    assert form.errors and "reason" in form.errors
    response = client.post(case_url(case, "desk:case-tracking-number", parcel.pk),
                           {f"{prefix}-new_number": "12", f"{prefix}-reason": "typo"})
    form = dict(response.context["tracking_forms"])[parcel]
    assert "new_number" in form.errors
    parcel.refresh_from_db()
    assert parcel.tracking_number == old and not TrackingNumberChange.objects.exists()


def test_tracking_number_change_on_an_order_level_case_leaves_an_internal_note(client, desk_agent, case):
    parcel = case.parcel
    Ticket.objects.filter(pk=case.pk).update(parcel=None)
    client.force_login(desk_agent)
    prefix = f"p{parcel.pk}"
    client.post(case_url(case, "desk:case-tracking-number", parcel.pk), {f"{prefix}-new_number": "CDX778", f"{prefix}-reason": "Re-labelled"})
    note = Message.objects.get(ticket=case, author=desk_agent)
    assert note.visibility == Message.Visibility.INTERNAL and "CDX778" in note.body and "Re-labelled" in note.body
    assert Notification.objects.filter(user=case.buyer, kind=NotificationKind.TRACKING_NUMBER_CHANGED).count() == 1


def test_macro_preview_of_an_unknown_macro_is_empty(client, desk_agent, case):
    client.force_login(desk_agent)
    response = client.get(case_url(case, "desk:case-macro-preview") + "?macro=999999")
    assert response.status_code == 200 and 'id="macro-preview-body"' not in response.content.decode()


def test_an_unknown_priority_is_refused(client, desk_agent, case):
    client.force_login(desk_agent)
    response = client.post(case_url(case, "desk:case-priority"), {"priority": "whenever"})
    assert shown(response)
    case.refresh_from_db()
    assert case.priority == TicketPriority.NORMAL
    assert not TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.PRIORITY_CHANGED).exists()


def test_a_superuser_works_any_shops_case(client, superuser, case):
    client.force_login(superuser)
    assert client.get(case_url(case)).status_code == 200
    client.post(case_url(case, "desk:case-assign"), {"assignee": superuser.pk})
    case.refresh_from_db()
    assert case.assignee == superuser
