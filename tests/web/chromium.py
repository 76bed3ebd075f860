"""Debian's headless Chromium through Selenium, set up one way for the browser suite and the benchmark:
the system browser and driver (nothing is downloaded), console messages kept for get_log("browser"), and
a 1280×800 viewport (screenshots are exactly that size)."""

from __future__ import annotations

import os

os.environ.setdefault("SE_OFFLINE", "true")  # selenium never looks for a driver of its own

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
VIEWPORT = (1280, 800)


def chrome_options() -> Options:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", "--disable-extensions", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--lang=en-US"):
        options.add_argument(argument)
    # Console messages, CSP violations included, are read back with driver.get_log("browser").
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An unexpected alert must fail the test that caused it, not be dismissed silently.
    options.set_capability("unhandledPromptBehavior", "ignore")
    return options


def new_driver() -> webdriver.Chrome:
    driver = webdriver.Chrome(options=chrome_options(), service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    # The headless window's viewport is smaller than --window-size; pin it so screenshots are 1280×800.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})
    return driver
