"""The buyer's case forms in the markup crispy-forms' bootstrap5 pack gives them, built in Python (benchmark P4:
crispy's templates took ~3 ms of the ~8 ms form page). Text inputs, text areas, dates and file inputs are built
here; any other widget (radio buttons, check boxes) still goes through crispy. tests/tickets/test_portal_form_html.py
holds both to the same HTML for every case form, blank, filled in and with errors.
"""

from __future__ import annotations

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.forms import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# crispy's class for each widget (its lower-case class name), before Bootstrap's form-control.
_CONTROLS: dict[type[forms.Widget], str] = {forms.TextInput: "textinput", forms.Textarea: "textarea", forms.DateInput: "dateinput"}


def case_form_html(form: forms.Form) -> SafeString:
    """What `{{ form|crispy }}` renders for `form`."""
    parts = [_non_field_errors(form)]
    for field in form:
        widget = field.field.widget
        if type(widget) in _CONTROLS:
            parts.append(_wrapped(field, _control(field, _CONTROLS[type(widget)])))
        elif isinstance(widget, forms.ClearableFileInput) and not field.initial:
            parts.append(_wrapped(field, _file_input(field)))
        else:
            parts.append(as_crispy_field(field))
    return mark_safe("".join(parts))  # noqa: S308 - every part is built by format_html or a template


def _non_field_errors(form: forms.Form) -> str:
    errors = form.non_field_errors()
    if not errors:
        return ""
    items = format_html_join("", "<li>{}</li>", ((error,) for error in errors))
    return format_html('<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>', items)


def _wrapped(field: BoundField, control: str) -> str:
    required = field.field.required
    label = format_html(
        '<label for="{}" class="form-label{}">{}{}</label>', field.id_for_label, " requiredField" if required else "",
        field.label, mark_safe('<span class="asteriskField">*</span>') if required else "",
    )
    return format_html('<div id="div_{}" class="mb-3">{}{}</div>', field.auto_id, label if field.label else "", control)


def _help_and_errors(field: BoundField) -> str:
    errors = ""
    if field.errors:
        lines = format_html_join("", '<p id="error_{}_{}"><strong>{}</strong></p>',
                                 ((n, field.auto_id, error) for n, error in enumerate(field.errors, 1)))
        errors = format_html('<div id="{}_error" class="invalid-feedback">{}</div>', field.auto_id, lines)
    help_text = format_html('<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, mark_safe(str(field.help_text)))  # noqa: S308 - crispy marks help text safe too
    return format_html("{}{}", errors, help_text if field.help_text else "")


def _control(field: BoundField, crispy_class: str) -> str:
    css = " ".join(filter(None, [field.field.widget.attrs.get("class", ""), crispy_class, "form-control", "is-invalid" if field.errors else ""]))
    return format_html("{}{}", field.as_widget(attrs={"class": css}), _help_and_errors(field))


def _file_input(field: BoundField) -> str:
    [widget] = field.subwidgets
    attrs = format_html_join("", " {}{}", (
        (name, "" if value is True else format_html('="{}"', value))
        for name, value in widget.data["attrs"].items() if value is not False and name != "class"
    ))
    css = " ".join(filter(None, ["form-control", widget.data["attrs"].get("class", ""), "is-invalid" if field.errors else ""]))
    return format_html(
        '<div{}><input type="{}" name="{}" class="{}"{}{}>{}</div>', mark_safe(' class="is-invalid"') if field.errors else "",
        widget.data["type"], widget.data["name"], css, mark_safe(" disabled") if field.field.disabled else "", attrs,
        _help_and_errors(field),
    )
