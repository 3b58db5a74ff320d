from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.models import Parcel, ParcelAnomaly
from orders.models import Order, Shop, currency_validator
from tickets.desk.sla_due import open_q, sla_due_expression, sla_warn_expression

_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: easy to read out on the phone


def new_reference() -> str:
    return "SD-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class TicketKind(models.TextChoices):
    LOST_PARCEL = "lost_parcel", _("Lost parcel")
    DELIVERY_DELAY = "delivery_delay", _("Delivery delay")
    DAMAGED = "damaged", _("Damaged goods")
    RETURN_EXCHANGE = "return_exchange", _("Return or exchange")
    ADDRESS_CHANGE = "address_change", _("Address change")
    TRACKING_NUMBER = "tracking_number", _("Tracking number problem")
    PRODUCT_QUESTION = "product_question", _("Product question")
    OTHER = "other", _("Other")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_BUYER = "waiting_on_buyer", _("Waiting on buyer")
    WAITING_ON_CARRIER = "waiting_on_carrier", _("Waiting on carrier")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# DESIGN §4: the workflow. Reopening a closed case is further limited to the after-sales window.
_WORKING = {TicketStatus.OPEN, TicketStatus.WAITING_ON_BUYER, TicketStatus.WAITING_ON_CARRIER}
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset(_WORKING | {TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    **{s: frozenset((_WORKING - {s}) | {TicketStatus.RESOLVED, TicketStatus.CLOSED}) for s in _WORKING},
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.OPEN}),
}
OPEN_STATUSES: tuple[str, ...] = (TicketStatus.NEW, *sorted(_WORKING))


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketChannel(models.TextChoices):
    PORTAL = "portal", _("Buyer portal")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    MARKETPLACE = "marketplace", _("Marketplace messages")
    API = "api", _("API")
    SYSTEM = "system", _("Detected by supportdesk")


class EvidenceKind(models.TextChoices):
    PACKAGE_PHOTO = "package_photo", _("Photo of the package")
    ITEM_PHOTO = "item_photo", _("Photo of the item")
    PROOF_OF_VALUE = "proof_of_value", _("Proof of value (invoice, payment)")
    SHIPPING_DOCUMENT = "shipping_document", _("Shipping document")
    CARRIER_STATEMENT = "carrier_statement", _("Carrier's statement (e.g. loss certificate)")
    SCREENSHOT = "screenshot", _("Screenshot")
    TRACKING_TIMELINE = "tracking_timeline", _("Tracking timeline")
    OTHER = "other", _("Other")


# What each kind of case needs before it can be settled (DESIGN §4, seeds 000/001).
REQUIRED_EVIDENCE: dict[str, tuple[str, ...]] = {
    TicketKind.LOST_PARCEL: (EvidenceKind.PROOF_OF_VALUE, EvidenceKind.TRACKING_TIMELINE),
    TicketKind.DAMAGED: (EvidenceKind.PACKAGE_PHOTO, EvidenceKind.ITEM_PHOTO),
    TicketKind.RETURN_EXCHANGE: (EvidenceKind.ITEM_PHOTO,),
}


class Ticket(models.Model):
    """A case: one problem of one buyer, anchored to an order and usually a parcel."""

    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    kind = models.CharField(max_length=20, choices=TicketKind.choices)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    channel = models.CharField(max_length=12, choices=TicketChannel.choices, default=TicketChannel.PORTAL)
    subject = models.CharField(max_length=200)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="tickets")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    parcel = models.ForeignKey(Parcel, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases",
        help_text=_("Set when this case was merged into another as a duplicate (it is then closed)."),
    )
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    # SLA clock (tickets/sla/): warnings fire at *_warn_at; while waiting on the buyer or the carrier the
    # clock is paused (sla_paused_at), and on resume the due times move later by the paused business time.
    sla_policy = models.ForeignKey("tickets.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   help_text=_("Empty: the built-in default targets."))
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_paused_seconds = models.PositiveIntegerField(default=0, help_text=_("Business seconds the SLA clock was paused, in total."))
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("The buyer's rating of the resolution, 1–5."))
    rating_comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("reassign_ticket", "Can reassign cases of other agents"), ("view_reports", "Can see reports")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TicketKind.values), name="ticket_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=TicketPriority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=Q(channel__in=TicketChannel.values), name="ticket_channel_valid"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="ticket_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-created_at"], name="ticket_shop_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status_idx"),
            models.Index(fields=["buyer", "-created_at"], name="ticket_buyer_recent_idx"),
            models.Index(fields=["first_response_due"], condition=Q(first_responded_at__isnull=True), name="ticket_awaiting_reply_idx"),
            models.Index(fields=["parcel", "kind"], name="ticket_parcel_kind_idx"),
            models.Index(fields=["first_response_warn_at"], condition=Q(first_responded_at__isnull=True, sla_paused_at__isnull=True),
                         name="ticket_reply_warn_idx"),
            models.Index(fields=["resolution_warn_at"], condition=Q(resolved_at__isnull=True, sla_paused_at__isnull=True),
                         name="ticket_resolution_warn_idx"),
            # The API's cursor pages (newest id first) and incremental sync, per shop.
            models.Index(fields=["shop", "id"], name="ticket_shop_id_idx"),
            models.Index(fields=["shop", "updated_at", "id"], name="ticket_shop_updated_idx"),
            # The agents' queues (tickets/desk): each saved view reads its first page in SLA-due order off one of these.
            models.Index(sla_due_expression(), F("id"), name="ticket_queue_sla_idx"),
            models.Index(F("assignee"), sla_due_expression(), F("id"), condition=open_q(), name="ticket_queue_assignee_sla_idx"),
            models.Index(F("kind"), sla_due_expression(), F("id"), condition=open_q(), name="ticket_queue_kind_sla_idx"),
            models.Index(F("status"), sla_due_expression(), F("id"), condition=open_q(), name="ticket_queue_status_sla_idx"),
            # "Breaching SLA soon": past the warning time, before the due time, clock running; a range on the first column.
            models.Index(sla_warn_expression(), sla_due_expression(), condition=open_q() & Q(sla_paused_at__isnull=True),
                         name="ticket_queue_warn_idx"),
            # The saved views' counts: one index-only scan over the open cases.
            models.Index(
                fields=["shop"],
                include=["status", "kind", "assignee", "first_response_due", "first_responded_at", "resolution_due", "sla_paused_at",
                         "first_response_warn_at", "resolution_warn_at"],
                condition=open_q(), name="ticket_queue_counts_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def can_transition_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS.get(self.status, frozenset())

    @property
    def required_evidence(self) -> tuple[str, ...]:
        return REQUIRED_EVIDENCE.get(self.kind, ())


class Message(models.Model):
    """A public reply the buyer sees, or an internal note only agents see."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Empty for messages written by supportdesk itself."),
    )
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    body = models.TextField()
    client_token = models.CharField(
        max_length=64, blank=True, editable=False, help_text=_("The sending form's token: the same form sent twice makes one message."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(visibility__in=["public", "internal"]), name="message_visibility_valid"),
            models.UniqueConstraint(fields=["ticket", "client_token"], condition=~Q(client_token=""), name="message_client_token_once"),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_thread_idx")]

    def __str__(self) -> str:
        return f"{self.get_visibility_display()} on {self.ticket_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Random storage name: the original name is kept in the row, never trusted on disk.
    return f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class AttachmentState(models.TextChoices):
    # Images are re-encoded by a worker after the upload (tickets/evidence.py); until then nobody downloads them.
    PENDING = "pending", _("Being checked")
    CLEAN = "clean", _("Ready")
    REJECTED = "rejected", _("Could not be read")


class Attachment(models.Model):
    """An evidence file, always carried by a message."""

    State = AttachmentState

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    evidence_kind = models.CharField(max_length=20, choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    state = models.CharField(max_length=8, choices=AttachmentState.choices, default=AttachmentState.CLEAN)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(evidence_kind__in=EvidenceKind.values), name="attachment_evidence_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=AttachmentState.values), name="attachment_state_valid"),
        ]
        # the sweep that re-sends sanitising work a lost broker message left behind
        indexes = [models.Index(fields=["created_at"], condition=Q(state="pending"), name="attachment_pending_idx")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_ready(self) -> bool:
        return self.state == AttachmentState.CLEAN


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    REPLIED = "replied", _("Public reply")
    NOTE_ADDED = "note_added", _("Internal note")
    ATTACHMENT_ADDED = "attachment_added", _("Evidence added")
    ATTACHMENT_REJECTED = "attachment_rejected", _("Evidence refused after upload")
    CLAIM_CREATED = "claim_created", _("Claim created")
    CLAIM_STATUS_CHANGED = "claim_status_changed", _("Claim status changed")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_WARNING = "sla_warning", _("SLA about to run out")
    SLA_ESCALATED = "sla_escalated", _("SLA breach escalated")
    SLA_PAUSED = "sla_paused", _("SLA clock paused")
    SLA_RESUMED = "sla_resumed", _("SLA clock resumed")
    RATED = "rated", _("Rated by the buyer")
    ANOMALY_LINKED = "anomaly_linked", _("Detected problem linked")
    ANOMALY_RESOLVED = "anomaly_resolved", _("Detected problem cleared")
    MERGED_INTO = "merged_into", _("Merged into another case")
    MERGED_FROM = "merged_from", _("A duplicate case merged in")


class TicketEvent(models.Model):
    """The audit trail: one row for every change to a case."""

    Kind = TicketEventKind

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_trail_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TicketEventKind.values), name="ticketevent_kind_valid"),
            # The SLA sweep may run twice at once; the breach is still recorded only once.
            models.UniqueConstraint(fields=["ticket", "kind", "new_value"], condition=Q(kind="sla_breached"), name="ticketevent_breach_once"),
            # Likewise one warning and one escalation per case and target (new_value: first_response | resolution).
            models.UniqueConstraint(fields=["ticket", "kind", "new_value"], condition=Q(kind="sla_warning"), name="ticketevent_warning_once"),
            models.UniqueConstraint(fields=["ticket", "kind", "new_value"], condition=Q(kind="sla_escalated"), name="ticketevent_escalation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.old_value}→{self.new_value}"


class TicketAnomaly(models.Model):
    """Links a detected parcel anomaly to the case that handles it: one case per anomaly, while a
    case may hold several (a suspected loss the carrier later declares lost)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="anomaly_links")
    anomaly = models.OneToOneField(ParcelAnomaly, on_delete=models.CASCADE, related_name="case_link")
    linked_at = models.DateTimeField(default=timezone.now)
    resolution_noted_at = models.DateTimeField(null=True, blank=True, help_text=_("When the case was told the anomaly cleared."))

    def __str__(self) -> str:
        return f"{self.anomaly} → {self.ticket_id}"


class Claim(models.Model):
    """A request for money or a re-ship, filed from a case to the carrier, marketplace or insurer."""

    class Kind(models.TextChoices):
        COMPENSATION = "compensation", _("Compensation")
        RESHIP = "reship", _("Re-ship")
        REFUND = "refund", _("Refund")
        COUPON = "coupon", _("Coupon")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    class LiableParty(models.TextChoices):
        CARRIER = "carrier", _("Carrier")
        MARKETPLACE = "marketplace", _("Marketplace warehouse")
        SELLER = "seller", _("Seller")
        INSURER = "insurer", _("Insurer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="RUB", validators=[currency_validator])
    liable_party = models.CharField(max_length=12, choices=LiableParty.choices, default=LiableParty.CARRIER)
    insured = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text=_("Why this claim is filed: the agent's summary for the liable party."))
    external_reference = models.CharField(
        max_length=100, blank=True, help_text=_("The carrier's, marketplace's or insurer's own number for this claim.")
    )
    resolution_note = models.TextField(blank=True, help_text=_("What the liable party decided, and why."))
    evidence_override_reason = models.TextField(
        blank=True, help_text=_("Set when the claim was submitted although evidence was missing: why.")
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, help_text=_("When it was approved or rejected."))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_claim", "Can approve or reject claims")]
        indexes = [models.Index(fields=["status", "-created_at"], name="claim_status_recent_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="claim_amount_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=["compensation", "reship", "refund", "coupon"]), name="claim_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "under_review", "approved", "rejected", "paid"]), name="claim_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
        "draft": frozenset({"submitted"}),
        "submitted": frozenset({"under_review", "rejected"}),
        "under_review": frozenset({"approved", "rejected"}),
        "approved": frozenset({"paid"}),
        "rejected": frozenset(),
        "paid": frozenset(),
    }

    def can_transition_to(self, status: str) -> bool:
        return status in self.CLAIM_TRANSITIONS.get(self.status, frozenset())

    def next_statuses(self) -> list[str]:
        """The moves the workflow allows from here, in workflow order (for the desk's buttons)."""
        allowed = self.CLAIM_TRANSITIONS.get(self.status, frozenset())
        return [status for status in self.Status.values if status in allowed]

    def needs_supervisor_for(self, status: str) -> bool:
        """Approving or paying above the shop's threshold is a supervisor's decision (the shop must be loaded)."""
        return status in (self.Status.APPROVED, self.Status.PAID) and self.amount > self.ticket.shop.claim_approval_threshold


class NotificationKind(models.TextChoices):
    AGENT_REPLIED = "agent_replied", _("Support replied")
    STATUS_CHANGED = "status_changed", _("Case status changed")
    DELAY_DETECTED = "delay_detected", _("Delay detected")
    LOSS_SUSPECTED = "loss_suspected", _("Parcel may be lost")
    TRACKING_NUMBER_CHANGED = "tracking_number_changed", _("Tracking number changed")
    SLA_WARNING = "sla_warning", _("SLA about to run out")
    SLA_ESCALATED = "sla_escalated", _("SLA breached")


class Notification(models.Model):
    """Something a user is told: listed in the portal and, once, sent by e-mail in their language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    tracking_change = models.ForeignKey(
        "logistics.TrackingNumberChange", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True, help_text=_("Path in the portal this notification points to."))
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
            # a tracking-number change is announced to each user once, however often the scan runs
            models.UniqueConstraint(fields=["user", "tracking_change"], name="notification_once_per_tracking_change"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


from tickets.models_macros import (  # noqa: E402, F401  (macros; kept apart for this module's size)
    MACRO_PLACEHOLDER_RE,
    MACRO_PLACEHOLDERS,
    Macro,
    MacroText,
    validate_macro_placeholders,
)
from tickets.models_sla import (  # noqa: E402, F401  (SLA and assignment models; kept apart for this module's size)
    AgentStatus,
    AssignmentRule,
    ShopCalendar,
    SlaPolicy,
    SpecialDay,
    WorkingHours,
)
