"""SLA policies, shop working calendars, assignment rules and agent availability.

Kept apart from tickets/models.py for its size; imported at the bottom of that module, so Django sees
these models as the tickets app's. The arithmetic lives in tickets/sla/ and tickets/assignment.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Shop
from tickets.models import TicketKind, TicketPriority


class SlaPolicy(models.Model):
    """Targets for the cases it matches. Empty shop, kind or priority match any; the most specific policy
    wins (shop before kind before priority); with none, the built-in default of tickets.sla.policies applies."""

    name = models.CharField(max_length=120)
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies",
                             help_text=_("Empty: every shop."))
    kind = models.CharField(max_length=20, blank=True, choices=TicketKind.choices, help_text=_("Empty: every kind."))
    priority = models.CharField(max_length=8, blank=True, choices=TicketPriority.choices, help_text=_("Empty: every priority."))
    first_response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text=_("Business minutes until the first public reply is due."))
    resolution_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text=_("Business minutes until the case should be resolved."))
    warn_before_minutes = models.PositiveIntegerField(
        default=60, help_text=_("Warn the assignee this many business minutes before a target runs out."))
    escalate_priority = models.BooleanField(
        default=False, help_text=_("On a breach, raise the case's priority one step (besides telling the supervisors)."))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["shop__name", "kind", "priority", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(condition=Q(kind="") | Q(kind__in=TicketKind.values), name="slapolicy_kind_valid"),
            models.CheckConstraint(condition=Q(priority="") | Q(priority__in=TicketPriority.values), name="slapolicy_priority_valid"),
            models.CheckConstraint(condition=Q(first_response_minutes__gte=1, resolution_minutes__gte=1), name="slapolicy_targets_positive"),
            # One policy per (shop or every shop, kind, priority): otherwise "the most specific" would be ambiguous.
            models.UniqueConstraint(fields=["shop", "kind", "priority"], condition=Q(shop__isnull=False), name="slapolicy_unique_per_shop"),
            models.UniqueConstraint(fields=["kind", "priority"], condition=Q(shop__isnull=True), name="slapolicy_unique_global"),
        ]

    def __str__(self) -> str:
        return self.name


class HolidayCountry(models.TextChoices):
    AUTO = "", _("From the shop's time zone")
    RUSSIA = "RU", _("Russia (production calendar)")
    CHINA = "CN", _("China (State Council holiday arrangement)")
    NONE = "none", _("No public holidays")


class ShopCalendar(models.Model):
    """A shop's working week and holidays. A shop without one works Monday–Friday 09:00–18:00 in its time
    zone and keeps the public holidays of the country of that zone."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="calendar")
    holiday_country = models.CharField(max_length=4, blank=True, choices=HolidayCountry.choices, default=HolidayCountry.AUTO)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(holiday_country__in=HolidayCountry.values), name="shopcalendar_country_valid")]

    def __str__(self) -> str:
        return f"Calendar of {self.shop}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One working weekday of a calendar; a weekday without a row is a day off."""

    calendar = models.ForeignKey(ShopCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["calendar", "weekday"]
        verbose_name_plural = _("working hours")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "weekday"], name="workinghours_one_per_weekday"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="workinghours_weekday_valid"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="workinghours_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class SpecialDay(models.Model):
    """A date that differs from the week and the country's calendar: closed (no hours), or open with its own
    hours (a short pre-holiday day, a company working Saturday)."""

    calendar = models.ForeignKey(ShopCalendar, on_delete=models.CASCADE, related_name="special_days")
    date = models.DateField()
    opens = models.TimeField(null=True, blank=True, help_text=_("Empty with closes: closed all day."))
    closes = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="specialday_one_per_date"),
            models.CheckConstraint(
                condition=Q(opens__isnull=True, closes__isnull=True) | Q(opens__isnull=False, closes__gt=models.F("opens")),
                name="specialday_closed_or_valid_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.note}".strip()

    def clean(self) -> None:
        if (self.opens is None) != (self.closes is None):
            raise ValidationError(_("Give both opening and closing time, or neither for a closed day."))


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", _("Manual (agents take cases)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded (fewest open cases)")


class AssignmentRule(models.Model):
    """How new cases of a queue (a shop, optionally one kind) get an assignee. A kind's rule beats the shop-wide one."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="assignment_rules")
    kind = models.CharField(max_length=20, blank=True, choices=TicketKind.choices, help_text=_("Empty: every kind."))
    strategy = models.CharField(max_length=12, choices=AssignmentStrategy.choices, default=AssignmentStrategy.MANUAL)
    agents: models.ManyToManyField[AbstractBaseUser, AbstractBaseUser] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assignment_rules", help_text=_("The pool; agents must serve the shop."))
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False,
        help_text=_("Round robin: whom this rule gave a case last."),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["shop__name", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "kind"], name="assignmentrule_one_per_queue"),
            models.CheckConstraint(condition=Q(kind="") | Q(kind__in=TicketKind.values), name="assignmentrule_kind_valid"),
            models.CheckConstraint(condition=Q(strategy__in=AssignmentStrategy.values), name="assignmentrule_strategy_valid"),
        ]

    def __str__(self) -> str:
        kind = TicketKind(self.kind).label if self.kind else _("all kinds")
        return f"{self.shop} / {kind}: {self.get_strategy_display()}"


class AgentStatus(models.Model):
    """Whether an agent takes new cases. Away until `away_until` (or until they come back, when empty)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_status")
    is_away = models.BooleanField(default=False)
    away_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = _("agent statuses")

    def __str__(self) -> str:
        return f"{self.user}: {'away' if self.is_away else 'available'}"


def away_q(now: object, prefix: str = "agent_status__") -> Q:
    """Users (or rows reached through `prefix`) who are away at `now`."""
    return Q(**{f"{prefix}is_away": True}) & (Q(**{f"{prefix}away_until__isnull": True}) | Q(**{f"{prefix}away_until__gt": now}))
