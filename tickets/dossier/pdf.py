"""The dossier's summary.pdf (fpdf2), set in one embedded Unicode font so Russian and Chinese text survive.

The PDF is meant for the liable party (a carrier, the marketplace, an insurer): it carries the public
conversation only and says so; internal notes never reach it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from tickets.dossier.data import Dossier
from tickets.models import Message

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"
FONT = "wqy"
# fpdf2 subsets the font through fontTools, which logs every table it touches at INFO
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
HEADINGS = FontFace(emphasis=None, fill_color=(230, 230, 230))  # the font has no bold face: shade headings instead


class DossierPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(FONT, fname=str(FONT_PATH), collection_font_number=0)
        self.set_title(title)
        self.set_creator("supportdesk")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.alias_nb_pages()
        self.doc_title = title

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.doc_title} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(3)
        self.set_font(FONT, size=size)
        self.set_text_color(20, 60, 120)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_font(FONT, size=9)
        self.ln(1)

    def paragraph(self, text: str, size: int = 9) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, 4.5, _clean(text), new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: Sequence[tuple[str, object]], widths: tuple[float, float] = (45, 135)) -> None:
        with self.table(col_widths=widths, first_row_as_headings=False, line_height=5, text_align="LEFT") as table:
            for label, value in rows:
                row = table.row()
                row.cell(label)
                row.cell(_clean(_text(value)))

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float], size: int = 7) -> None:
        self.set_font(FONT, size=size)
        with self.table(col_widths=tuple(widths), headings_style=HEADINGS, line_height=size * 0.5, text_align="LEFT") as table:
            table.row(list(headings))
            for values in rows:
                table.row([_clean(_text(value)) for value in values])
        self.set_font(FONT, size=9)


def _text(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    return str(value)


def _clean(text: str) -> str:
    # carriers' and buyers' text may hold tabs, CRs and other control characters the font has no glyph for
    return "".join(ch if ch == "\n" or ch >= " " else " " for ch in text.replace("\r\n", "\n").replace("\t", "    "))


def _when(dossier: Dossier, moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{_text(moment)} ({dossier.local(moment):%Y-%m-%d %H:%M} {dossier.tz.key})"


def render_summary(dossier: Dossier, *, file_rows: Sequence[Sequence[object]]) -> bytes:
    """The summary PDF; `file_rows` are the evidence files as packed (zip name, original name, kind, size, SHA-256)."""
    claim = dossier.claim
    pdf = DossierPDF(_("Claim %(id)s · case %(reference)s") % {"id": claim.pk, "reference": dossier.ticket.reference})
    pdf.add_page()
    pdf.heading(_("Claim dossier: %(kind)s, %(amount)s %(currency)s") % {
        "kind": claim.get_kind_display(), "amount": _text(claim.amount), "currency": claim.currency}, size=16)
    pdf.paragraph(_(
        "Prepared for the liable party (%(party)s) on %(when)s. It holds the order, the parcels with their full tracking "
        "timelines, the public conversation with the buyer and the list of evidence files enclosed in this archive. "
        "Internal notes of the support team are not included."
    ) % {"party": claim.get_liable_party_display(), "when": _when(dossier, dossier.generated_at)})
    _claim_section(pdf, dossier)
    _order_section(pdf, dossier)
    _parcels_section(pdf, dossier)
    _conversation_section(pdf, dossier)
    _evidence_section(pdf, dossier, file_rows)
    return bytes(pdf.output())


def _claim_section(pdf: DossierPDF, dossier: Dossier) -> None:
    claim, ticket = dossier.claim, dossier.ticket
    pdf.heading(_("The claim"))
    rows: list[tuple[str, object]] = [
        (_("Claim"), f"#{claim.pk} · {claim.get_kind_display()} · {claim.get_status_display()}"),
        (_("Amount"), f"{_text(claim.amount)} {claim.currency}"),
        (_("Liable party"), claim.get_liable_party_display()),
        (_("Insured"), claim.insured),
        (_("Their claim number"), claim.external_reference),
        (_("Case"), f"{ticket.reference} · {ticket.get_kind_display()} · {ticket.subject}"),
        (_("Shop"), f"{ticket.shop.name} ({ticket.shop.get_marketplace_display()})"),
        (_("Filed"), f"{_when(dossier, claim.created_at)} · {claim.created_by or '—'}"),
        (_("Submitted"), _when(dossier, claim.submitted_at)),
        (_("Decided"), f"{_when(dossier, claim.decided_at)} · {claim.decided_by or '—'}" if claim.decided_at else "—"),
        (_("Paid"), _when(dossier, claim.paid_at)),
        (_("Note"), claim.note),
        (_("Resolution"), claim.resolution_note),
    ]
    if claim.evidence_override_reason:
        rows.append((_("Submitted without full evidence"), claim.evidence_override_reason))
    pdf.pairs(rows)


def _order_section(pdf: DossierPDF, dossier: Dossier) -> None:
    order = dossier.order
    pdf.heading(_("The order"))
    if order is None:
        pdf.paragraph(_("This case is not linked to an order."))
        return
    pdf.pairs([
        (_("Order number"), order.order_number),
        (_("Posting number"), order.posting_number),
        (_("Fulfilment"), order.get_scheme_display()),
        (_("Placed"), _when(dossier, order.placed_at)),
        (_("Shipped"), _when(dossier, order.shipped_at)),
        (_("Promised delivery date"), order.promised_delivery_date),
        (_("Delivered"), _when(dossier, order.delivered_at)),
        (_("Declared value"), f"{_text(order.declared_value)} {order.currency}"),
        (_("Recipient"), f"{order.recipient_name} {order.recipient_phone}".strip()),
        (_("Delivery address"), order.shipping_address),
    ])
    if dossier.lines:
        pdf.ln(2)
        rows = [(line.sku, line.name, line.quantity, line.unit_price, line.unit_price * line.quantity) for line in dossier.lines]
        pdf.grid([_("SKU"), _("Item"), _("Qty"), _("Unit price"), _("Total")], rows, (30, 90, 15, 22, 23), size=8)


def _parcels_section(pdf: DossierPDF, dossier: Dossier) -> None:
    pdf.heading(_("Parcels and tracking"))
    if not dossier.parcels:
        pdf.paragraph(_("No parcel is recorded for this order."))
    for parcel in dossier.parcels:
        pdf.paragraph(
            _("%(carrier)s %(number)s · %(direction)s · now %(status)s · promised %(promised)s") % {
                "carrier": parcel.carrier.name, "number": parcel.tracking_number, "direction": parcel.get_direction_display(),
                "status": parcel.get_status_display(), "promised": _text(parcel.promised_date),
            }, size=10,
        )
        events = parcel.timeline  # type: ignore[attr-defined]
        if not events:
            pdf.paragraph(_("The carrier has reported no event for this parcel."))
            continue
        rows = [
            (_text(e.occurred_at), f"{dossier.local(e.occurred_at):%Y-%m-%d %H:%M}", e.get_status_display(), e.raw_code,
             e.raw_description, e.location)
            for e in events
        ]
        local = _("Local (%(tz)s)") % {"tz": dossier.tz.key}
        headings = [_("Time (UTC)"), local, _("Status"), _("Carrier code"), _("Carrier's text"), _("Location")]
        pdf.grid(headings, rows, (27, 25, 24, 18, 56, 30))
        pdf.ln(2)


def _author(dossier: Dossier, message: Message) -> str:
    if message.author_id is None:
        return _("supportdesk (automatic)")
    if message.author_id == dossier.ticket.buyer_id:
        return _("Buyer: %(name)s") % {"name": dossier.order.recipient_name if dossier.order else message.author}
    return _("Support: %(name)s") % {"name": message.author.get_full_name() or message.author.get_username()}  # type: ignore[union-attr]


def _conversation_section(pdf: DossierPDF, dossier: Dossier) -> None:
    pdf.heading(_("Conversation with the buyer (public messages only)"))
    if not dossier.messages:
        pdf.paragraph(_("No public messages."))
    for message in dossier.messages:
        pdf.set_text_color(90)
        pdf.paragraph(f"{_author(dossier, message)} · {_when(dossier, message.created_at)}", size=8)
        pdf.set_text_color(0)
        pdf.paragraph(message.body)
        pdf.ln(2)


def _evidence_section(pdf: DossierPDF, dossier: Dossier, file_rows: Sequence[Sequence[object]]) -> None:
    pdf.heading(_("Evidence"))
    if dossier.checklist:
        marks = [(item.label, _("provided") if item.present else _("MISSING")) for item in dossier.checklist]
        pdf.pairs(marks, widths=(80, 100))
        pdf.ln(2)
    if not file_rows:
        pdf.paragraph(_("No evidence files are enclosed."))
        return
    pdf.paragraph(_("Enclosed in this archive under evidence/:"))
    rows = [(name, original, kind, filesizeformat(size) if isinstance(size, int) else size, digest)
            for name, original, kind, size, digest in file_rows]
    pdf.grid([_("File in archive"), _("Original name"), _("Kind"), _("Size"), _("SHA-256")], rows, (42, 38, 30, 16, 54))
