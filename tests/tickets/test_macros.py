"""Macros: rendering in the buyer's language, applying through the services, and the admin around them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from logistics.statuses import ParcelStatus
from orders.models import BuyerProfile, ShopMembership
from tests.factories import (
    BuyerFactory,
    CarrierFactory,
    OrderFactory,
    ParcelFactory,
    ShopMembershipFactory,
    TicketFactory,
    TrackingEventFactory,
    UserFactory,
)
from tickets.macros import macro_apply, macro_render
from tickets.models import MACRO_PLACEHOLDERS, Macro, MacroText, Message, Notification, Ticket, TicketEvent, TicketStatus

Kind = TicketEvent.Kind
CHANGELIST = "admin:tickets_ticket_changelist"
ALL_PLACEHOLDERS = " | ".join(f"{{{name}}}" for name in MACRO_PLACEHOLDERS)


def make_macro(shop=None, texts=None, **kwargs) -> Macro:
    macro = Macro.objects.create(name=kwargs.pop("name", "Where is my parcel"), shop=shop, **kwargs)
    for language, body in (texts or {"en": "Hello {buyer_name}, about {case_reference}."}).items():
        MacroText.objects.create(macro=macro, language=language, body=body)
    return macro


@pytest.fixture
def case(shop, customer):
    """A case with everything a macro can mention: order, parcel, carrier link, two scans."""
    customer.first_name, customer.last_name = "Anna", "Ivanova"
    customer.save(update_fields=["first_name", "last_name"])
    order = OrderFactory(shop=shop, buyer=customer, order_number="57001234-0050", posting_number="57001234-0050-1")
    carrier = CarrierFactory(code="cdek", name="CDEK", tracking_url_template="https://cdek.example/track?n={number}")
    parcel = ParcelFactory(order=order, carrier=carrier, tracking_number="1234567890", promised_date=dt.date(2025, 3, 5))
    TrackingEventFactory(parcel=parcel, occurred_at=dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), raw_description="Accepted")
    TrackingEventFactory(
        parcel=parcel, occurred_at=dt.datetime(2025, 3, 3, 22, 30, tzinfo=dt.UTC),  # 4 March in Moscow
        raw_description="Arrived at the sorting centre", location="Kazan",
    )
    return TicketFactory(order=order, parcel=parcel)


def set_language(user, language: str) -> None:
    profile = user.buyer_profile
    profile.language = language
    profile.save(update_fields=["language"])


# --- rendering ---

EXPECTED = {
    "ru": "Anna Ivanova | 57001234-0050 | 57001234-0050-1 | 1234567890 | CDEK | https://cdek.example/track?n=1234567890"
          " | 5 марта 2025 г. | Arrived at the sorting centre, Kazan (4 марта 2025 г.) | {ref}",
    "zh-hans": "Anna Ivanova | 57001234-0050 | 57001234-0050-1 | 1234567890 | CDEK | https://cdek.example/track?n=1234567890"
               " | 2025年3月5日 | Arrived at the sorting centre, Kazan (2025年3月4日) | {ref}",
    "en": "Anna Ivanova | 57001234-0050 | 57001234-0050-1 | 1234567890 | CDEK | https://cdek.example/track?n=1234567890"
          " | March 5, 2025 | Arrived at the sorting centre, Kazan (March 4, 2025) | {ref}",
}


@pytest.mark.parametrize("language", ["ru", "zh-hans", "en"])
def test_macro_render_uses_the_buyers_language_and_fills_every_placeholder(case, language):
    set_language(case.buyer, language)
    macro = make_macro(texts={code: f"[{code}] {ALL_PLACEHOLDERS}" for code in ("ru", "zh-hans", "en")})

    text = macro_render(macro=macro, ticket=case)

    assert text == f"[{language}] " + EXPECTED[language].format(ref=case.reference)


@pytest.mark.parametrize(
    ("buyer_language", "shop_language", "available", "chosen"),
    [
        ("zh-hans", "ru", ("ru", "en"), "ru"),  # no Chinese text: the shop's default language
        ("zh-hans", "zh-hans", ("ru", "en"), "en"),  # neither: English
        ("en", "en", ("ru",), "ru"),  # no English either: whatever there is
        (None, "zh-hans", ("ru", "zh-hans"), "zh-hans"),  # no buyer profile: the shop's default language
    ],
)
def test_macro_render_falls_back_when_the_buyers_language_is_missing(case, buyer_language, shop_language, available, chosen):
    if buyer_language is None:
        BuyerProfile.objects.filter(user=case.buyer).delete()
    else:
        set_language(case.buyer, buyer_language)
    case.shop.default_language = shop_language
    case.shop.save(update_fields=["default_language"])
    macro = make_macro(texts={code: f"{code}: {{case_reference}}" for code in available})

    assert macro_render(macro=macro, ticket=Ticket.objects.get(pk=case.pk)) == f"{chosen}: {case.reference}"


def test_macro_render_shows_a_dash_for_facts_the_case_lacks_and_never_crashes(shop):
    ticket = TicketFactory(order=OrderFactory(shop=shop), parcel=None)
    macro = make_macro()
    # Written past validation (e.g. by a script): unknown names and stray braces stay as written.
    MacroText.objects.filter(macro=macro).update(body="{tracking_number} {carrier} {latest_event} {coupon} {0} { {{x}")

    assert macro_render(macro=macro, ticket=ticket) == "— — — {coupon} {0} { {{x}"


def test_macro_render_says_no_scan_yet_as_a_dash(shop):
    ticket = TicketFactory(order=(order := OrderFactory(shop=shop)), parcel=ParcelFactory(order=order))
    macro = make_macro(texts={"ru": "{latest_event} / {tracking_link}"})

    assert macro_render(macro=macro, ticket=ticket) == f"— / https://track.example/{ticket.parcel.tracking_number}"


def test_macro_render_names_the_status_of_a_scan_without_description(case):
    set_language(case.buyer, "en")
    TrackingEventFactory(parcel=case.parcel, occurred_at=dt.datetime(2025, 3, 6, 8, tzinfo=dt.UTC), status=ParcelStatus.DELIVERED)
    macro = make_macro(texts={"en": "{latest_event}"})

    assert macro_render(macro=macro, ticket=case) == "Delivered (March 6, 2025)"


def test_macro_text_refuses_unknown_placeholders_on_clean(db):
    macro = make_macro()
    text = MacroText(macro=macro, language="ru", body="Здравствуйте, {buyer_nmae}! {tracking_link} {order}")

    with pytest.raises(ValidationError) as refused:
        text.full_clean()

    message = " ".join(refused.value.message_dict["body"])
    assert "{buyer_nmae}, {order}" in message
    assert "{buyer_name}" in message and "{case_reference}" in message  # lists what is allowed
    MacroText(macro=macro, language="ru", body=f"Готово: {ALL_PLACEHOLDERS}").full_clean()


# --- applying ---


def test_macro_apply_replies_as_the_agent_and_sets_status_priority_and_assignee(case, agent):
    set_language(case.buyer, "en")
    macro = make_macro(
        shop=case.shop, texts={"en": "Hi {buyer_name}, we asked {carrier}.", "ru": "Здравствуйте!"},
        set_status=TicketStatus.WAITING_ON_CARRIER, set_priority="high", assign_to_self=True,
    )

    message = macro_apply(ticket=case, macro=macro, acting_user=agent)

    assert (message.author, message.visibility, message.body) == (agent, Message.Visibility.PUBLIC, "Hi Anna Ivanova, we asked CDEK.")
    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee) == (TicketStatus.WAITING_ON_CARRIER, "high", agent)
    assert case.first_responded_at is not None
    events = list(TicketEvent.objects.filter(ticket=case).values_list("kind", "actor", "old_value", "new_value"))
    assert events == [
        (Kind.REPLIED, agent.pk, "", str(message.pk)),
        (Kind.STATUS_CHANGED, agent.pk, "new", "waiting_on_carrier"),
        (Kind.SLA_PAUSED, agent.pk, "", "waiting_on_carrier"),  # waiting on the carrier stops the SLA clock
        (Kind.PRIORITY_CHANGED, agent.pk, "normal", "high"),
        (Kind.ASSIGNED, agent.pk, "", str(agent.pk)),
    ]


def test_macro_apply_leaves_a_status_the_case_already_has(case, agent):
    case.status = TicketStatus.WAITING_ON_BUYER
    case.save(update_fields=["status"])
    macro = make_macro(set_status=TicketStatus.WAITING_ON_BUYER)  # shared: no shop

    macro_apply(ticket=case, macro=macro, acting_user=agent)

    assert list(TicketEvent.objects.filter(ticket=case).values_list("kind", flat=True)) == [Kind.REPLIED]


def test_macro_apply_forbidden_status_writes_nothing(case, agent):
    case.status = TicketStatus.CLOSED
    case.save(update_fields=["status"])
    macro = make_macro(set_status=TicketStatus.WAITING_ON_BUYER, set_priority="urgent", assign_to_self=True)

    with pytest.raises(ValidationError, match="cannot go from Closed to Waiting on buyer"):
        macro_apply(ticket=case, macro=macro, acting_user=agent)

    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee, case.first_responded_at) == (TicketStatus.CLOSED, "normal", None, None)
    assert not Message.objects.filter(ticket=case).exists()
    assert not TicketEvent.objects.filter(ticket=case).exists()
    assert not Notification.objects.filter(ticket=case).exists()


def test_macro_apply_refuses_a_macro_of_another_shop(case, agent, other_shop):
    macro = make_macro(shop=other_shop, set_priority="urgent")

    with pytest.raises(ValidationError, match="belongs to another shop"):
        macro_apply(ticket=case, macro=macro, acting_user=agent)

    assert not Message.objects.filter(ticket=case).exists()
    assert not TicketEvent.objects.filter(ticket=case).exists()


def test_macro_apply_refuses_an_assignee_who_does_not_serve_the_shop(case, other_agent):
    macro = make_macro(assign_to_self=True)

    with pytest.raises(ValidationError, match="does not serve this shop"):
        macro_apply(ticket=case, macro=macro, acting_user=other_agent)

    assert not Message.objects.filter(ticket=case).exists()


@pytest.mark.parametrize("broken", ["inactive", "textless"])
def test_macro_apply_refuses_an_inactive_or_empty_macro(case, agent, broken):
    macro = make_macro(is_active=broken != "inactive", texts={} if broken == "textless" else None)
    if broken == "textless":
        macro.texts.all().delete()

    with pytest.raises(ValidationError):
        macro_apply(ticket=case, macro=macro, acting_user=agent)

    assert not Message.objects.filter(ticket=case).exists()


# --- admin ---


def run_action(client, tickets, **extra):
    data = {"action": "apply_macro", "_selected_action": [ticket.pk for ticket in tickets], **extra}
    return client.post(reverse(CHANGELIST), data)


def shown(response, level: str | None = None) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if level is None or m.level_tag == level]


def test_apply_macro_action_applies_per_case_and_warns_per_refusal(client, desk_agent, shop):
    open_case = TicketFactory(order=OrderFactory(shop=shop))
    closed = TicketFactory(order=OrderFactory(shop=shop), status=TicketStatus.CLOSED)
    macro = make_macro(shop=shop, name="Ask for photos", texts={"ru": "Пришлите фото, {buyer_name}."},
                       set_status=TicketStatus.WAITING_ON_BUYER, assign_to_self=True)
    client.force_login(desk_agent)

    response = run_action(client, [open_case, closed], macro=macro.pk)

    assert response.status_code == 302
    open_case.refresh_from_db()
    closed.refresh_from_db()
    assert (open_case.status, open_case.assignee) == (TicketStatus.WAITING_ON_BUYER, desk_agent)
    assert Message.objects.get(ticket=open_case).author == desk_agent
    assert closed.status == TicketStatus.CLOSED
    assert not Message.objects.filter(ticket=closed).exists() and not TicketEvent.objects.filter(ticket=closed).exists()
    warnings = shown(response, "warning")
    assert len(warnings) == 1 and warnings[0].startswith(closed.reference)
    assert "Macro “Ask for photos” applied to 1 case." in shown(response, "success")


def test_apply_macro_action_does_not_take_a_colleagues_case(client, desk_agent, shop):
    colleague = ShopMembershipFactory(shop=shop, user=UserFactory(is_staff=True), role=ShopMembership.Role.AGENT).user
    theirs = TicketFactory(order=OrderFactory(shop=shop), assignee=colleague)
    client.force_login(desk_agent)

    response = run_action(client, [theirs], macro=make_macro(assign_to_self=True).pk)

    theirs.refresh_from_db()
    assert theirs.assignee == colleague
    assert not Message.objects.filter(ticket=theirs).exists()
    assert any("only a supervisor may reassign" in message for message in shown(response, "warning"))


@pytest.mark.parametrize("pick", ["none", "other_shop", "inactive"])
def test_apply_macro_action_needs_a_macro_the_agent_may_use(client, desk_agent, shop, other_shop, pick):
    ticket = TicketFactory(order=OrderFactory(shop=shop))
    macros = {"none": "", "other_shop": make_macro(shop=other_shop).pk, "inactive": make_macro(is_active=False).pk}
    client.force_login(desk_agent)

    response = run_action(client, [ticket], macro=macros[pick])

    if pick != "inactive":  # an inactive one is not even a valid choice of the action form
        assert "Pick the macro in the box next to the action." in shown(response, "error")
    assert not Message.objects.filter(ticket=ticket).exists()
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_changelist_offers_only_the_agents_macros(client, desk_agent, shop, other_shop):
    TicketFactory(order=OrderFactory(shop=shop))
    make_macro(shop=shop, name="Our refund reply")
    make_macro(name="Shared greeting")
    make_macro(shop=other_shop, name="Their secret reply")
    make_macro(shop=shop, name="Retired reply", is_active=False)
    client.force_login(desk_agent)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert 'name="macro"' in response.text and "Apply macro" in response.text
    assert "Our refund reply" in response.text and "Shared greeting" in response.text
    assert "Their secret reply" not in response.text and "Retired reply" not in response.text


def test_macro_admin_pages_return_200(client, superuser, shop):
    macro = make_macro(shop=shop, texts={"ru": "Привет", "en": "Hi"})
    client.force_login(superuser)

    for url in (
        reverse("admin:tickets_macro_changelist"),
        reverse("admin:tickets_macro_add"),
        reverse("admin:tickets_macro_change", args=[macro.pk]),
        reverse("admin:tickets_macro_changelist") + "?texts__language=ru&is_active__exact=1",
    ):
        assert client.get(url).status_code == 200, url


def macro_form(**changes) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Delay apology", "shop": "", "is_active": "on", "set_status": "", "set_priority": "",
        "texts-TOTAL_FORMS": "2", "texts-INITIAL_FORMS": "0", "texts-MIN_NUM_FORMS": "0", "texts-MAX_NUM_FORMS": "3",
        "texts-0-language": "ru", "texts-0-body": "Извините, {buyer_name}: посылка {tracking_number} задерживается.",
        "texts-1-language": "en", "texts-1-body": "Sorry, {buyer_name}: parcel {tracking_number} is late.",
    }
    return data | changes


def test_macro_admin_adds_a_macro_with_texts_and_refuses_unknown_placeholders(client, superuser):
    client.force_login(superuser)

    refused = client.post(reverse("admin:tickets_macro_add"), macro_form(**{"texts-1-body": "Sorry {name}"}))
    assert refused.status_code == 200
    assert "Unknown placeholder" in refused.text
    assert not Macro.objects.exists()

    response = client.post(reverse("admin:tickets_macro_add"), macro_form())
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.shop, sorted(macro.texts.values_list("language", flat=True))) == (None, ["en", "ru"])


def test_supervisor_writes_macros_for_own_shop_only_and_agents_only_read(client, desk_agent, shop, other_shop):
    supervisor = ShopMembershipFactory(shop=shop, user=UserFactory(username="boss", is_staff=True)).user
    supervisor.groups.add(Group.objects.get(name="supervisors"))
    shared, theirs = make_macro(name="Shared"), make_macro(shop=other_shop, name="Theirs")
    client.force_login(supervisor)

    assert client.post(reverse("admin:tickets_macro_add"), macro_form()).status_code == 200  # shared: superusers only
    assert client.post(reverse("admin:tickets_macro_add"), macro_form(shop=shop.pk)).status_code == 302
    assert client.post(reverse("admin:tickets_macro_change", args=[shared.pk]), macro_form(name="Mine now")).status_code == 403
    listed = client.get(reverse("admin:tickets_macro_changelist")).context["cl"].result_list
    assert {m.name for m in listed} == {"Shared", "Delay apology"} and theirs not in listed

    client.force_login(desk_agent)
    assert client.get(reverse("admin:tickets_macro_changelist")).status_code == 200
    assert client.post(reverse("admin:tickets_macro_add"), macro_form(shop=shop.pk)).status_code == 403


def test_buyer_of_another_shop_gets_the_shared_macro_in_their_language(other_shop, agent):
    buyer = BuyerFactory(profile__language="zh-hans")
    ticket = TicketFactory(order=OrderFactory(shop=other_shop, buyer=buyer))
    macro = make_macro(texts={"zh-hans": "您好 {case_reference}", "en": "Hello {case_reference}"})

    assert macro_render(macro=macro, ticket=ticket) == f"您好 {ticket.reference}"
