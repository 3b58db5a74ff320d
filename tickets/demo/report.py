"""What the command prints: row counts (and what this run added) and the demo logins."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model
from django.utils import timezone

from logistics.models import Carrier, Parcel, TrackingEvent, TrackingNumberChange
from logistics.statuses import TERMINAL_STATUSES
from orders.models import BuyerProfile, Order, OrderLine, Shop
from tickets.demo.catalog import BUYER_PASSWORD, LOGINS
from tickets.models import Claim, Message, Ticket, TicketEvent

COUNTED: list[tuple[str, type[Model]]] = [
    ("shops", Shop), ("carriers", Carrier), ("buyers", BuyerProfile), ("orders", Order), ("order lines", OrderLine),
    ("parcels", Parcel), ("tracking events", TrackingEvent), ("tracking-number changes", TrackingNumberChange),
    ("cases", Ticket), ("messages", Message), ("case events", TicketEvent), ("claims", Claim),
]


def counts() -> dict[str, int]:
    return {label: model._default_manager.count() for label, model in COUNTED}


@dataclass
class Report:
    before: dict[str, int]
    after: dict[str, int]
    buyer_examples: list[tuple[str, str]]  # (username, language)
    small: bool

    def lines(self) -> list[str]:
        mode = "small" if self.small else "full"
        out = [f"Demo world ({mode}): rows now, and added by this run"]
        out += [f"  {label:<24}{self.after[label]:>7}  (+{self.after[label] - self.before[label]})" for label, _m in COUNTED]
        out.append("  " + _parcel_notes())
        out += ["", "Demo logins:", f"  {'login':<18}{'password':<22}can"]
        out += [f"  {login.username:<18}{login.password:<22}{login.can}" for login in LOGINS]
        for username, language in self.buyer_examples:
            out.append(f"  {username:<18}{BUYER_PASSWORD:<22}buyer ({language}): own orders, parcels and cases")
        out.append(f"  (every buyer has the password {BUYER_PASSWORD})")
        return out


def _parcel_notes() -> str:
    active = Parcel.objects.exclude(status__in=TERMINAL_STATUSES)
    late = active.filter(promised_date__lt=timezone.localdate()).count()
    returns = Parcel.objects.filter(direction=Parcel.Direction.RETURN).count()
    demo = active.filter(carrier__code="demo").count()
    return f"parcels: {late} late, {returns} returns, {demo} active on the demo carrier (emulator)"
