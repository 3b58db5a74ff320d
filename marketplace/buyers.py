"""Which buyer (a Django user) an Ozon posting belongs to.

The rule: Ozon withholds the buyer of most FBS postings (API `customer: null`; the report has no
buyer columns). Such postings belong to one placeholder buyer per shop, `ozon-buyer-<shop slug>`.
A posting that names its Ozon customer (`customer.customer_id`) belongs to `ozon-<customer id>`,
matched on every later sync, so one Ozon customer is one buyer across postings and shops. Buyers made
here have an unusable password (nobody signs in as them until an agent gives the account to a person)
and are never matched to staff users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from orders.models import Shop
from orders.services import buyer_create

User = get_user_model()


@dataclass(frozen=True)
class BuyerRef:
    customer_id: str = ""  # Ozon's customer id; "" when Ozon does not say who bought
    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def key(self) -> str:
        return self.customer_id


def _username(shop: Shop, ref: BuyerRef) -> str:
    return f"ozon-{ref.customer_id}"[:150] if ref.customer_id else f"ozon-buyer-{shop.slug}"[:150]


def buyers_resolve(*, shop: Shop, refs: Sequence[BuyerRef]) -> dict[str, int]:
    """{ref.key: user id} for every ref, creating the buyers that do not exist yet (one query for the rest)."""
    wanted = {ref.key: ref for ref in refs}
    names = {key: _username(shop, ref) for key, ref in wanted.items()}
    found = dict(User.objects.filter(username__in=set(names.values()), is_staff=False).values_list("username", "id"))
    resolved: dict[str, int] = {}
    for key, ref in wanted.items():
        username = names[key]
        if username not in found:
            first_name = ref.name[:150] if ref.customer_id else "Ozon buyer"
            user = buyer_create(username=username, email=ref.email if "@" in ref.email else "", first_name=first_name, phone=ref.phone[:32])
            found[username] = user.pk
        resolved[key] = found[username]
    return resolved
