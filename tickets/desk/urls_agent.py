from django.urls import URLPattern, path

from tickets.desk import agent

urlpatterns: list[URLPattern] = [
    path("away/", agent.away, name="agent-away"),
]
