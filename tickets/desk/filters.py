"""The queue's filters (django-filter) and its view / sort / page-size options, as forms that report bad values."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import DateRangeWidget, SuffixedMultiWidget

from logistics.models import Carrier
from logistics.statuses import ParcelStatus
from tickets.desk.queue_selectors import (
    DEFAULT_SORT,
    DEFAULT_VIEW,
    QueueSort,
    SavedView,
    desk_agents,
    desk_shops,
    search_case_ids,
)
from tickets.models import Ticket, TicketKind, TicketPriority, TicketStatus

PAGE_SIZES = (25, 50, 100)
QUEUE_OPTION_KEYS = frozenset({"view", "sort", "per_page", "page"})  # QueueOptionsForm's fields, and the page number
DEFAULT_PAGE_SIZE = 50


class DateInputsWidget(DateRangeWidget):
    """The from/to pair as native date pickers (`<name>_after`, `<name>_before`)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        date = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
        SuffixedMultiWidget.__init__(self, (date, date), attrs)


def _choice_list(field: forms.ChoiceField | forms.ModelChoiceField) -> list[tuple[Any, Any]]:
    if not isinstance(field, forms.ModelChoiceField):
        return list(field.choices)  # type: ignore[arg-type]
    # One plain query; Django's ModelChoiceIterator would add a COUNT and a server-side cursor round trip.
    head: list[tuple[Any, Any]] = [] if field.empty_label is None else [("", field.empty_label)]
    if getattr(field, "null_label", None) is not None:  # django-filter's "none of them" choice (e.g. unassigned)
        head.append((field.null_value, field.null_label))  # type: ignore[attr-defined]
    return head + [(obj.pk, field.label_from_instance(obj)) for obj in field.queryset]  # type: ignore[union-attr]


def style_form(form: forms.Form) -> None:
    """Bootstrap classes, and choices fetched once as a list: the queue's select template loops over them, and
    a model field's lazy choices would cost a COUNT query for the loop's length besides the query for the rows."""
    for field in form.fields.values():
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            field.choice_list = _choice_list(field)  # type: ignore[attr-defined]
        widgets = getattr(field.widget, "widgets", [field.widget])
        for widget in widgets:
            css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


class QueueFilterSet(django_filters.FilterSet):
    """Filters on top of a saved view. Choices are limited to what the user serves, so a shop or agent id they
    do not serve is an invalid choice, shown as a form error."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100, widget=forms.TextInput(attrs={"type": "search"}))
    shop = django_filters.ModelChoiceFilter(queryset=None, label=_("Shop"))
    kind = django_filters.ChoiceFilter(choices=TicketKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices, label=_("Status"))
    priority = django_filters.ChoiceFilter(choices=TicketPriority.choices, label=_("Priority"))
    carrier = django_filters.ModelChoiceFilter(field_name="parcel__carrier", queryset=None, label=_("Carrier"))
    parcel_status = django_filters.ChoiceFilter(field_name="parcel__status", choices=ParcelStatus.choices, label=_("Parcel status"))
    assignee = django_filters.ModelChoiceFilter(queryset=None, null_label=_("Unassigned"), label=_("Assignee"))
    created = django_filters.DateFromToRangeFilter(field_name="created_at", widget=DateInputsWidget, label=_("Created"))
    sla_due = django_filters.DateFromToRangeFilter(field_name="sla_due", widget=DateInputsWidget, label=_("SLA due"))

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, data: Any, queryset: QuerySet[Ticket], *, user: AbstractBaseUser | AnonymousUser) -> None:
        self.user = user
        super().__init__(data, queryset=queryset)
        fields = self.form.fields
        fields["shop"].queryset = desk_shops(user)  # type: ignore[attr-defined]
        fields["carrier"].queryset = Carrier.objects.order_by("name")  # type: ignore[attr-defined]
        fields["assignee"].queryset = desk_agents(user)  # type: ignore[attr-defined]
        fields["assignee"].label_from_instance = lambda agent: agent.get_full_name() or agent.get_username()  # type: ignore[attr-defined]
        fields["q"].widget.attrs.update(placeholder=_("Reference, order, posting or tracking no., e-mail, phone"))
        style_form(self.form)

    def search(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if not value.strip():
            return queryset
        return queryset.filter(id__in=search_case_ids(self.user, value))

    @property
    def active(self) -> bool:
        """Whether anything narrows the saved view: any value but the view options (unknown parameters count too,
        to be safe; the view then counts its cases itself)."""
        return any(value.strip() for key, value in self.data.items() if key not in QUEUE_OPTION_KEYS)

    @property
    def filtered(self) -> QuerySet[Ticket]:
        """The filtered cases; none at all while a filter value is invalid (the form shows why), never a guess."""
        return self.qs if self.is_valid() else self.queryset.none()


class QueueOptionsForm(forms.Form):
    """Which saved view, in what order, how many rows a page: unknown values are form errors, not a 500."""

    view = forms.ChoiceField(choices=SavedView.choices, required=False, label=_("View"))
    sort = forms.ChoiceField(choices=QueueSort.choices, required=False, label=_("Sort"))
    per_page = forms.TypedChoiceField(
        choices=[(size, size) for size in PAGE_SIZES], coerce=int, required=False, empty_value=DEFAULT_PAGE_SIZE, label=_("Rows"),  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_form(self)

    def options(self) -> tuple[SavedView, QueueSort, int]:
        """The chosen options, the defaults for anything missing or invalid."""
        self.is_valid()  # cleaned_data keeps the valid fields; the form keeps the errors of the others
        data = self.cleaned_data
        return (
            SavedView(data.get("view") or DEFAULT_VIEW),
            QueueSort(data.get("sort") or DEFAULT_SORT),
            int(data.get("per_page") or DEFAULT_PAGE_SIZE),
        )
