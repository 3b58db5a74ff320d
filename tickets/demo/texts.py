"""Case texts by language, and the facts of a case that fill their placeholders."""

from __future__ import annotations

import random

from tickets.demo import texts_ru, texts_zh

# Internal notes are in English: the agents' common language across Russian and Chinese shops.
NOTES: dict[str, str] = {
    "lost_parcel": "Tracking silent since {last_date} ({last_location}). Investigation requested from {carrier}, "
                   "ref {claim_ref}; claim dossier: invoice + tracking timeline.",
    "delivery_delay": "{days} days past the promised date ({promised}); last scan «{last_status}» at {last_location}. "
                      "Asked {carrier} to expedite.",
    "damaged": "Damage visible on the buyer's photos (crushed box, damaged item). Liable: {carrier}. Seller agreed to reship.",
    "return_exchange": "Return parcel {return_tracking} via {return_carrier}. Refund on receipt at the warehouse.",
    "address_change": "Address change to flat {new_flat}; buyer accepted the fee and the delay. Redirect sent to {carrier}.",
    "tracking_number": "Seller uploaded {old_number} by mistake; corrected to {new_number}, change kept in the parcel history.",
    "product_question": "Pre-sale question, answered from the product card; nothing to escalate.",
    "other": "Closing documents for a company purchase; forwarded to the marketplace's accounting.",
}
_LANGUAGES = {"ru": texts_ru, "zh-hans": texts_zh}


class Facts(dict[str, str]):
    """Placeholder values; a fact the case lacks renders as a dash instead of failing."""

    def __missing__(self, key: str) -> str:
        return "—"


def text(language: str, kind: str, key: str, facts: Facts, rng: random.Random) -> str:
    """One turn of a conversation; subjects have variants, picked by the case's own generator."""
    if key == "note":
        return NOTES[kind].format_map(facts)
    module = _LANGUAGES[language]
    value = module.COMMON.get(key) or module.TEXTS[kind][key]
    template = rng.choice(value) if isinstance(value, list) else value
    return template.format_map(facts)


def signed(language: str, body: str, facts: Facts) -> str:
    return body + _LANGUAGES[language].SIGNATURE.format_map(facts)


def relayed(language: str, channel: str, body: str) -> str:
    """The buyer's words as staff file them: a phone call typed in, or a marketplace chat passed on by API."""
    module = _LANGUAGES[language]
    return (module.PHONE if channel == "phone" else module.FORWARDED) + body
