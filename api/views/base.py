"""What every API view shares: throttles (IP before authentication), strict input, scoped list views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.views import APIView

from api.access import Principal, principal
from api.filters import StrictFilterBackend, StrictOrderingFilter
from api.pagination import ApiCursorPagination
from api.throttling import IPRateThrottle, TokenRateThrottle


class ApiView(APIView):
    throttle_classes = [TokenRateThrottle]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        ip = IPRateThrottle()
        if not ip.allow_request(request, self):  # before authentication: token guessing is throttled too
            raise Throttled(wait=ip.wait())
        super().initial(request, *args, **kwargs)

    @property
    def who(self) -> Principal:
        return principal(self.request)


class ApiListView(ApiView, ListAPIView):  # type: ignore[type-arg]
    """A read-only list: scoped queryset (get_queryset), strict filters, ordering on `ordering_fields`, cursor pages."""

    pagination_class = ApiCursorPagination
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    ordering: ClassVar[tuple[str, ...]] = ("-id",)
    ordering_fields: ClassVar[tuple[str, ...]] = ("id", "updated_at")


class ApiGenericView(ApiView, GenericAPIView):  # type: ignore[type-arg]
    pass


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC; the zone is fixed once instead of looked up for every value of every row."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)


class OutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """Base of the API's read serializers: timestamps in UTC."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: UtcDateTimeField}


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Input that names every key it will not take: read-only fields and unknown ones are a 400, not ignored.

    Set `read_only_names` to the resource's output fields that cannot be written here.
    """

    read_only_names: ClassVar[frozenset[str]] = frozenset()

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            extra = sorted(set(data.keys()) - writable)
            if extra:
                raise serializers.ValidationError({
                    name: [_("This field is read-only.") if name in self.read_only_names else _("Unknown field.")] for name in extra
                })
        return super().to_internal_value(data)


T = TypeVar("T")


def field_404(load: Callable[[], T], field: str) -> T:
    """An id in the body that the caller cannot reach is a field error (400), whether it exists or not."""
    try:
        return load()
    except Http404:
        raise serializers.ValidationError({field: [_("Not found.")]}) from None
