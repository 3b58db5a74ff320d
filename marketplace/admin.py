"""Admin for Ozon accounts (write-only API key, "sync now", the posting-report upload) and the push log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.forms import MarketplaceAccountForm, PostingReportForm
from marketplace.imports import ImportReport, postings_import
from marketplace.models import MarketplaceAccount, MarketplacePush
from marketplace.report import COLUMNS, ReportError
from marketplace.tasks import marketplace_sync_account_task
from orders.admin import ReadOnlyAdminMixin, SupportdeskAdmin, member_shop_filter
from orders.selectors import shops_for_user


@admin.register(MarketplaceAccount)
class MarketplaceAccountAdmin(SupportdeskAdmin):
    form = MarketplaceAccountForm
    list_display = ("shop", "client_id", "is_active", "last_synced_at", "last_error")  # never the Api-Key
    list_filter = ("is_active", member_shop_filter("shop_id"))
    list_select_related = ("shop",)
    search_fields = ("shop__name", "=client_id")
    readonly_fields = ("sync_cursor", "last_synced_at", "last_error", "created_at")
    actions = ("sync_now",)

    @admin.action(description=_("Sync with Ozon now"))
    def sync_now(self, request: HttpRequest, queryset: QuerySet[MarketplaceAccount]) -> None:
        ids = list(queryset.filter(is_active=True).values_list("id", flat=True))
        for account_id in ids:
            marketplace_sync_account_task.delay(account_id)
        self.message_user(request, gettext("%(count)d account(s) queued for a sync.") % {"count": len(ids)}, messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_postings_view)
        return [path("import-postings/", view, name="marketplace_import_postings"), *super().get_urls()]

    def import_postings_view(self, request: HttpRequest) -> HttpResponse:
        """Upload Ozon's FBS posting report for one of the user's shops, run the import, show its report."""
        if not request.user.has_perm("orders.add_order"):
            raise PermissionDenied
        form = PostingReportForm(request.POST or None, request.FILES or None, shops=shops_for_user(request.user))
        report: ImportReport | None = None
        if request.method == "POST" and form.is_valid():
            try:
                report = postings_import(shop=form.cleaned_data["shop"], raw=form.cleaned_data["file"].read())
            except ReportError as error:
                form.add_error("file", str(error))
            else:
                level = messages.WARNING if report.rejected else messages.SUCCESS
                self.message_user(request, report.summary(), level)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form, "report": report, "columns": COLUMNS,
            "title": gettext("Import posting report"),
        }
        return TemplateResponse(request, "admin/marketplace/import_postings.html", context)


@admin.register(MarketplacePush)
class MarketplacePushAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "account__shop_id"
    list_display = ("posting_number", "tracking_number", "status", "attempts", "next_attempt_at", "sent_at", "last_error", "created_at")
    list_filter = ("status", member_shop_filter("account__shop_id"))
    search_fields = ("^posting_number", "^tracking_number")
    list_select_related = ("account",)
