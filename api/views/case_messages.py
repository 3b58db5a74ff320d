"""A case's conversation: list its messages (public ones only for buyer-facing tokens) and reply."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import get_ticket_for_principal, messages_for
from api.idempotency import idempotent
from api.services import case_reply
from api.views.base import ApiListView, ApiView, OutputSerializer, StrictSerializer
from api.views.cases import clean_evidence_groups, evidence_files_field
from tickets.models import Attachment, EvidenceKind, Message


class AttachmentOutputSerializer(OutputSerializer):
    class Meta:
        model = Attachment
        ref_name = "Attachment"
        fields = ["id", "original_name", "content_type", "size", "evidence_kind", "created_at"]


class MessageOutputSerializer(OutputSerializer):
    author_role = serializers.SerializerMethodField(help_text="buyer, staff, or system (written by supportdesk itself).")
    attachments = AttachmentOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        ref_name = "Message"
        fields = ["id", "visibility", "author_role", "body", "attachments", "created_at"]

    @extend_schema_field(serializers.ChoiceField(choices=["buyer", "staff", "system"]))
    def get_author_role(self, message: Message) -> str:
        if message.author_id is None:
            return "system"
        return "buyer" if message.author_id == message.ticket.buyer_id else "staff"


class CaseMessageListView(ApiListView):
    serializer_class = MessageOutputSerializer
    ordering = ("id",)
    ordering_fields = ()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no case
            return Message.objects.none()
        ticket = get_ticket_for_principal(self.who, self.kwargs["case_id"])
        return messages_for(self.who, ticket).select_related("ticket")

    @extend_schema(operation_id="cases_messages_list", tags=["cases"], summary="A case's messages, oldest first",
                   description="Buyer-facing tokens see public replies only; shop tokens see internal notes too.")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CaseReplyView(ApiView):
    parser_classes = [JSONParser, MultiPartParser]

    class JsonInputSerializer(StrictSerializer):
        class Meta:
            ref_name = "CaseReplyInput"

        read_only_names = frozenset({"id", "author_role", "attachments", "created_at"})
        body = serializers.CharField(max_length=20_000)
        visibility = serializers.ChoiceField(
            choices=Message.Visibility.choices, required=False, default=Message.Visibility.PUBLIC,
            help_text="internal: a note only the shop's people see (not for buyer-facing tokens).",
        )

    class InputSerializer(JsonInputSerializer):
        class Meta:
            ref_name = "CaseReplyMultipartInput"

        files = evidence_files_field()
        evidence_kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False, default=EvidenceKind.OTHER)

    @extend_schema(
        operation_id="cases_reply", tags=["cases"], summary="Reply on a case",
        description="Shop tokens write as the token's creator (public reply or internal note). Buyer-facing tokens relay "
        "the buyer's own words: a public message as the buyer, which puts a case waiting on the buyer back to open.",
        request={"application/json": JsonInputSerializer, "multipart/form-data": InputSerializer},
        responses={201: MessageOutputSerializer},
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        ticket = get_ticket_for_principal(self.who, case_id)
        multipart = request.content_type.startswith("multipart/")
        serializer = (self.InputSerializer if multipart else self.JsonInputSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        files = clean_evidence_groups({"files": data["files"]}, ticket=ticket)[0][1] if data.get("files") else []
        message = case_reply(
            ticket=ticket, body=data["body"], visibility=data["visibility"], as_buyer=self.who.public_only,
            acting_user=self.who.user, files=files, evidence_kind=data.get("evidence_kind", EvidenceKind.OTHER),
        )
        message = Message.objects.select_related("ticket").prefetch_related("attachments").get(id=message.id)
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)
