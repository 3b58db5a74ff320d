"""Macros: canned replies with placeholders, sent in the buyer's language (issue "Agent workspace").

`macro_render` picks the macro's text for the buyer and fills in the case's order, parcel and tracking
facts; `macro_apply` posts that text as a public reply and then makes the macro's status, priority and
assignee changes, all through tickets.services, so every step leaves its TicketEvent (STYLE rule 3).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from logistics.models import Parcel
from logistics.selectors import parcel_timeline
from orders.models import Language
from orders.selectors import shop_ids_for_user
from tickets import services
from tickets.models import MACRO_PLACEHOLDER_RE, Macro, MacroText, Message, Ticket

MISSING = "—"  # what a placeholder shows when the case has no such fact (no parcel, no scan yet)


def macros_available_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Macro]:
    """Active macros `user` may apply: the shared ones and those of the user's shops (every one for superusers)."""
    macros = Macro.objects.filter(is_active=True).select_related("shop")
    if getattr(user, "is_superuser", False):
        return macros
    return macros.filter(Q(shop__isnull=True) | Q(shop_id__in=shop_ids_for_user(user)))


def _buyer_language(ticket: Ticket) -> str:
    try:
        return ticket.buyer.buyer_profile.language
    except ObjectDoesNotExist:
        return ""


def macro_text_for(*, macro: Macro, ticket: Ticket) -> MacroText | None:
    """The text to send: the buyer's language, else the shop's default, else English, else any there is."""
    texts = {text.language: text for text in macro.texts.order_by("id")}
    for language in (_buyer_language(ticket), ticket.shop.default_language, Language.ENGLISH):
        if language in texts:
            return texts[language]
    return next(iter(texts.values()), None)


def _case_parcel(ticket: Ticket) -> Parcel | None:
    if ticket.parcel is not None or ticket.order is None:
        return ticket.parcel
    forward = ticket.order.parcels.filter(direction=Parcel.Direction.FORWARD).select_related("carrier")
    return forward.order_by("-created_at", "-id").first()


def _date(value: dt.date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value is not None else MISSING


def _latest_event(parcel: Parcel, tz: dt.tzinfo) -> str:
    event = parcel_timeline(parcel).first()
    if event is None:
        return MISSING
    description = event.raw_description or event.get_status_display()
    if event.location:
        description = f"{description}, {event.location}"
    return f"{description} ({_date(timezone.localtime(event.occurred_at, tz).date())})"


def macro_placeholders(*, ticket: Ticket) -> dict[str, str]:
    """Every placeholder's value for this case, formatted in the active language."""
    order, parcel = ticket.order, _case_parcel(ticket)
    buyer = ticket.buyer
    values = {
        "buyer_name": buyer.get_full_name() or (order.recipient_name if order else "") or buyer.get_username(),
        "order_number": order.order_number if order else MISSING,
        "posting_number": order.posting_number if order else MISSING,
        "case_reference": ticket.reference,
        "promised_date": _date(order.promised_delivery_date if order else None),
        "tracking_number": MISSING, "carrier": MISSING, "tracking_link": MISSING, "latest_event": MISSING,
    }
    if parcel is not None:
        values |= {
            "tracking_number": parcel.tracking_number,
            "carrier": parcel.carrier.name,
            "tracking_link": parcel.carrier.tracking_url(parcel.tracking_number) or MISSING,
            "promised_date": _date(parcel.promised_date or (order.promised_delivery_date if order else None)),
            "latest_event": _latest_event(parcel, zoneinfo.ZoneInfo(ticket.shop.time_zone)),
        }
    return values


def fill_placeholders(body: str, values: dict[str, str]) -> str:
    """Substitute known `{name}`s; anything else in braces stays as written (never raises)."""
    return MACRO_PLACEHOLDER_RE.sub(lambda match: values.get(match.group(1), match.group(0)), body)


def macro_render(*, macro: Macro, ticket: Ticket) -> str:
    """The macro's text in the buyer's language with the case's facts filled in; "" if the macro has no text."""
    text = macro_text_for(macro=macro, ticket=ticket)
    if text is None:
        return ""
    with translation.override(text.language):  # dates and status names in the language of the text
        return fill_placeholders(text.body, macro_placeholders(ticket=ticket))


@transaction.atomic
def macro_apply(*, ticket: Ticket, macro: Macro, acting_user: User) -> Message:
    """Post the macro as a public reply by `acting_user`, then set its status, priority and assignee.

    All or nothing: raises ValidationError, writing nothing, for an inactive macro or one of another shop,
    a macro with no text, a status move the workflow forbids (a case already in that status is left as
    it is), an assignee who does not serve the shop, or a status someone else changed meanwhile.
    """
    if not macro.is_active:
        raise ValidationError(_("The macro “%(macro)s” is switched off.") % {"macro": macro})
    if macro.shop_id is not None and macro.shop_id != ticket.shop_id:
        raise ValidationError(_("The macro “%(macro)s” belongs to another shop.") % {"macro": macro})
    ticket.refresh_from_db(fields=["status", "priority", "assignee"])  # act on the case as it is now
    body = macro_render(macro=macro, ticket=ticket)
    if not body.strip():
        raise ValidationError(_("The macro “%(macro)s” has no text to send.") % {"macro": macro})
    message = services.message_create(ticket=ticket, author=acting_user, body=body, visibility=Message.Visibility.PUBLIC)
    if macro.set_status and ticket.status != macro.set_status:
        ticket = services.ticket_change_status(ticket=ticket, status=macro.set_status, acting_user=acting_user)
        if ticket.status != macro.set_status:
            raise ValidationError(_("Someone else changed the status meanwhile."))
    if macro.set_priority:
        ticket = services.ticket_change_priority(ticket=ticket, priority=macro.set_priority, acting_user=acting_user)
    if macro.assign_to_self:
        services.ticket_assign(ticket=ticket, agent=acting_user, acting_user=acting_user)
    return message
