"""Carriers: list them, and check a tracking number against a carrier's formats before sending it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.idempotency import idempotent
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer
from logistics.models import Carrier
from logistics.services import carrier_validate_number
from logistics.tracking_numbers import NumberFormat


class CarrierOutputSerializer(OutputSerializer):
    number_formats = serializers.ListField(child=serializers.ChoiceField(choices=NumberFormat.choices), read_only=True)

    class Meta:
        model = Carrier
        ref_name = "Carrier"
        fields = ["code", "name", "tracking_url_template", "number_formats"]


class CarrierListView(ApiListView):
    serializer_class = CarrierOutputSerializer
    ordering_fields = ()

    def get_queryset(self) -> Any:
        return Carrier.objects.filter(is_active=True)

    @extend_schema(operation_id="carriers_list", tags=["carriers"], summary="Active carriers")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CarrierValidateView(ApiView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "TrackingNumberValidateInput"

        tracking_number = serializers.CharField(max_length=64)

    class OutputSerializer(serializers.Serializer[dict[str, Any]]):
        class Meta:
            ref_name = "TrackingNumberValidation"

        valid = serializers.BooleanField()
        normalized = serializers.CharField(allow_null=True, help_text="The number as it would be stored; null if invalid.")
        error = serializers.CharField(allow_null=True, help_text="What is wrong with it, e.g. the check digit; null if valid.")

    @extend_schema(
        operation_id="carriers_validate", tags=["carriers"], summary="Check a tracking number for a carrier",
        request=InputSerializer, responses={200: OutputSerializer},
    )
    @idempotent
    def post(self, request: Request, code: str) -> Response:
        carrier = Carrier.objects.filter(code=code, is_active=True).first()
        if carrier is None:
            raise Http404("No such carrier")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            number = carrier_validate_number(carrier=carrier, number=serializer.validated_data["tracking_number"])
        except DjangoValidationError as error:
            return Response({"valid": False, "normalized": None, "error": " ".join(error.messages)})
        return Response({"valid": True, "normalized": number, "error": None})
