"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live_server.

Nothing is downloaded: the `playwright` package ships its driver, and the browser is the system's
/usr/bin/chromium (CHROMIUM_PATH overrides). A missing browser FAILS these tests; it never skips them.
Screenshots go to artifacts/screenshots/, which CI keeps.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# The flags this machine's closed network needs (python-svc.md); Playwright adds --headless and
# --no-sandbox itself and starts every launch with a fresh, empty --user-data-dir of its own.
CHROMIUM_ARGS = [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    is_mobile: bool = False

    def context_options(self) -> dict[str, object]:
        return {"viewport": {"width": self.width, "height": self.height}, "is_mobile": self.is_mobile, "has_touch": self.is_mobile}


DESKTOP = Device("desktop", 1280, 900)
PHONE = Device("phone", 390, 844, is_mobile=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (or set CHROMIUM_PATH)", pytrace=False)
    # The sync API runs an asyncio loop in this thread, so Django's ORM would refuse to run in the test
    # body ("SynchronousOnlyOperation"). Allowed only while the browser is up, not for the rest of the run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Session:
    """One browser context (own cookies) on the live server, with numbered screenshots and JS errors collected."""

    context: BrowserContext
    page: Page
    device: Device
    prefix: str
    errors: list[str] = field(default_factory=list)
    steps: int = 0

    def shot(self, step: str) -> Path:
        self.steps += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.steps:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_session(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Callable[..., Session]]:
    """Factory: open_session(device, prefix, cookies=[...]) -> Session; contexts close after the test."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened: list[Session] = []

    def open_(device: Device, prefix: str, *, locale: str = "en-US", cookies: list[dict[str, str]] | None = None) -> Session:
        context = browser.new_context(base_url=live_server.url, locale=locale, **device.context_options())  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        if cookies:
            context.add_cookies([{"url": live_server.url, **cookie} for cookie in cookies])  # type: ignore[list-item]
        for stale in SCREENSHOTS.glob(f"{prefix}-*.png"):
            stale.unlink()
        session = Session(context=context, page=context.new_page(), device=device, prefix=prefix)
        session.page.on("pageerror", lambda error: session.errors.append(str(error)))
        opened.append(session)
        return session

    yield open_
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for session in opened:
        if failed:  # the page as it was when the test gave up
            try:
                session.page.screenshot(path=str(SCREENSHOTS / f"{session.prefix}-FAILED.png"), full_page=True)
            except PlaywrightError:
                pass  # a crashed page has nothing to show; the test's own error says what happened
        session.context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets open_session see whether the test body failed
    return report

