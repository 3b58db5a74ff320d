"""Claims: list, retrieve, move along the workflow. Shop-scoped tokens only (claims are never shown to buyers)."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import claims_for, get_claim_for_principal
from api.filters import updated_since_filter
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer
from tickets.models import Claim
from tickets.services import claim_change_status


class ClaimOutputSerializer(OutputSerializer):
    case = serializers.PrimaryKeyRelatedField(source="ticket", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Claim
        ref_name = "Claim"
        fields = [
            "id", "case", "kind", "status", "amount", "currency", "liable_party", "insured", "note", "external_reference",
            "resolution_note", "evidence_override_reason", "submitted_at", "decided_at", "paid_at", "created_at", "updated_at",
        ]


class ClaimFilter(django_filters.FilterSet):
    updated_since = updated_since_filter()
    status = django_filters.MultipleChoiceFilter(choices=Claim.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Claim.Kind.choices)
    case = django_filters.NumberFilter(field_name="ticket_id")

    class Meta:
        model = Claim
        fields: list[str] = []


class ClaimListView(ApiListView):
    serializer_class = ClaimOutputSerializer
    filterset_class = ClaimFilter

    def get_queryset(self) -> Any:
        return claims_for(self.who)

    @extend_schema(operation_id="claims_list", tags=["claims"], summary="List the shop's claims")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ClaimDetailView(ApiView):
    @extend_schema(operation_id="claims_retrieve", tags=["claims"], summary="A claim", responses=ClaimOutputSerializer)
    def get(self, request: Request, claim_id: int) -> Response:
        return Response(ClaimOutputSerializer(get_claim_for_principal(self.who, claim_id)).data)


class ClaimUpdateView(ApiView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ClaimUpdateInput"

        read_only_names = frozenset({
            "id", "case", "kind", "amount", "currency", "liable_party", "insured", "note", "evidence_override_reason",
            "submitted_at", "decided_at", "paid_at", "created_at", "updated_at",
        })
        status = serializers.ChoiceField(choices=Claim.Status.choices)
        external_reference = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                                   help_text="The carrier's or marketplace's own claim number.")
        resolution_note = serializers.CharField(required=False, allow_blank=True, help_text="Why it was approved or rejected.")
        override_reason = serializers.CharField(
            required=False, allow_blank=True,
            help_text="Submitting with evidence missing from the checklist needs a reason (stored on the claim).",
        )

    @extend_schema(
        operation_id="claims_update", tags=["claims"], summary="Move a claim along its workflow",
        description="draft → submitted → under_review → approved | rejected → paid. Approving or paying a claim above the "
        "shop's threshold needs a supervisor's token (the approve-claim permission). Submitting with evidence missing needs "
        "`override_reason`. Only `status`, `external_reference`, `resolution_note` and `override_reason` can be written.",
        request=InputSerializer, responses={200: ClaimOutputSerializer},
    )
    def patch(self, request: Request, claim_id: int) -> Response:
        claim = get_claim_for_principal(self.who, claim_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = claim_change_status(
            claim=claim, status=data["status"], acting_user=self.who.user, external_reference=data.get("external_reference", ""),
            resolution_note=data.get("resolution_note", ""), override_reason=data.get("override_reason", ""),
        )
        return Response(ClaimOutputSerializer(get_claim_for_principal(self.who, claim.id)).data)
