"""Which client class speaks for each carrier adapter code, imported only when first asked for."""

from __future__ import annotations

from django.utils.module_loading import import_string

from logistics.carriers.base import CarrierClient, CarrierPermanentError

# Keys are `Carrier.Adapter` values; "manual" carriers are never polled, so they have no client.
CARRIERS: dict[str, str] = {
    "17track": "logistics.carriers.seventeentrack.SeventeenTrackClient",
    "cdek": "logistics.carriers.cdek.CdekClient",
    "russian_post": "logistics.carriers.russian_post.RussianPostClient",
    "demo": "logistics.carriers.seventeentrack.DemoClient",
}


def get_client(adapter_code: str) -> CarrierClient:
    """A client for the adapter, configured from settings at call time.

    Raises CarrierPermanentError for a code with no client (e.g. "manual"), so polling such a parcel
    stops with a reason instead of retrying forever.
    """
    try:
        path = CARRIERS[adapter_code]
    except KeyError:
        raise CarrierPermanentError(f"no tracking adapter for {adapter_code!r}") from None
    client: CarrierClient = import_string(path)()
    return client
