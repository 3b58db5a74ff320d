"""Look-ups whose SQL is compiled once per process, for the few queries every API request makes.

Django turns a queryset into SQL each time it runs: for a get() over three joined tables the compiling costs about
twice the CPU of running the (prepared) statement. The token and the order of an API create were a third of its
CPU that way (benchmark P5). A CompiledGet compiles its queryset once per database, with probe values standing
where the caller's values go, then runs that SQL with the caller's values and builds the instances as Django
would: columns converted by the compiler, related rows attached through their foreign keys, annotations set.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.sql.constants import MULTI

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Part:
    path: str  # "" for the model itself, else a forward foreign key's name
    model: type[models.Model]
    names: tuple[str, ...]  # attnames, in column order


@dataclass(frozen=True)
class _Compiled:
    compiler: Any  # Django's SQLCompiler after as_sql(): its select list converts the columns
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where each caller value goes in params


class CompiledGet(Generic[M]):
    """`build(*values)` as one instance (or None), its SQL compiled once per database alias.

    `build` returns a queryset of the model filtered on the values, each of which must reach the SQL as one
    parameter, unchanged (exact filters). `probes` are values of the right types that appear nowhere else among the
    query's parameters; a caller's value is converted to its probe's type first, so a bad one raises ValueError or
    TypeError as the ORM would. `related` names forward foreign keys loaded with the row (select_related), and
    `annotations` names annotations of the queryset, set on the instance. Raises MultipleObjectsReturned if more
    than one row matches.
    """

    def __init__(
        self, model: type[M], build: Callable[..., models.QuerySet[M]], *, probes: Sequence[object],
        related: Sequence[str] = (), annotations: Sequence[str] = (),
    ) -> None:
        self.model, self._build, self._probes, self._annotations = model, build, tuple(probes), tuple(annotations)
        self._parts = (_Part("", model, _attnames(model)),) + tuple(
            _Part(path, model._meta.get_field(path).related_model, _attnames(model._meta.get_field(path).related_model))  # type: ignore[arg-type]
            for path in related
        )
        self._compiled: dict[str, _Compiled] = {}

    def get(self, *values: object, using: str = DEFAULT_DB_ALIAS) -> M | None:
        compiled = self._compiled.get(using) or self._compile(using)
        params = list(compiled.params)
        for slot, probe, value in zip(compiled.slots, self._probes, values, strict=True):
            params[slot] = type(probe)(value)  # type: ignore[call-arg]  # int, str...: they take one value
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connections[using]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)
        rows = list(compiler.results_iter(compiler.execute_sql(MULTI)))
        if len(rows) > 1:
            raise self.model.MultipleObjectsReturned(  # type: ignore[attr-defined]
                f"more than one {self.model.__name__} for {values!r}"
            )
        return self._instance(rows[0], using) if rows else None

    def _compile(self, using: str) -> _Compiled:
        columns = [name if not part.path else f"{part.path}__{name}" for part in self._parts for name in part.names]
        queryset = self._build(*self._probes).values_list(*columns, *self._annotations)[:2]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = []
        for probe in self._probes:
            found = [i for i, param in enumerate(params) if type(param) is type(probe) and param == probe]
            if len(found) != 1:
                raise ImproperlyConfigured(f"probe {probe!r} is {len(found)} parameters of {sql}")
            slots.append(found[0])
        if len(compiler.select) != len(columns) + len(self._annotations):
            raise ImproperlyConfigured(f"{len(compiler.select)} columns selected, {len(columns)} fields expected: {sql}")
        compiled = self._compiled[using] = _Compiled(compiler, sql, tuple(params), tuple(slots))
        return compiled

    def _instance(self, row: Sequence[Any], using: str) -> M:
        start, instance = 0, None
        for part in self._parts:
            values = row[start:start + len(part.names)]
            start += len(part.names)
            if not part.path:
                instance = part.model.from_db(using, part.names, values)
            elif values[part.names.index(part.model._meta.pk.attname)] is None:  # type: ignore[union-attr]
                setattr(instance, part.path, None)
            else:
                setattr(instance, part.path, part.model.from_db(using, part.names, values))  # caches it, as select_related
        for name, value in zip(self._annotations, row[start:], strict=True):
            setattr(instance, name, value)
        return instance  # type: ignore[return-value]


def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)
