"""Macros: canned replies an agent sends in the buyer's language, one text per language.

Kept apart from tickets/models.py for its size, like tickets/models_sla.py; imported at the bottom of that
module, so Django sees these models as the tickets app's. tickets/macros.py renders and applies them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from orders.models import Language, Shop
from tickets.models import TicketPriority, TicketStatus

MACRO_PLACEHOLDERS: tuple[str, ...] = (
    "buyer_name", "order_number", "posting_number", "tracking_number", "carrier", "tracking_link", "promised_date",
    "latest_event", "case_reference",
)
MACRO_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def validate_macro_placeholders(value: str) -> None:
    """Refuse `{name}` placeholders the renderer does not know, so a typo is caught when saved, not when sent."""
    unknown = sorted({name for name in MACRO_PLACEHOLDER_RE.findall(value) if name not in MACRO_PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s): %(unknown)s. Allowed: %(allowed)s."),
            params={"unknown": ", ".join(f"{{{name}}}" for name in unknown), "allowed": ", ".join(f"{{{n}}}" for n in MACRO_PLACEHOLDERS)},
            code="unknown_placeholder",
        )


class Macro(models.Model):
    """A canned reply, one text per language; applying it may also move the case's status, priority or assignee."""

    name = models.CharField(max_length=120)
    shop = models.ForeignKey(
        Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="macros", help_text=_("Empty: available to every shop.")
    )
    set_status = models.CharField(max_length=20, blank=True, choices=TicketStatus.choices, help_text=_("Empty: leave the status."))
    set_priority = models.CharField(max_length=8, blank=True, choices=TicketPriority.choices, help_text=_("Empty: leave the priority."))
    assign_to_self = models.BooleanField(default=False, help_text=_("Assign the case to the agent who applies the macro."))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(set_status="") | Q(set_status__in=TicketStatus.values), name="macro_set_status_valid"),
            models.CheckConstraint(
                condition=Q(set_priority="") | Q(set_priority__in=TicketPriority.values), name="macro_set_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MacroText(models.Model):
    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=7, choices=Language.choices)
    body = models.TextField(
        validators=[validate_macro_placeholders],
        help_text=format_lazy(_("Placeholders: {names}."), names=", ".join(f"{{{name}}}" for name in MACRO_PLACEHOLDERS)),
    )

    class Meta:
        ordering = ["macro", "language"]
        constraints = [
            models.UniqueConstraint(fields=["macro", "language"], name="macrotext_one_per_language"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="macrotext_language_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.macro} ({self.language})"
