"""What every API view shares: throttles (IP before authentication), strict input, scoped list views."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import ISO_8601, serializers
from rest_framework.exceptions import Throttled
from rest_framework.fields import SkipField
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api.access import Principal, principal
from api.filters import StrictFilterBackend, StrictOrderingFilter
from api.pagination import ApiCursorPagination
from api.throttling import IPRateThrottle, SignedInRateThrottle, TokenRateThrottle, first_throttled_and_read
from api.token_cache import SCOPE as TOKENS_SCOPE
from supportdesk.config_cache import read_ahead, read_ahead_end, read_ahead_keys


class ApiView(APIView):
    throttle_classes = [SignedInRateThrottle]  # after authentication; the IP's and a token's are counted in initial()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication, so token guessing is throttled too. One round trip for both counters and the config
        # memos' tokens the request will need (the API token's, and every memoised scope's: supportdesk.config_cache).
        keys = read_ahead_keys(TOKENS_SCOPE)
        throttled, found = first_throttled_and_read([IPRateThrottle(), TokenRateThrottle()], request, self, list(keys))
        if throttled is not None:
            raise Throttled(wait=throttled.wait())
        read_ahead(keys, found)
        super().initial(request, *args, **kwargs)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            read_ahead_end()

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


Reader = Callable[[Any], Any]
# Fields whose to_representation uses neither parent nor context, read once per row by a precomputed reader.
_SELF_CONTAINED = frozenset({
    serializers.BigIntegerField,  # type: ignore[attr-defined]  # DRF 3.15, not in the stubs yet
    serializers.BooleanField, serializers.CharField, serializers.ChoiceField,
    serializers.DateField, serializers.DecimalField, serializers.EmailField, serializers.IntegerField,
    serializers.SlugField, serializers.UUIDField, UtcDateTimeField,
})


def _utc_iso(value: dt.datetime) -> str:
    """What UtcDateTimeField renders for an aware datetime, without its per-value time-zone checks."""
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _reader(field: serializers.Field, model: type[models.Model], *, from_values: bool) -> Reader | None:  # type: ignore[type-arg]
    """One field's value for a row, exactly as DRF's Serializer.to_representation gets it; None if not a plain field.

    `from_values`: the row is a dict from QuerySet.values(*model_paths()) instead of an instance.
    """
    columns = {f.name: f.attname for f in model._meta.concrete_fields}
    source = field.source if isinstance(field.source, str) else ""
    column = columns.get(source)
    if from_values:  # values() gives None where DRF omits the key (a null relation on a dotted path): non-null paths only
        keyed = column is not None or _never_null(model, source.split(".")[:-1])
        get: Reader | None = operator.itemgetter(source.replace(".", "__")) if keyed else None
    else:
        get = operator.attrgetter(column) if column is not None else field.get_attribute  # the latter may raise SkipField
    if type(field) is serializers.PrimaryKeyRelatedField and field.pk_field is None and column is not None:
        return operator.itemgetter(source) if from_values else operator.attrgetter(column)  # the id: DRF's pk-only read
    if type(field) not in _SELF_CONTAINED or get is None:
        return None
    as_iso = isinstance(field, UtcDateTimeField) and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    convert, read_value = field.to_representation, get

    def read(row: Any) -> Any:
        value = read_value(row)
        if value is None:
            return None
        return _utc_iso(value) if as_iso and value.tzinfo is not None else convert(value)

    return read


def _never_null(model: type[models.Model], path: list[str]) -> bool:
    """Whether every step of `path` from `model` is a non-null foreign key."""
    for name in path:
        relation = model._meta.get_field(name)
        if not relation.many_to_one or getattr(relation, "null", True):
            return False
        model = relation.related_model  # type: ignore[assignment]
    return True


# Rows are rendered by readers prepared once per class: DRF's generic to_representation costs ~30 µs a row
# (1.5 ms for a 50-row page, more than its query), looking every field up again for every row. When all fields
# are plain (see _reader) the readers do the same work directly; otherwise DRF's path runs. Fields must not
# depend on the instance or context (none here do).
class OutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """Base of the API's read serializers: timestamps in UTC."""  # also the schema's description of the outputs

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: UtcDateTimeField}

    @classmethod
    def model_paths(cls) -> tuple[str, ...]:
        """What the output reads, as QuerySet.values() takes it (`buyer.email` -> `buyer__email`): a list can render
        its rows from values(*model_paths()) without building model instances. All sources must be model fields."""
        return _model_paths(cls)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        readers = _readers(type(self), from_values=isinstance(instance, dict))
        if readers is None:
            return super().to_representation(instance)  # type: ignore[no-any-return]
        row = {}
        for name, read in readers:
            try:
                row[name] = read(instance)
            except SkipField:
                pass
        return row


@functools.cache  # per class: building a ModelSerializer's fields costs ~0.3 ms
def _model_paths(serializer_class: type[OutputSerializer]) -> tuple[str, ...]:
    return tuple(str(field.source).replace(".", "__") for field in serializer_class().fields.values())


@functools.cache
def _readers(serializer_class: type[OutputSerializer], *, from_values: bool = False) -> tuple[tuple[str, Reader], ...] | None:
    prototype = serializer_class()
    model = serializer_class.Meta.model
    readers = []
    for name, field in prototype.fields.items():
        if not field.write_only:
            reader = _reader(field, model, from_values=from_values)
            if reader is None:
                if from_values:
                    raise TypeError(f"{serializer_class.__name__}.{name} cannot be read from QuerySet.values() rows")
                return None
            readers.append((name, reader))
    return tuple(readers)


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
