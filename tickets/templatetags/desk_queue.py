"""`{% load desk_queue %}`: the queue's selects (`{% queue_select form.field %}`) and table rows (`{% queue_row row %}`), built in Python.

The queue page draws ten selects (two of them list every agent) on every load; through a template they cost a
loop with an `if` and a `stringformat` per option, a good share of the page's rendering. Options come from the
`choice_list` that tickets.desk.filters.style_form fetched once.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from tickets.desk.queue_rows import QueueRow

register = template.Library()


@register.simple_tag
def queue_select(field: BoundField) -> SafeString:
    value = field.value()
    current = "" if value is None else str(value)
    options = format_html_join(
        "", "<option value=\"{}\"{}>{}</option>",
        ((choice, " selected" if str(choice) == current else "", label) for choice, label in field.field.choice_list),  # type: ignore[attr-defined]
    )
    invalid = SafeString(' aria-invalid="true"') if field.errors else ""
    return format_html(
        '<select name="{}" id="{}" class="form-select form-select-sm"{}>{}</select>', field.html_name, field.auto_id, invalid, options,
    )


_ROW = (
    '<tr data-case="{reference}">'
    '<td><input type="checkbox" class="form-check-input" name="ids" value="{id}" aria-label="{select} {reference}"></td>'
    '<td class="text-nowrap"><a href="{url}">{reference}</a></td>'
    "<td>{subject}</td><td>{kind}</td><td>{status}</td><td>{priority}</td><td>{shop}</td><td>{buyer}</td>"
    '<td class="text-nowrap">{order}</td><td class="text-nowrap">{parcel}</td><td>{assignee}</td>'
    '<td class="text-nowrap">{due}</td>'
    '<td><span class="badge {badge_css}" data-sla="{badge_level}">{badge_label}</span></td></tr>'
)
_TWO_LINES = '{}<br><span class="text-body-secondary">{}</span>'
_NONE = "—"


@register.simple_tag
def queue_row(row: QueueRow, select_label: str, unassigned_label: str) -> SafeString:
    """One row of the queue table (tickets.desk.queue_rows.QueueRow). Built here, not in the template: 50-100 rows
    of 13 cells were half of the page's rendering through template nodes. Every value is escaped by format_html."""
    badge = row.badge
    return format_html(
        _ROW, reference=row.reference, id=row.id, select=select_label, url=row.url, subject=row.subject, kind=row.kind,
        status=row.status, priority=row.priority, shop=row.shop, buyer=row.buyer,
        order=format_html(_TWO_LINES, row.order_number, row.posting_number) if row.order_number else _NONE,
        parcel=format_html(_TWO_LINES, row.parcel, row.tracking_number) if row.parcel else _NONE,
        assignee=row.assignee or format_html('<span class="text-body-secondary">{}</span>', unassigned_label),
        due=format_html('<time datetime="{}">{}</time>', row.due_iso, row.due) if row.due else _NONE,
        badge_css=badge.css, badge_level=badge.level, badge_label=badge.label,
    )
