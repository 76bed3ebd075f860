"""Fixtures of the browser suite: one `yard server` (free port, fresh data folder) seeded through the real
`mlflow` client and the `yard` CLI (seed.py), and one headless Debian Chromium driven by Selenium.

Environment:
    YARD_BIN                the yard binary (default <repo>/.build/debug/yard)
    YARD_WEB_SCREENSHOTS    where the screenshots go (default: tests/web/screenshots, ignored by git)
    YARD_WEB_KEEP_DATA=1    keep the server's data folder and the seeding work folder
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "compat"))  # servers.py: how every suite starts `yard server`

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
    os.environ.pop(name, None)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from chromium import new_driver  # noqa: E402

from seed import Seeded, seed  # noqa: E402
from servers import default_yard_bin, launch  # noqa: E402

@pytest.fixture(scope="session")
def yard_bin() -> str:
    path = str(default_yard_bin())
    if not os.access(path, os.X_OK):
        pytest.fail(f"yard binary not found at {path} (build it with `swift build`, or set YARD_BIN)")
    return path


@pytest.fixture(scope="session")
def server(yard_bin):
    process = launch("yard", yard_bin=Path(yard_bin), prefix="yard-web-")
    try:
        yield process
    finally:
        process.stop()
        if os.environ.get("YARD_WEB_KEEP_DATA"):
            print(f"\n[web] server data kept in {process.base_dir}")
        else:
            process.cleanup()


@pytest.fixture(scope="session")
def seeded(server, yard_bin) -> Seeded:
    work = Path(tempfile.mkdtemp(prefix="yard-web-seed-"))
    try:
        started = time.monotonic()
        data = seed(server.url, yard_bin, work)
        print(f"\n[web] seeded in {time.monotonic() - started:.1f}s")
        return data
    finally:
        if not os.environ.get("YARD_WEB_KEEP_DATA"):
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("YARD_WEB_SCREENSHOTS") or HERE / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    yield path
    print(f"\n[web] screenshots in {path}")


@pytest.fixture(scope="session")
def driver():
    chrome = new_driver()
    try:
        yield chrome
    finally:
        chrome.quit()


class Browser:
    """The driver plus what every test checks on every page: the HTTP status, console errors (a CSP
    violation is one), and links that lead nowhere."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path):
        self.driver = driver
        self.base = base_url
        self.shots = shots
        self.checked_links: dict[str, int] = {}

    # -- navigation
    def full(self, path: str) -> str:
        return urljoin(self.base + "/", path.lstrip("/")) if not path.startswith("http") else path

    def path(self) -> str:
        """The current URL without scheme and host."""
        parts = urlsplit(self.driver.current_url)
        return parts.path + (("?" + parts.query) if parts.query else "")

    def visit(self, path: str, status: int = 200) -> None:
        """GET the page over HTTP to check its status and policy, then load it in the browser and check
        the console."""
        got, headers, _ = http_get(self.full(path))
        assert got == status, f"GET {path}: status {got}, expected {status}"
        policy = headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, f"GET {path}: CSP is {policy!r}"
        self.drain_console()
        self.driver.get(self.full(path))
        self.assert_console_clean(allow_document_status=status != 200)

    def drain_console(self) -> None:
        self.driver.get_log("browser")

    def console_errors(self, allow_document_status: bool = False) -> list[dict]:
        errors = [entry for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"]
        if allow_document_status:  # the page itself answered 404/400 on purpose
            errors = [e for e in errors if "the server responded with a status of" not in e.get("message", "")]
        return errors

    def assert_console_clean(self, allow_document_status: bool = False) -> None:
        time.sleep(0.15)  # deferred scripts and their first fetches
        errors = self.console_errors(allow_document_status)
        assert not errors, f"console errors on {self.driver.current_url}:\n" + "\n".join(e["message"] for e in errors)

    def wait(self, condition, timeout: float = 15, message: str = ""):
        return WebDriverWait(self.driver, timeout).until(condition, message)

    def wait_for_path(self, predicate, timeout: float = 15) -> str:
        self.wait(lambda d: predicate(self.path()), timeout, f"URL never matched; last {self.driver.current_url}")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", timeout)
        return self.path()

    def click_and_wait(self, element, timeout: float = 15) -> None:
        """Click something that navigates; return once the new document has loaded."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.wait(lambda d: is_stale(old), timeout, "the click did not load a new page")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", timeout)
        self.assert_console_clean()

    # -- reading
    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def exists(self, css: str) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, css))

    def ui_links(self) -> list[str]:
        """Every <a> target on the page (SVG anchors too) that is a page of the UI on this server."""
        hrefs = self.driver.execute_script(
            "return Array.from(document.querySelectorAll('a')).map(function (a) {"
            "  var h = a.getAttribute('href') || a.getAttribute('xlink:href');"
            "  return h ? new URL(h, window.location.href).href : null; });")
        base = urlsplit(self.base)
        links = []
        for href in hrefs:
            if not href:
                continue
            parts = urlsplit(href)
            if parts.netloc == base.netloc and parts.path.startswith("/ui"):
                links.append(parts._replace(fragment="").geturl())
        return links

    def check_links(self) -> list[str]:
        """GET every UI link on the page (each URL once per session); returns the broken ones."""
        broken = []
        for link in self.ui_links():
            if link not in self.checked_links:
                self.checked_links[link] = http_status(link)
            if self.checked_links[link] != 200:
                broken.append(f"{link} -> {self.checked_links[link]}")
        return broken

    def screenshot(self, name: str) -> Path:
        target = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(target))
        return target

    # -- safety
    def assert_no_xss(self) -> None:
        """Nothing ran, and nothing was injected into the page's markup."""
        self.assert_nothing_ran()
        injected = self.driver.execute_script(
            "return {img: document.querySelectorAll('img[src=\"x\"]').length,"
            " scripts: Array.from(document.scripts).filter(function (s) { return !s.src; }).length,"
            " handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length,"
            " jsLinks: Array.from(document.querySelectorAll('a')).filter(function (a) {"
            "   var h = (a.getAttribute('href') || a.getAttribute('xlink:href') || '').trim().toLowerCase();"
            "   return h.indexOf('javascript:') === 0; }).length};")
        assert injected == {"img": 0, "scripts": 0, "handlers": 0, "jsLinks": 0}, \
            f"injected markup on {self.driver.current_url}: {injected}"

    def assert_nothing_ran(self) -> None:
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            raise AssertionError(f"an alert opened on {self.driver.current_url}: {text!r}")
        except NoAlertPresentException:
            pass
        assert self.driver.execute_script("return window.__xss") is None, f"a payload ran on {self.driver.current_url}"


def is_stale(element) -> bool:
    try:
        element.is_enabled()
        return False
    except Exception:  # StaleElementReferenceException: the document was replaced
        return True


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.fixture(scope="session")
def browser(driver, server, seeded, screenshot_dir) -> Browser:
    return Browser(driver, server.url, screenshot_dir)


@pytest.fixture
def page(browser):
    """The session's browser, with the console drained and no alert left over from the test before."""
    try:
        browser.driver.switch_to.alert.dismiss()
    except NoAlertPresentException:
        pass
    browser.drain_console()
    return browser
