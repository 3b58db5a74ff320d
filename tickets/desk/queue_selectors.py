"""Read queries for the agents' queues: what an agent may see, the saved views and their counts, search, sorting.

Every query starts from `desk_tickets(user)`: the cases of the shops the user serves (all of them for
superusers). Unlike `tickets_visible_to` it never adds the user's own purchases: on the desk an agent is
staff, not a buyer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import models
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _

from logistics.models import Parcel, TrackingNumberChange
from logistics.tracking_numbers import normalise
from orders.models import BuyerProfile, Order, Shop, ShopMembership
from orders.selectors import shop_ids_for_user, shops_for_user
from tickets.desk.sla_due import open_q, sla_due_expression, sla_warn_expression
from tickets.models import Ticket, TicketKind, TicketPriority, TicketStatus

AnyUser = AbstractBaseUser | AnonymousUser


def desk_tickets(user: AnyUser) -> QuerySet[Ticket]:
    """The cases `user` works on: those of the shops they serve; every case for superusers; none for anonymous."""
    if getattr(user, "is_superuser", False):
        return Ticket.objects.all()
    return Ticket.objects.filter(shop_id__in=shop_ids_for_user(user))


def desk_agents(user: AnyUser) -> QuerySet[User]:
    """The agents who serve a shop `user` serves: whom cases can be filtered by or assigned to."""
    memberships = ShopMembership.objects.filter(role=ShopMembership.Role.AGENT, user__is_active=True)
    if not getattr(user, "is_superuser", False):
        memberships = memberships.filter(shop_id__in=shop_ids_for_user(user))
    return User.objects.filter(id__in=memberships.values("user_id")).order_by("first_name", "last_name", "username")


def desk_shops(user: AnyUser) -> QuerySet[Shop]:
    return shops_for_user(user).order_by("name")


# --- saved views: each name maps to one small function giving its condition (no string if-chains) ---


class SavedView(models.TextChoices):
    OPEN = "open", _("All open")
    MINE = "mine", _("Mine")
    UNASSIGNED = "unassigned", _("Unassigned")
    BREACHING = "breaching", _("Breaching SLA soon")
    WAITING_ON_CARRIER = "carrier", _("Waiting on carrier")
    LOST = "lost", _("Lost")
    DELAY = "delay", _("Delay")
    DAMAGE = "damage", _("Damage")
    RETURN = "return", _("Return")
    ADDRESS = "address", _("Address")
    TRACKING = "tracking", _("Tracking number")
    ALL = "all", _("All cases")


DEFAULT_VIEW = SavedView.OPEN
ViewCondition = Callable[[AnyUser, dt.datetime], Q]


def _breaching(user: AnyUser, now: dt.datetime) -> Q:
    """Running cases past their SLA warning time (the policy's "warn before", in business hours) and not yet due:
    exactly the rows whose SLA badge says "due soon", at the moment the warning notification goes out. A case with
    a target already missed is breached, not breaching; a paused clock is neither. Written on `sla_due` first, so
    the page walks the SLA index up from now and stops after a page of rows."""
    return Q(sla_due__gt=now, sla_warn__lte=now, sla_paused_at__isnull=True)


def _kind(kind: str) -> ViewCondition:
    return lambda user, now: Q(kind=kind)


# What each view adds to "open" (every view but ALL holds open cases only).
SAVED_VIEWS: dict[SavedView, ViewCondition] = {
    SavedView.OPEN: lambda user, now: Q(),
    SavedView.MINE: lambda user, now: Q(assignee_id=user.pk),
    SavedView.UNASSIGNED: lambda user, now: Q(assignee__isnull=True),
    SavedView.BREACHING: _breaching,
    SavedView.WAITING_ON_CARRIER: lambda user, now: Q(status=TicketStatus.WAITING_ON_CARRIER),
    SavedView.LOST: _kind(TicketKind.LOST_PARCEL),
    SavedView.DELAY: _kind(TicketKind.DELIVERY_DELAY),
    SavedView.DAMAGE: _kind(TicketKind.DAMAGED),
    SavedView.RETURN: _kind(TicketKind.RETURN_EXCHANGE),
    SavedView.ADDRESS: _kind(TicketKind.ADDRESS_CHANGE),
    SavedView.TRACKING: _kind(TicketKind.TRACKING_NUMBER),
    SavedView.ALL: lambda user, now: Q(),
}
SETTLED_TOO = frozenset({SavedView.ALL})  # the views that also hold resolved and closed cases; not counted (a scan of every case)


def saved_view_condition(view: SavedView, user: AnyUser, now: dt.datetime) -> Q:
    condition = SAVED_VIEWS[view](user, now)
    return condition if view in SETTLED_TOO else open_q() & condition


def saved_view_counts(user: AnyUser, now: dt.datetime) -> dict[str, int]:
    """How many cases each open-only saved view holds, in one aggregate query over the open cases the user serves."""
    # COUNT(shop_id) (never NULL), not COUNT(id): every column counted or tested is in ticket_queue_counts_idx,
    # so PostgreSQL can answer from that index alone (an index-only scan) without visiting the table.
    counted = {
        view.value: Count("shop_id", filter=SAVED_VIEWS[view](user, now)) if view != SavedView.OPEN else Count("shop_id")
        for view in SavedView if view not in SETTLED_TOO
    }
    return desk_tickets(user).filter(open_q()).alias(sla_due=sla_due_expression(), sla_warn=sla_warn_expression()).aggregate(**counted)


# --- sorting ---


class QueueSort(models.TextChoices):
    SLA = "sla", _("SLA due (soonest first)")
    PRIORITY = "priority", _("Priority (most urgent first)")
    NEWEST = "-created", _("Newest first")
    OLDEST = "created", _("Oldest first")
    UPDATED = "-updated", _("Recently updated")


DEFAULT_SORT = QueueSort.SLA
_PRIORITY_RANK = Case(
    *(When(priority=priority, then=Value(rank)) for rank, priority in enumerate(reversed(TicketPriority.values))),
    output_field=models.IntegerField(),
)
_SLA = OrderBy(F("sla_due"), nulls_last=True)
SORTS: dict[QueueSort, tuple[OrderBy | str, ...]] = {
    QueueSort.SLA: (_SLA, "id"),
    QueueSort.PRIORITY: (OrderBy(_PRIORITY_RANK), _SLA, "id"),
    QueueSort.NEWEST: ("-created_at", "-id"),
    QueueSort.OLDEST: ("created_at", "id"),
    QueueSort.UPDATED: ("-updated_at", "-id"),
}


def queue_tickets(user: AnyUser, *, view: SavedView, now: dt.datetime) -> QuerySet[Ticket]:
    """The cases of one saved view, with `sla_due` to filter and sort on. One table only: the page's ids come
    from here, and queue_page_tickets loads those rows with what they show."""
    return desk_tickets(user).alias(sla_due=sla_due_expression(), sla_warn=sla_warn_expression()).filter(
        saved_view_condition(view, user, now)
    )


# What a queue row shows (tickets.desk.queue_rows) and its SLA badge reads (tickets.desk.sla_badge).
QUEUE_ROW_FIELDS = (
    "id", "reference", "subject", "kind", "status", "priority", "shop_id", "assignee_id",
    "first_response_due", "first_responded_at", "resolution_due", "resolved_at", "closed_at", "sla_paused_at",
    "first_response_warn_at", "resolution_warn_at",
    "buyer__username", "buyer__first_name", "buyer__last_name", "buyer__email",
    "order__order_number", "order__posting_number",
    "parcel__tracking_number", "parcel__status", "parcel__carrier__name",
)


def queue_page_tickets(user: AnyUser, ids: list[int]) -> list[Ticket]:
    """The page's cases in the order of `ids`, with buyer, order, parcel, carrier, shop and assignee.

    Two steps (ids, then rows by primary key) rather than one joined query: the planner cannot know how many
    of a view's cases survive the visibility filter, and a misjudged seven-table join sorted thousands of
    joined rows (or took 30 ms just to plan); here every join touches exactly the page's rows.
    """
    rows = (
        desk_tickets(user).filter(id__in=ids).order_by()  # put in order below; no sort in SQL
        .select_related("buyer", "order", "parcel", "parcel__carrier")
        .only(*QUEUE_ROW_FIELDS)  # ~25 of the ~100 joined columns: each loaded column costs per row in Python
        .prefetch_related("shop", "assignee")  # a handful of distinct rows per page: cheaper than two more joins
    )
    position = {ticket_id: index for index, ticket_id in enumerate(ids)}
    return sorted(rows, key=lambda ticket: position[ticket.id])


def queue_sorted(tickets: QuerySet[Ticket], sort: QueueSort) -> QuerySet[Ticket]:
    return tickets.order_by(*SORTS[sort])


# --- search: each kind of number through its own index, combined as one UNION of case ids ---

_PHONE = re.compile(r"^\+?[\d\s().-]{5,}$")


def _case_ids(tickets: QuerySet[Ticket]) -> QuerySet[Ticket, int]:
    return tickets.order_by().values_list("id", flat=True)


def search_case_ids(user: AnyUser, query: str) -> QuerySet[Ticket, int]:
    """Ids of the cases `query` names exactly: reference, order or posting number, tracking number (current or any
    previous one), buyer e-mail or phone. A subquery; each part is an index look-up, so it stays fast at any size."""
    text = query.strip()
    number = normalise(text)
    cases = desk_tickets(user)
    orders = Order.objects.filter(shop_id__in=desk_shops(user).values("id"))
    parcel_ids = Parcel.objects.filter(tracking_number__in={text, number}).order_by().values("id").union(
        TrackingNumberChange.objects.filter(old_number__in={text, number}).order_by().values("parcel_id"), all=True
    )
    parts = [
        cases.filter(reference__in={text, text.upper()}),
        cases.filter(order_id__in=orders.filter(order_number=text).values("id")),
        cases.filter(order_id__in=orders.filter(posting_number=text).values("id")),
        cases.filter(parcel_id__in=parcel_ids),
        cases.filter(order_id__in=Parcel.objects.filter(id__in=parcel_ids).values("order_id")),
    ]
    if "@" in text:
        parts.append(cases.filter(buyer_id__in=User.objects.filter(email__iexact=text).values("id")))
    if _PHONE.match(text):
        parts.append(cases.filter(buyer_id__in=BuyerProfile.objects.filter(phone=text).values("user_id")))
    first, *rest = (_case_ids(part) for part in parts)
    return first.union(*rest, all=True)
