"""SSRF refusals, at registration (subscription_create) and in the guard itself."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.webhooks.conftest import PUBLIC_IP
from webhooks import urlguard
from webhooks.models import EventType, WebhookSubscription
from webhooks.services import subscription_create

REFUSED_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::1]/hook",
    "http://2130706433/hook",  # decimal 127.0.0.1
    "http://0x7f000001/hook",  # hex 127.0.0.1
    "http://0177.0.0.1/hook",  # octal 127.0.0.1
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",  # shared address space
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[2002:7f00:1::]/hook",  # 6to4 wrapping 127.0.0.1
]
BAD_SYNTAX = [
    "file:///etc/passwd",
    "gopher://example.com/1",
    "ftp://example.com/x",
    "javascript:alert(1)",
    "https://user:secret@hooks.example.com/x",
    "https://user@hooks.example.com/x",
    "https:///no-host",
    "https://hooks.example.com:99999/x",
    "not a url",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_non_global_addresses_are_refused_at_registration(shop, dns, url):
    with pytest.raises(ValidationError) as error:
        subscription_create(shop=shop, url=url, events=[EventType.CASE_CREATED])
    assert "url" in error.value.message_dict
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", BAD_SYNTAX)
def test_other_schemes_and_credentials_are_refused(shop, dns, url):
    with pytest.raises(ValidationError) as error:
        subscription_create(shop=shop, url=url, events=[EventType.CASE_CREATED])
    assert "url" in error.value.message_dict


def test_a_name_is_refused_if_any_of_its_addresses_is_private(shop, dns):
    dns["mixed.example.com"] = [PUBLIC_IP, "10.1.2.3"]
    with pytest.raises(ValidationError, match="10.1.2.3"):
        subscription_create(shop=shop, url="https://mixed.example.com/hook", events=[EventType.CASE_CREATED])


def test_an_unresolvable_name_is_refused(shop, monkeypatch):
    import socket

    def fail(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(urlguard, "resolve", fail)
    with pytest.raises(ValidationError, match="cannot be resolved"):
        subscription_create(shop=shop, url="https://nowhere.invalid/hook", events=[EventType.CASE_CREATED])


def test_a_public_https_url_is_accepted(shop, dns):
    subscription = subscription_create(shop=shop, url="https://hooks.example.com/in", events=[EventType.CASE_CREATED])
    assert subscription.url == "https://hooks.example.com/in"


def test_allow_loopback_lets_loopback_through_and_nothing_else(shop, dns, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    for url in ("http://127.0.0.1:8000/hook", "http://[::1]/hook", "http://localhost:9/hook", "http://2130706433/hook"):
        assert urlguard.vet(url).address in ("127.0.0.1", "::1")
    for url in ("http://10.0.0.5/hook", "http://169.254.169.254/", "http://192.168.0.1/"):
        with pytest.raises(urlguard.UnsafeURL):
            urlguard.vet(url)


def test_loopback_is_refused_by_default(settings):
    assert settings.WEBHOOKS_ALLOW_LOOPBACK is False
    with pytest.raises(urlguard.UnsafeURL):
        urlguard.vet("http://127.0.0.1/hook")


def test_vet_returns_the_address_to_connect_to(dns):
    dns["hooks.example.com"] = ["203.0.113.7"]  # TEST-NET-3 is documentation space: not global
    with pytest.raises(urlguard.UnsafeURL):
        urlguard.vet("https://hooks.example.com/x")
    dns["hooks.example.com"] = ["8.8.8.8"]
    target = urlguard.vet("https://hooks.example.com:8443/x")
    assert (target.host, target.port, target.address) == ("hooks.example.com", 8443, "8.8.8.8")
