"""Cursor pagination with a capped page size; a bad cursor or page size is a 400, not a silent default."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class ApiCursorPagination(CursorPagination):
    page_size_query_param = "page_size"
    ordering = "-id"  # unique and indexed: stable pages at any depth

    def __init__(self) -> None:
        self.page_size = int(settings.API_PAGE_SIZE)  # read per request: settings can change (tests, env)
        self.max_page_size = int(settings.API_MAX_PAGE_SIZE)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return int(settings.API_PAGE_SIZE)
        limit = int(settings.API_MAX_PAGE_SIZE)
        if not raw.isdigit() or not 1 <= int(raw) <= limit:
            raise ValidationError({"page_size": [_("Use a whole number from 1 to %(max)d.") % {"max": limit}]})
        return int(raw)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [_("This cursor is not valid; start again from the first page.")]}) from None

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["required"] = ["next", "previous", "results"]
        return described

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": int(settings.API_MAX_PAGE_SIZE)}
        return params
