"""Ozon's delivery method / 3PL provider → one of our carriers.

First a carrier whose name or code is the provider's name exactly ("СДЭК", "cdek"): staff can map a new
provider by naming a carrier after it. Then the keyword table below, by carrier code. Ozon's own logistics
(tpl_integration_type "ozon", or "Ozon" in the method) is the carrier `ozon-logistics`, whose tracking
number is the posting number. No match: None, and the posting goes in without a parcel (logged).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logistics.models import Carrier

OZON_CARRIER = "ozon-logistics"
# (keyword in the lower-cased delivery method or provider, carrier code); the first keyword found wins.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("почта россии", "russian-post"), ("russian post", "russian-post"), ("pochta", "russian-post"),
    ("сдэк", "cdek"), ("cdek", "cdek"), ("boxberry", "boxberry"), ("dpd", "dpd"), ("pick-point", "pickpoint"),
    ("ozon", OZON_CARRIER), ("озон", OZON_CARRIER),
)


@dataclass
class CarrierResolver:
    by_code: dict[str, Carrier]
    by_name: dict[str, Carrier]
    by_id: dict[int, Carrier]
    _seen: dict[tuple[str, bool], Carrier | None] = field(default_factory=dict)  # a report repeats a few methods

    @classmethod
    def load(cls) -> CarrierResolver:
        carriers = list(Carrier.objects.all())
        return cls(by_code={c.code: c for c in carriers}, by_name={c.name.casefold(): c for c in carriers}, by_id={c.id: c for c in carriers})

    def resolve(self, delivery_method: str, *, ozon_logistics: bool = False) -> Carrier | None:
        key = (delivery_method, ozon_logistics)
        if key not in self._seen:
            self._seen[key] = self._resolve(delivery_method, ozon_logistics=ozon_logistics)
        return self._seen[key]

    def _resolve(self, delivery_method: str, *, ozon_logistics: bool) -> Carrier | None:
        text = " ".join(delivery_method.split()).casefold()
        if ozon_logistics and not any(k in text for k, code in KEYWORDS if code != OZON_CARRIER):
            return self.by_code.get(OZON_CARRIER)
        for part in (text, *(p.strip() for p in text.split("|"))):
            if part and (part in self.by_name or part in self.by_code):
                return self.by_name.get(part) or self.by_code[part]
        for keyword, code in KEYWORDS:
            if keyword in text and code in self.by_code:
                return self.by_code[code]
        return None

    def is_ozon(self, carrier: Carrier) -> bool:
        return carrier.code == OZON_CARRIER
