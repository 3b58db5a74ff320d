"""Cases: open (JSON, or multipart with evidence files checked as in the portal), list, retrieve, change status."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import Principal, get_order_for_principal, get_parcel_for_principal, get_ticket_for_principal, tickets_for
from api.filters import updated_since_filter
from api.idempotency import idempotent
from api.services import case_open
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer, field_404
from tickets.evidence import CleanEvidence, evidence_check_case_budget, evidence_clean
from tickets.models import EvidenceKind, Ticket, TicketChannel, TicketKind, TicketPriority, TicketStatus
from tickets.services import ticket_change_status

CASE_READ_ONLY = frozenset({
    "id", "reference", "status", "channel", "buyer_email", "first_response_due", "resolution_due", "first_responded_at",
    "resolved_at", "closed_at", "created_at", "updated_at",
})


class CaseOutputSerializer(OutputSerializer):
    buyer_email = serializers.EmailField(source="buyer.email", read_only=True)

    class Meta:
        model = Ticket
        ref_name = "Case"
        fields = [
            "id", "reference", "kind", "status", "priority", "channel", "subject", "order", "parcel", "buyer_email",
            "first_response_due", "resolution_due", "first_responded_at", "resolved_at", "closed_at", "created_at", "updated_at",
        ]


def evidence_files_field() -> serializers.ListField:
    return serializers.ListField(child=serializers.FileField(), required=False, max_length=int(settings.EVIDENCE_MAX_FILES_PER_MESSAGE))


def clean_evidence_groups(groups: dict[str, list[Any]], *, ticket: Ticket | None) -> list[tuple[str, list[CleanEvidence]]]:
    """Each uploaded file through tickets.evidence (type by content, re-encoded), then the count and case budget.

    Raises DRF ValidationError naming the field of every refused file.
    """
    cleaned: list[tuple[str, list[CleanEvidence]]] = []
    errors: dict[str, list[str]] = {}
    for field, uploads in groups.items():
        files = []
        for upload in uploads:
            try:
                files.append(evidence_clean(upload))
            except DjangoValidationError as error:
                errors.setdefault(field, []).extend(error.messages)
        cleaned.append((field, files))
    if errors:
        raise serializers.ValidationError(errors)
    every = [f for _kind, files in cleaned for f in files]
    if len(every) > (limit := int(settings.EVIDENCE_MAX_FILES_PER_MESSAGE)):
        raise serializers.ValidationError(_("Attach at most %(count)d files in all.") % {"count": limit})
    if every:
        try:
            evidence_check_case_budget(ticket=ticket, files=every)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
    return cleaned


class CaseFilter(django_filters.FilterSet):
    updated_since = updated_since_filter()
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    kind = django_filters.ChoiceFilter(choices=TicketKind.choices)
    priority = django_filters.ChoiceFilter(choices=TicketPriority.choices)
    channel = django_filters.ChoiceFilter(choices=TicketChannel.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    parcel = django_filters.NumberFilter(field_name="parcel_id")
    reference = django_filters.CharFilter()

    class Meta:
        model = Ticket
        fields: list[str] = []


class CaseListView(ApiListView):
    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilter
    ordering_fields = ("id", "updated_at", "created_at")

    def get_queryset(self) -> Any:
        # Only the columns the page shows, as plain rows (no model instances, no shop): half of the page's CPU.
        return tickets_for(self.who).values(*CaseOutputSerializer.model_paths())

    @extend_schema(operation_id="cases_list", tags=["cases"], summary="List the shop's cases")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CaseDetailView(ApiView):
    @extend_schema(operation_id="cases_retrieve", tags=["cases"], summary="A case", responses=CaseOutputSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        return Response(CaseOutputSerializer(get_ticket_for_principal(self.who, case_id)).data)


class CaseCreateView(ApiView):
    parser_classes = [JSONParser, MultiPartParser]

    class JsonInputSerializer(StrictSerializer):
        class Meta:
            ref_name = "CaseCreateInput"

        read_only_names = CASE_READ_ONLY
        order = serializers.IntegerField(required=False, help_text="Id of one of the shop's orders; implied by `parcel`.")
        parcel = serializers.IntegerField(required=False, allow_null=True, default=None)
        kind = serializers.ChoiceField(choices=TicketKind.choices)
        subject = serializers.CharField(max_length=200)
        body = serializers.CharField(max_length=20_000)
        priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False, default=TicketPriority.NORMAL)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs.get("order") is None and attrs.get("parcel") is None:
                raise serializers.ValidationError({"order": [_("Give the order (or a parcel of it) the case is about.")]})
            return attrs

    class InputSerializer(JsonInputSerializer):
        """Multipart: the same fields, plus evidence files in fields named after their evidence kind."""

        class Meta:
            ref_name = "CaseCreateMultipartInput"

        package_photo = evidence_files_field()
        item_photo = evidence_files_field()
        proof_of_value = evidence_files_field()
        shipping_document = evidence_files_field()
        carrier_statement = evidence_files_field()
        screenshot = evidence_files_field()
        tracking_timeline = evidence_files_field()
        other = evidence_files_field()

    @extend_schema(
        operation_id="cases_create", tags=["cases"], summary="Open a case on an order",
        description="JSON, or multipart/form-data with evidence files (JPEG, PNG, WebP or PDF, decided by content; images "
        "are re-encoded without metadata) in fields named after their evidence kind, e.g. `package_photo`.",
        request={"application/json": JsonInputSerializer, "multipart/form-data": InputSerializer},
        responses={201: CaseOutputSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        who = self.who
        multipart = request.content_type.startswith("multipart/")
        serializer = (self.InputSerializer if multipart else self.JsonInputSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        parcel = field_404(lambda: get_parcel_for_principal(who, data["parcel"]), "parcel") if data["parcel"] else None
        order = field_404(lambda: get_order_for_principal(who, data.get("order") or parcel.order_id), "order")  # type: ignore[union-attr]
        groups = {kind: data[kind] for kind in EvidenceKind.values if data.get(kind)}
        ticket = case_open(
            order=order, parcel=parcel, kind=data["kind"], subject=data["subject"], body=data["body"],
            acting_user=_acting(who, order.buyer), evidence=clean_evidence_groups(groups, ticket=None),
            priority=data["priority"] if not who.public_only else TicketPriority.NORMAL,
        )
        return Response(CaseOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)


def _acting(who: Principal, buyer: Any) -> Any:
    """Buyer-facing tokens act for the case's buyer; shop tokens and people act as themselves."""
    return buyer if who.public_only else who.user


class CaseStatusView(ApiView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "CaseStatusInput"

        status = serializers.ChoiceField(choices=TicketStatus.choices)

    @extend_schema(
        operation_id="cases_change_status", tags=["cases"], summary="Move a case along the workflow",
        description="new → open → waiting_on_buyer | waiting_on_carrier → resolved → closed; reopening from resolved, "
        "and from closed within the order's after-sales window. A move the workflow forbids is a 400.",
        request=InputSerializer, responses={200: CaseOutputSerializer},
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        self.who.require_full_scope()
        ticket = get_ticket_for_principal(self.who, case_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = ticket_change_status(ticket=ticket, status=serializer.validated_data["status"], acting_user=self.who.user)
        return Response(CaseOutputSerializer(get_ticket_for_principal(self.who, ticket.id)).data)
