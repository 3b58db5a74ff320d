"""HTTPS to a pinned address: the certificate is checked against the subscription's host name (SNI), not the IP."""

from __future__ import annotations

import ssl
import subprocess

import httpx
import pytest

from tests.factories import WebhookSubscriptionFactory
from tests.logistics.carrier_server import CarrierServer, Reply
from webhooks import delivery as webhook_delivery
from webhooks.models import EventType, WebhookDelivery
from webhooks.services import webhook_event_record

HOST = "hooks.example.test"


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def tls_receiver(tmp_path, request):
    """A real HTTPS receiver on 127.0.0.1 whose certificate names `cert_name` (default HOST); the client trusts it."""
    cert, key = self_signed(tmp_path, getattr(request, "param", HOST))
    server = CarrierServer()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server._httpd.socket = context.wrap_socket(server._httpd.socket, server_side=True)
    with server:
        yield server, cert


@pytest.fixture
def trusting(monkeypatch, tls_receiver):
    _server, cert = tls_receiver
    real = webhook_delivery.http_client

    def client() -> httpx.Client:
        base = real()
        return httpx.Client(timeout=base.timeout, follow_redirects=False, trust_env=False, verify=ssl.create_default_context(cafile=cert))

    monkeypatch.setattr(webhook_delivery, "http_client", client)


def deliver(shop, url, capture) -> WebhookDelivery:
    WebhookSubscriptionFactory(shop=shop, url=url, events=[EventType.CASE_CREATED])
    with capture(execute=True):
        event = webhook_event_record(shop=shop, event_type=EventType.CASE_CREATED, data={})
    return WebhookDelivery.objects.get(event=event)


def test_https_to_the_pinned_address_checks_the_certificate_of_the_host_name(
    shop, tls_receiver, trusting, dns, allow_loopback, django_capture_on_commit_callbacks,
):
    server, _cert = tls_receiver
    server.route("POST", "/hook", Reply(200))
    dns[HOST] = ["127.0.0.1"]
    port = server.url.rsplit(":", 1)[1]
    delivery = deliver(shop, f"https://{HOST}:{port}/hook", django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded"
    assert server.received("POST", "/hook")[0].headers["host"] == f"{HOST}:{port}"


@pytest.mark.parametrize("tls_receiver", ["other.example.test"], indirect=True)
def test_a_certificate_for_another_name_fails(shop, tls_receiver, trusting, dns, allow_loopback, django_capture_on_commit_callbacks):
    server, _cert = tls_receiver
    server.route("POST", "/hook", Reply(200))
    dns[HOST] = ["127.0.0.1"]
    delivery = deliver(shop, f"https://{HOST}:{server.url.rsplit(':', 1)[1]}/hook", django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "certificate" in delivery.last_error.lower()
    assert server.count("POST", "/hook") == 0
