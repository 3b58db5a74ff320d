"""The only way views load parcels for a user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from logistics.models import Parcel
from logistics.selectors import parcels_visible_to


def get_parcel_for_user(user: AbstractBaseUser | AnonymousUser, parcel_id: int) -> Parcel:
    """The parcel if `user` may see its order. Raises Http404 for "no such parcel" and "not yours" alike."""
    try:
        return parcels_visible_to(user).get(id=parcel_id)
    except (Parcel.DoesNotExist, ValueError, TypeError):
        raise Http404("No such parcel") from None
