from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Integration API"

    def ready(self) -> None:
        from api import authentication  # noqa: F401  (registers the OpenAPI security scheme)
        from api.token_cache import connect_signals

        connect_signals()
