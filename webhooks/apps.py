from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from webhooks.models import WebhookSubscription
        from webhooks.selectors import subscriptions_changed

        # The per-process memo of each shop's subscriptions (webhooks.selectors) is renewed in every process.
        post_save.connect(subscriptions_changed, sender=WebhookSubscription, dispatch_uid="webhook-subscription-saved")
        post_delete.connect(subscriptions_changed, sender=WebhookSubscription, dispatch_uid="webhook-subscription-deleted")
