"""The Airflow UI in a real browser (selenium driving Debian's chromium + chromium-driver):
log in through the UI's form and read the Forecasts view inside the UI (owned by the forecasts
page; used by tests/forecasts against local-mode ``airflow api-server`` and by the compose
e2e test against the api-server container).

* :func:`browser_available` — why no browser can run here, or None;
* :func:`chromium` — a headless chromium WebDriver (context manager);
* :func:`log_in` — the UI's login form (SimpleAuthManager or FAB: username, password, submit);
* :func:`read_forecasts_view` — open ``/plugin/forecasts`` (the plugin's ``url_route``), switch
  into its iframe, wait for the Upcoming table and return the iframe's text; saves a screenshot.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_available() -> str | None:
    """None when chromium and chromedriver are installed, else why not (a skip reason)."""
    if not (shutil.which("chromium") or Path(CHROMIUM).exists()):
        return "Debian's chromium is not installed"
    if not (shutil.which("chromedriver") or Path(CHROMEDRIVER).exists()):
        return "Debian's chromium-driver is not installed"
    return None


@contextmanager
def chromium(width: int = 1600, height: int = 1000) -> Iterator[WebDriver]:
    """A headless chromium session through the local chromedriver (no download: both
    executables are given, so Selenium Manager is not asked for drivers)."""
    options = Options()
    options.binary_location = shutil.which("chromium") or CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    service = Service(executable_path=shutil.which("chromedriver") or CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: WebDriver, base_url: str, user: str, password: str, timeout: float = 60) -> None:
    """Sign in through the UI's login form at ``base_url``; the UI then holds the ``_token``
    cookie. Raises TimeoutException when the form or the signed-in UI does not appear."""
    driver.get(f"{base_url}/")
    wait = WebDriverWait(driver, timeout)
    name = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "input[name='username'], input#username"))
    )
    name.send_keys(user)
    driver.find_element(By.CSS_SELECTOR, "input[type='password']").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait.until(lambda d: "login" not in d.current_url.lower())
    wait.until(lambda d: d.get_cookie("_token") is not None)


def read_forecasts_view(
    driver: WebDriver, base_url: str, screenshot: Path, timeout: float = 60
) -> str:
    """Open the Forecasts view inside the UI, wait for its iframe to show the Upcoming table,
    save a screenshot of the UI with the view, and return the iframe's visible text."""
    driver.get(f"{base_url}/plugin/forecasts")
    wait = WebDriverWait(driver, timeout)
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe")))
    driver.switch_to.frame(frame)
    try:
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table#upcoming tbody tr")))
        text = str(driver.find_element(By.TAG_NAME, "body").text)
    finally:
        driver.switch_to.default_content()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(screenshot))
    return text
