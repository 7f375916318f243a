"""Real-browser end-to-end test of the Recommend with Fullscript button (issue 4, "Tests").

Headless Chromium driven by Selenium 4 against `fullscript-redirect demo`, which serves the demo
EHR at http://127.0.0.1:P/ and the Fullscript simulator at http://localhost:S/ (another site on
purpose, so the browser applies the same SameSite cookie rules as between an EHR and Fullscript).

Run it through scripts/browser-test.sh, which starts the demo and sets:
  EHR_URL            http://127.0.0.1:P        the app (demo EHR + /recommend + OAuth callback)
  SANDBOX_URL        http://localhost:S        the simulator as browsers reach it
  SANDBOX_ADMIN_URL  http://127.0.0.1:S        the simulator's loopback-only test hooks
  SERVER_LOG         the demo's log file (one line per request, read to check statuses)
  ARTIFACTS_DIR      where screenshots (always) and failure dumps go
  CHROMIUM_BINARY, CHROMEDRIVER   (default /usr/bin/chromium, /usr/bin/chromedriver)

The tests of one class run in order (test_1 … test_3) in one browser profile: test_1 connects
Fullscript on the first click, test_2 relies on that connection. The staff test gets a fresh profile.
unittest runs the classes in name order: TabWhileFullscriptIsSlowFlow (dr-quinn again, in a fresh profile) comes
after PractitionerFlow, which needs dr-quinn not yet connected.
"""

import functools
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

EHR_URL = os.environ.get("EHR_URL", "http://127.0.0.1:8080").rstrip("/")
SANDBOX_URL = os.environ.get("SANDBOX_URL", "http://localhost:8090").rstrip("/")
SANDBOX_ADMIN_URL = os.environ.get("SANDBOX_ADMIN_URL", SANDBOX_URL.replace("//localhost", "//127.0.0.1")).rstrip("/")
SERVER_LOG = os.environ.get("SERVER_LOG", "")
ARTIFACTS_DIR = os.environ.get("ARTIFACTS_DIR", os.path.join(".build", "test-artifacts", "browser"))
CHROMIUM_BINARY = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = float(os.environ.get("BROWSER_WAIT_SECONDS", "20"))
# When set (scripts/browser-test.sh --screens sets docs/screens), every screenshot is also saved there
# at a desktop and a phone width, for the docs.
DOCS_SCREENS = os.environ.get("DOCS_SCREENS", "")
DOCS_WIDTHS = ((1280, 900), (390, 844))
# axe-core impacts that fail a page.
BLOCKING_IMPACTS = ("serious", "critical")

PLAN_PATH = re.compile(r"^/sandbox/plans/([^/?#]+)$")
DRAFT_LINK_PATH = "/api/clinic/dynamic_links/treatment_plans"
# A patient's clicks after the first name them by Fullscript id, through the gateway link (a draft too).
GATEWAY_LINK_PATH = "/api/clinic/dynamic_links/gateway/treatment_plans"


def log(message):
    print(f"[browser-test] {message}", file=sys.stderr, flush=True)


# --- the app and the simulator over plain HTTP (no browser) ------------------------------------

def http_get(url, timeout=5):
    """(status, body) of a GET, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def http_send(method, url, body=None, headers=None, timeout=5):
    """(status, body) of a request with an optional JSON body."""
    request = urllib.request.Request(url, data=None if body is None else body.encode("utf-8"), method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def http_post(url, body):
    return http_send("POST", url, body)


def http_delete(url):
    return http_send("DELETE", url)


def demo_service_key():
    """The /api/v1 key the demo printed at start (SERVER_LOG), to add patients as the EHR's services do."""
    with open(SERVER_LOG, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = re.search(r"Service key for /api/v1 .*: (\S+)$", line.rstrip("\n"))
            if match:
                return match.group(1)
    raise AssertionError(f"no service key in {SERVER_LOG}")


def sandbox_requests():
    """What the simulator's /api received: [{method, path, query, bearer_token, body, request_id}]."""
    status, body = http_get(SANDBOX_ADMIN_URL + "/_sandbox/requests")
    if status != 200:
        raise AssertionError(f"GET {SANDBOX_ADMIN_URL}/_sandbox/requests answered {status}: {body[:300]}")
    return json.loads(body)


def draft_link_requests():
    """The draft-plan link requests (draft or gateway link) the simulator received, each with its JSON body parsed."""
    drafts = []
    for request in sandbox_requests():
        if request.get("method") == "POST" and request.get("path") in (DRAFT_LINK_PATH, GATEWAY_LINK_PATH):
            try:
                request["json"] = json.loads(request.get("body") or "{}")
            except ValueError:
                request["json"] = {}
            drafts.append(request)
    return drafts


def served_requests():
    """The demo's access log (app and simulator share it, one line per answered request, in the
    order they were answered) as ["GET /recommend/p-1001 303", ...]."""
    if not SERVER_LOG or not os.path.exists(SERVER_LOG):
        return []
    with open(SERVER_LOG, encoding="utf-8", errors="replace") as handle:
        return [match.group(1) for match in (re.search(r"\[Server\] ([A-Z]+ \S+ \d{3})$", line.rstrip("\n")) for line in handle) if match]


def server_log_lines(pattern):
    """Access-log entries ("METHOD PATH STATUS") matching `pattern`."""
    return [entry for entry in served_requests() if re.search(pattern, entry)]


def assert_in_order(test, entries, expected, what):
    """`expected` appears in `entries` in this order (other requests may come between)."""
    position = 0
    for entry in entries:
        if position < len(expected) and entry == expected[position]:
            position += 1
    test.assertEqual(position, len(expected), f"{what}: expected, in order:\n  " + "\n  ".join(expected)
                     + f"\nmissing from {expected[position] if position < len(expected) else ''!r} on; the server answered:\n  "
                     + "\n  ".join(entries))


# --- the browser --------------------------------------------------------------------------------

def new_driver(profile_name, page_load_strategy="normal"):
    """`page_load_strategy="none"` lets commands run while a navigation is pending (ChromeDriver otherwise
    waits for it), to watch what a tab shows while it waits for an answer."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM_BINARY
    options.page_load_strategy = page_load_strategy
    profile = tempfile.mkdtemp(prefix=f"fsr-browser-{profile_name}-")
    for argument in (
        "--headless=new", "--window-size=1280,900", f"--user-data-dir={profile}",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--disable-background-networking", "--disable-sync",
        "--disable-component-update", "--password-store=basic", "--use-mock-keychain", "--lang=en-US",
    ):
        options.add_argument(argument)
    # Network events (requests, redirects, cookies sent or blocked and why) for failure evidence.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    service = Service(executable_path=CHROMEDRIVER, log_output=os.path.join(ARTIFACTS_DIR, f"chromedriver-{profile_name}.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    driver.fsr_profile_name = profile_name
    driver.fsr_profile_dir = profile
    driver.fsr_network = []  # performance-log messages drained so far
    return driver


def drain_network(driver):
    """Reads the performance log (it empties on each read) into driver.fsr_network."""
    try:
        for entry in driver.get_log("performance"):
            try:
                message = json.loads(entry["message"])["message"]
            except (KeyError, ValueError):
                continue
            if message.get("method", "").startswith("Network."):
                driver.fsr_network.append(message)
    except WebDriverException as error:
        log(f"performance log unavailable: {error.msg}")
    return driver.fsr_network


def navigation_chain(driver):
    """Document requests in order, as 'METHOD URL -> status', with the cookies the browser sent or
    blocked for each: the evidence to read when a flow stops halfway."""
    messages = drain_network(driver)
    by_id = {}
    order = []
    for message in messages:
        params = message.get("params", {})
        request_id = params.get("requestId")
        method = message["method"]
        if method == "Network.requestWillBeSent" and params.get("type") == "Document" \
                and params.get("request", {}).get("url", "").startswith(("http://", "https://")):
            redirect = params.get("redirectResponse")
            if redirect and order and order[-1]["id"] == request_id:
                order[-1]["status"] = redirect.get("status")
                order[-1]["location"] = (redirect.get("headers") or {}).get("location") or (redirect.get("headers") or {}).get("Location")
            entry = {"id": request_id, "method": params["request"].get("method"), "url": params["request"].get("url"),
                     "status": None, "sent_cookies": [], "blocked_cookies": [], "headers": {}}
            order.append(entry)
            by_id.setdefault(request_id, []).append(entry)
        elif method == "Network.requestWillBeSentExtraInfo" and request_id in by_id:
            entry = next((e for e in by_id[request_id] if not e["headers"]), by_id[request_id][-1])
            entry["headers"] = params.get("headers", {})
            for associated in params.get("associatedCookies", []):
                cookie = associated.get("cookie", {})
                name = f"{cookie.get('name')}@{cookie.get('domain')}{cookie.get('path')}"
                reasons = associated.get("blockedReasons", [])
                if reasons:
                    entry["blocked_cookies"].append(f"{name} ({', '.join(str(r) for r in reasons)})")
                else:
                    entry["sent_cookies"].append(name)
        elif method == "Network.responseReceived" and params.get("type") == "Document" and request_id in by_id:
            by_id[request_id][-1]["status"] = params.get("response", {}).get("status")
    return order


def format_chain(chain):
    lines = []
    for entry in chain:
        fetch_site = entry["headers"].get("Sec-Fetch-Site") or entry["headers"].get("sec-fetch-site") or "?"
        lines.append(f"{entry['method']} {entry['url']} -> {entry['status']}"
                     f" [Sec-Fetch-Site: {fetch_site}; cookies sent: {', '.join(entry['sent_cookies']) or 'none'}"
                     f"{'; BLOCKED: ' + ', '.join(entry['blocked_cookies']) if entry['blocked_cookies'] else ''}]")
    return "\n".join(lines)


def safe_name(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80]


def accessibility_violations(driver, name):
    """axe-core's serious and critical violations on the current page; the whole report is kept as an artifact."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    with open(os.path.join(ARTIFACTS_DIR, safe_name(name) + ".axe.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)
    return [violation for violation in results.get("violations", []) if violation.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations):
    lines = []
    for violation in violations:
        lines.append(f"- {violation.get('id')} ({violation.get('impact')}): {violation.get('help')}")
        for node in violation.get("nodes", [])[:5]:
            lines.append(f"    {', '.join(map(str, node.get('target', [])))}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def save_docs_screens(driver, name):
    """The page at each of DOCS_WIDTHS into DOCS_SCREENS, then the window as it was."""
    size = driver.get_window_size()
    try:
        for width, height in DOCS_WIDTHS:
            driver.set_window_size(width, height)
            driver.execute_script("return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));")
            driver.save_screenshot(os.path.join(DOCS_SCREENS, f"{safe_name(name)}-{width}.png"))
    finally:
        driver.set_window_size(size["width"], size["height"])


def screenshot(driver, name):
    """Every page a test shows is photographed here, and must pass axe-core with no serious violation."""
    path = os.path.join(ARTIFACTS_DIR, safe_name(name) + ".png")
    driver.save_screenshot(path)
    log(f"screenshot: {path}")
    if DOCS_SCREENS:
        save_docs_screens(driver, name)
    violations = accessibility_violations(driver, name)
    if violations:
        raise AssertionError(f"{name} ({driver.current_url}): {len(violations)} serious accessibility violation(s):\n"
                             + describe_violations(violations))
    return path


def dump_all_tabs(driver, label):
    """On failure: screenshot, page source and URL of every tab, the network chain and console log."""
    prefix = safe_name(f"FAILED-{label}-{driver.fsr_profile_name}")
    try:
        current = driver.current_window_handle
    except WebDriverException:
        current = None
    summary = []
    try:
        handles = driver.window_handles
    except WebDriverException as error:
        log(f"cannot list tabs: {error.msg}")
        handles = []
    for index, handle in enumerate(handles):
        try:
            driver.switch_to.window(handle)
            base = os.path.join(ARTIFACTS_DIR, f"{prefix}-tab{index}")
            driver.save_screenshot(base + ".png")
            with open(base + ".html", "w", encoding="utf-8") as handle_file:
                handle_file.write(f"<!-- URL: {driver.current_url} -->\n{driver.page_source}")
            cookies = driver.get_cookies()
            summary.append(f"tab{index}: {driver.current_url} | title: {driver.title!r} | cookies visible here: "
                           + ", ".join(f"{c['name']}(SameSite={c.get('sameSite')}, path={c.get('path')})" for c in cookies))
        except WebDriverException as error:
            summary.append(f"tab{index}: could not capture ({error.msg})")
    try:
        chain = format_chain(navigation_chain(driver))
        console = driver.get_log("browser")
    except WebDriverException:
        chain, console = "(unavailable)", []
    report = "\n".join(summary) + "\n\nDocument requests (network log):\n" + chain + "\n\nConsole:\n" + "\n".join(
        f"{c.get('level')} {c.get('message')}" for c in console)
    with open(os.path.join(ARTIFACTS_DIR, prefix + "-report.txt"), "w", encoding="utf-8") as handle_file:
        handle_file.write(report + "\n")
    log(f"failure artifacts: {os.path.join(ARTIFACTS_DIR, prefix)}-*\n{report}")
    if current is not None and current in handles:
        try:
            driver.switch_to.window(current)
        except WebDriverException:
            pass


def captures_failures(test):
    """Saves every tab of the class's browser when the test fails, then re-raises."""

    @functools.wraps(test)
    def wrapper(self, *args, **kwargs):
        try:
            return test(self, *args, **kwargs)
        except BaseException:
            dump_all_tabs(self.driver, test.__name__)
            raise

    return wrapper


class BrowserFlow(unittest.TestCase):
    """Helpers shared by the test classes; each class owns one browser (one profile)."""

    profile = "browser"
    driver = None

    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS_DIR, exist_ok=True)
        cls.driver = new_driver(cls.profile)

    @classmethod
    def tearDownClass(cls):
        if cls.driver is not None:
            try:
                cls.driver.quit()
            finally:
                shutil.rmtree(cls.driver.fsr_profile_dir, ignore_errors=True)

    def wait(self, condition, message, timeout=WAIT):
        try:
            # A page that navigates while the condition reads it (a form's POST, then its 303) leaves the
            # condition holding an element of the old document: that is "not yet", never a failure.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(condition)
        except TimeoutException:
            raise AssertionError(f"{message} (after {timeout:.0f} s; at {self.driver.current_url})") from None

    def path_of(self, url=None):
        return urllib.parse.urlsplit(url or self.driver.current_url).path

    def sign_in(self, user_id, button_text):
        self.driver.get(EHR_URL + "/demo/sign-in?return_to=/")
        form = self.driver.find_element(By.XPATH, f"//form[.//input[@name='user' and @value='{user_id}']]")
        self.assertEqual(form.find_element(By.CSS_SELECTOR, "input[name=return_to]").get_attribute("value"), "/")
        button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
        self.assertEqual(button.text.strip(), button_text)
        button.click()
        self.wait(lambda d: d.current_url.rstrip("/") == EHR_URL or self.path_of(d.current_url) == "/",
                  f"signing in as {user_id} should land on the EHR home /")
        self.assertEqual(self.path_of(), "/")
        cookie = self.driver.get_cookie("fsr_session")
        self.assertIsNotNone(cookie, "the session cookie fsr_session should be set after /launch")
        self.assertTrue(cookie.get("httpOnly"), f"fsr_session should be HttpOnly: {cookie}")
        self.assertEqual(cookie.get("sameSite"), "Strict", f"fsr_session should be SameSite=Strict: {cookie}")

    def press_connect(self, ehr_user_name):
        """On our connect page (the first click without a connection): it names the EHR user; press Connect."""
        self.wait(lambda d: self.path_of(d.current_url) == "/oauth/fullscript/connect" and d.find_elements(By.ID, "connect"),
                  "a click without a Fullscript connection should show our connect page")
        heading = self.driver.find_element(By.TAG_NAME, "h1").text
        self.assertEqual(heading, "Connect your Fullscript account to continue")
        self.assertIn(ehr_user_name, self.driver.find_element(By.TAG_NAME, "main").text, "the connect page names the EHR user")
        self.driver.find_element(By.ID, "connect").click()

    def open_chart(self, patient_id, patient_name):
        """From the EHR home (the patient list): the patient's chart, with its Recommend button. Returns the button."""
        link = self.wait(
            lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"a.patient-link[data-patient-id='{patient_id}']")), None)
            or next(iter(d.find_elements(By.CSS_SELECTOR, f"a[href='chart.html?patient={patient_id}']")), None),
            f"the patient list on / should link to chart.html?patient={patient_id}")
        link.click()
        self.wait(lambda d: self.path_of(d.current_url) == "/chart.html"
                  and urllib.parse.parse_qs(urllib.parse.urlsplit(d.current_url).query).get("patient") == [patient_id],
                  f"the link should open chart.html?patient={patient_id}")
        self.wait(lambda d: any(patient_name in h.text for h in d.find_elements(By.TAG_NAME, "h1")),
                  f"the chart's heading should name {patient_name}")
        return self.recommend_button(patient_id)

    def me(self):
        """/ehr/api/me as the front end reads it, with this browser's session."""
        result = self.driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
            fetch('/ehr/api/me', {headers: {accept: 'application/json'}})
              .then(r => r.text().then(t => done({status: r.status, body: t})), e => done({status: 0, body: String(e)}));""")
        self.assertEqual(result["status"], 200, f"/ehr/api/me: {result}")
        return json.loads(result["body"])

    def recommend_button(self, patient_id):
        """The button: `a#recommend-button` in the page, or the link inside a
        `<fullscript-recommend-button>` element's shadow root."""

        def find(driver):
            for link in driver.find_elements(By.CSS_SELECTOR, "a#recommend-button"):
                if link.is_displayed():
                    return link
            for host in driver.find_elements(By.CSS_SELECTOR, "fullscript-recommend-button"):
                if host.get_attribute("patient-id") not in (None, patient_id):
                    continue
                for link in host.shadow_root.find_elements(By.CSS_SELECTOR, "a#recommend-button, a.fsr-button"):
                    if link.is_displayed():
                        return link
            return None

        button = self.wait(find, "the chart should show the Recommend with Fullscript button")
        href = button.get_attribute("href")
        self.assertEqual(self.path_of(href), f"/recommend/{patient_id}/opening", f"button href: {href}")
        self.assertEqual(button.get_attribute("target"), "_blank")
        self.assertIn("noopener", (button.get_attribute("rel") or "").split())
        self.assertIn("Fullscript", button.text)
        return button

    def click_into_new_tab(self, button):
        """Clicks the button; returns (chart handle, chart URL, new tab handle), switched to the new tab."""
        chart = self.driver.current_window_handle
        chart_url = self.driver.current_url
        before = set(self.driver.window_handles)
        # For a few seconds after a click the button ignores clicks (one click, one tab, one draft).
        self.wait(lambda d: button.get_attribute("aria-disabled") != "true", "the button should be ready for another click", timeout=10)
        button.click()
        handles = self.wait(lambda d: set(d.window_handles) - before or None, "the button should open a new tab")
        self.assertEqual(len(handles), 1, "exactly one new tab")
        tab = handles.pop()
        self.driver.switch_to.window(tab)
        return chart, chart_url, tab

    def wait_for_plan_page(self, what):
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/sandbox/plans/"), f"{what}: the new tab should end on "
                  f"the simulator's plan page {SANDBOX_URL}/sandbox/plans/<id>", timeout=WAIT * 1.5)
        self.wait(lambda d: d.find_elements(By.TAG_NAME, "h1"), "the plan page should render")
        match = PLAN_PATH.match(self.path_of())
        self.assertIsNotNone(match, f"plan page URL: {self.driver.current_url}")
        return match.group(1)

    def assert_plan_page(self, plan_id, patient_label, practitioner_name, acting_as):
        driver = self.driver
        self.assertEqual(driver.find_element(By.TAG_NAME, "h1").text.strip(), f"Treatment plan {plan_id}")
        body = driver.find_element(By.TAG_NAME, "body").text
        acting = re.search(r"Acting as: (.*)", body)
        self.assertIsNotNone(acting, body)
        self.assertEqual(acting.group(1).strip().casefold(), acting_as.casefold(), "who the simulator says is acting")
        self.assertIn("State: draft", body)
        self.assertIn(f"Practitioner: {practitioner_name}", body, "the plan should be drafted for this practitioner")
        patient = Select(driver.find_element(By.CSS_SELECTOR, "select[name=patient_id]")).first_selected_option
        self.assertEqual(patient.text.strip(), patient_label, "the plan should be for the chart's patient")
        self.assertNotEqual(patient.get_attribute("value"), "", "a draft link names its patient")

    def choose_practitioner(self, name, remember=True, current=None):
        """On our picker (a form of radio buttons): checks `current` is the preselected choice (None:
        nothing preselected), picks `name`, sets "Remember my choice", submits. Returns what the form sends."""
        driver = self.driver
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "form.picker input[name=practitioner_id]"),
                  "staff should be asked which practitioner the plan is for")
        self.assertEqual(driver.find_element(By.TAG_NAME, "h1").text.strip(), "Which practitioner is this plan for?")
        choices = {label.find_element(By.CSS_SELECTOR, ".practitioner").text.strip(): label
                   for label in driver.find_elements(By.CSS_SELECTOR, "form.picker label.choice")}
        self.assertIn(name, choices, f"picker choices: {sorted(choices)}")
        checked = [n for n, label in choices.items() if label.find_element(By.TAG_NAME, "input").is_selected()]
        self.assertEqual(checked, [current] if current else [], "the current choice is preselected")
        marked = [n for n, label in choices.items() if "choice--current" in (label.get_attribute("class") or "").split()]
        self.assertEqual(marked, [current] if current else [], "the current choice is highlighted")
        choices[name].click()
        box = driver.find_element(By.ID, "remember")
        if box.is_selected() != remember:
            box.click()
        screenshot(driver, f"picker-{name}-{'remember' if remember else 'once'}")
        form = driver.find_element(By.CSS_SELECTOR, "form.picker")
        self.assertEqual((form.get_attribute("method"), self.path_of(form.get_attribute("action"))), ("get", "/recommend/" + self.path_of().split("/")[2]))
        sent = {"practitioner_id": choices[name].find_element(By.TAG_NAME, "input").get_attribute("value"),
                "remember": driver.find_element(By.ID, "remember").is_selected()}
        driver.find_element(By.ID, "choose-practitioner").click()
        return sent

    def assert_chart_unchanged(self, chart, chart_url, patient_id):
        self.driver.switch_to.window(chart)
        self.assertEqual(self.driver.current_url, chart_url, "the original tab should stay on the chart")
        self.recommend_button(patient_id)

    def close_other_tabs(self, keep):
        for handle in self.driver.window_handles:
            if handle != keep:
                self.driver.switch_to.window(handle)
                self.driver.close()
        self.driver.switch_to.window(keep)


class PractitionerFlow(BrowserFlow):
    """Dr. Avery Quinn (EHR dr-quinn), who has no Fullscript connection when the demo starts."""

    profile = "dr-quinn"
    patient_id = "p-1001"
    patient_name = "Jordan Rivera"
    patient_label = "Jordan Rivera <jordan.rivera@example.com>"
    first_plan = None

    @captures_failures
    def test_1_first_click_connects_fullscript_then_opens_the_plan(self):
        driver = self.driver
        self.sign_in("dr-quinn", "Dr. Avery Quinn")
        drain_network(driver)
        driver.fsr_network.clear()
        button = self.open_chart(self.patient_id, self.patient_name)
        screenshot(driver, "1-chart-dr-quinn-p-1001")
        log_mark = len(served_requests())
        chart, chart_url, tab = self.click_into_new_tab(button)

        # Not connected yet: the new tab shows our connect page naming the EHR user; its button (a
        # same-origin POST) goes on to the simulator's consent page.
        self.press_connect("Dr. Avery Quinn")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"),
                  "the first click should reach Fullscript's consent page (on the simulator)")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(driver.current_url).query)
        self.assertEqual(query.get("redirect_uri"), [EHR_URL + "/oauth/fullscript/callback"], driver.current_url)
        self.assertTrue(query.get("state"), "the authorize URL carries a state")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        self.assertEqual(form.find_element(By.CSS_SELECTOR, "input[name=state]").get_attribute("value"), query["state"][0])
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='prac-1']").click()
        screenshot(driver, "1-consent-page")
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()

        plan_id = self.wait_for_plan_page("after approving as prac-1")
        self.assert_plan_page(plan_id, self.patient_label, "Avery Quinn", "Avery Quinn (practitioner)")
        screenshot(driver, "1-new-tab-plan-after-consent")

        # The way there, as the servers answered it: the click, connect, consent, callback (the
        # "Fullscript connected" page that continues by itself), the click again, Fullscript.
        if SERVER_LOG:
            assert_in_order(self, served_requests()[log_mark:], [
                "GET /recommend/p-1001/opening 200", "GET /recommend/p-1001 303", "GET /oauth/fullscript/connect 200", "POST /oauth/fullscript/connect 302",
                "GET /api/oauth/authorize 200",
                "POST /api/oauth/authorize/decision 302", "POST /api/oauth/token 200", "GET /oauth/fullscript/callback 200",
                "POST /api/clinic/dynamic_links/treatment_plans 200", "GET /recommend/p-1001 302", f"GET /sandbox/plans/{plan_id} 200",
            ], "the first click")
        # ...and as the browser sent it (Chromium's network log; it starts once the driver attaches
        # to the new tab, so the first hops before the consent page may be missing from it).
        chain = navigation_chain(driver)
        log("first click, document requests seen by the browser:\n" + format_chain(chain))
        callback = [e for e in chain if self.path_of(e["url"]) == "/oauth/fullscript/callback"]
        if callback:
            self.assertEqual(callback[-1]["status"], 200, format_chain(callback))
            self.assertTrue(any(c.startswith("fs_oauth_binding@") for c in callback[-1]["sent_cookies"]),
                            "the browser should send the OAuth binding cookie (SameSite=Lax) to the callback:\n" + format_chain(callback))
            after = chain[chain.index(callback[-1]) + 1:]
            again = [e for e in after if e["url"] == EHR_URL + "/recommend/p-1001"]
            if again:
                self.assertTrue(any(c.startswith("fsr_session@") for c in again[0]["sent_cookies"]),
                                "the continue page's request back to /recommend should carry the session:\n" + format_chain(again))

        self.assert_chart_unchanged(chart, chart_url, self.patient_id)
        screenshot(driver, "1-chart-after-click")
        fullscript = self.me().get("fullscript", {})
        self.assertTrue(fullscript.get("connected"), f"/ehr/api/me after consenting: {fullscript}")
        self.assertEqual(fullscript.get("resource_owner_type"), "Practitioner", f"/ehr/api/me after consenting: {fullscript}")
        drafts = [d for d in draft_link_requests() if d["json"].get("patient", {}).get("email") == "jordan.rivera@example.com"]
        self.assertEqual(len(drafts), 1, f"one draft link request for the patient so far: {drafts}")
        self.assertEqual(drafts[0]["json"].get("treatment_plan", {}).get("practitioner_id"), "prac-1")
        type(self).first_plan = plan_id
        self.close_other_tabs(chart)

    @captures_failures
    def test_2_connected_click_opens_a_fresh_plan(self):
        driver = self.driver
        self.assertIsNotNone(self.first_plan, "test_1 must have connected Fullscript first")
        drafts_before = len(draft_link_requests())
        button = self.recommend_button(self.patient_id)
        log_mark = len(served_requests())
        chart, chart_url, tab = self.click_into_new_tab(button)
        plan_id = self.wait_for_plan_page("connected click")
        if SERVER_LOG:
            answered = served_requests()[log_mark:]
            assert_in_order(self, answered, ["GET /recommend/p-1001/opening 200", "GET /recommend/p-1001 302",
                                             f"GET /sandbox/plans/{plan_id} 200"], "a connected click")
            self.assertFalse([e for e in answered if "/oauth/" in e],
                             "a connected practitioner should go straight to Fullscript:\n  " + "\n  ".join(answered))
        self.assertNotEqual(plan_id, self.first_plan, "every click gets a fresh link")
        self.assert_plan_page(plan_id, self.patient_label, "Avery Quinn", "Avery Quinn (practitioner)")
        screenshot(driver, "2-new-tab-plan-connected")

        drafts = draft_link_requests()
        self.assertEqual(len(drafts), drafts_before + 1, "one more draft link request to the simulator")
        draft = drafts[-1]["json"]
        self.assertEqual(draft.get("treatment_plan", {}).get("practitioner_id"), "prac-1", f"draft body: {draft}")
        patient = draft.get("patient", {})
        self.assertEqual(patient.get("email"), "jordan.rivera@example.com", f"draft body: {draft}")
        self.assertEqual((patient.get("first_name"), patient.get("last_name")), ("Jordan", "Rivera"), f"draft body: {draft}")
        self.assertEqual(drafts[-1].get("bearer_token"), "[redacted]", "the request carried the practitioner's token")

        self.assert_chart_unchanged(chart, chart_url, self.patient_id)
        self.close_other_tabs(chart)

    @captures_failures
    def test_3_cross_site_request_is_refused(self):
        driver = self.driver
        drafts_before = len(draft_link_requests())
        refusals_before = len(server_log_lines(r"GET /recommend/p-1001 (401|403)"))
        target = EHR_URL + "/recommend/" + self.patient_id
        # A page on another site (the simulator's origin) links to, or navigates itself to, the button's URL.
        for how, script in (
            ("link", "const a = document.createElement('a'); a.href = arguments[0]; a.id = 'cross-site';"
                     " a.textContent = 'Recommend'; document.body.prepend(a);"),
            ("script", "window.location = arguments[0];"),
        ):
            driver.get(SANDBOX_URL + "/")
            drain_network(driver)
            driver.fsr_network.clear()
            driver.execute_script(script, target)
            if how == "link":
                driver.find_element(By.ID, "cross-site").click()
            self.wait(lambda d: d.current_url.startswith(target), f"cross-site {how}: the browser should navigate to {target}")
            self.wait(lambda d: d.find_elements(By.TAG_NAME, "h1"), "a page should render")
            screenshot(driver, f"3-cross-site-{how}-refused")
            self.assertEqual(self.path_of(), f"/recommend/{self.patient_id}", "no redirect to Fullscript")
            heading = driver.find_element(By.TAG_NAME, "h1").text.strip()
            self.assertIn(heading, ("Open this from the EHR", "Sign in through your EHR"), "the refusal page")
            chain = navigation_chain(driver)
            request = [e for e in chain if e["url"] == target]
            if request:
                log(f"cross-site {how}: " + format_chain(request))
                self.assertIn(request[-1]["status"], (401, 403), format_chain(request))
                self.assertFalse([c for c in request[-1]["sent_cookies"] if c.startswith("fsr_session@")],
                                 "a SameSite=Strict session cookie must not travel with a cross-site request")
        self.assertEqual(len(draft_link_requests()), drafts_before, "nothing may be sent to Fullscript")
        if SERVER_LOG:
            self.assertEqual(len(server_log_lines(r"GET /recommend/p-1001 (401|403)")), refusals_before + 2,
                             "the app's log should show both requests refused")

    @captures_failures
    def test_4_activating_in_fullscript_shows_the_plan_on_the_open_chart(self):
        driver = self.driver
        driver.get(f"{EHR_URL}/chart.html?patient={self.patient_id}")
        button = self.recommend_button(self.patient_id)
        self.wait(lambda d: d.find_element(By.ID, "plans-live-status").get_attribute("data-state") == "live",
                  "the chart's plans panel should be live (server-sent events) before the plan is activated")
        # Survives only if the chart is updated in place, never reloaded.
        driver.execute_script("window.__fsrNotReloaded = true;")
        chart, chart_url, tab = self.click_into_new_tab(button)
        plan_id = self.wait_for_plan_page("click before activating")
        driver.find_element(By.CSS_SELECTOR, "textarea[name=personal_message]").send_keys("Take with food")
        form = driver.find_element(By.CSS_SELECTOR, f"form[action='/sandbox/plans/{plan_id}/activate']")
        form.find_element(By.TAG_NAME, "button").click()
        self.wait(lambda d: "State: active" in d.find_element(By.TAG_NAME, "body").text, "the simulator should show the plan active")
        screenshot(driver, "4-plan-activated-in-simulator")

        driver.switch_to.window(chart)
        self.assertEqual(driver.current_url, chart_url, "the chart tab stays where it was")
        plan = self.wait(
            lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"#treatment-plans li.plan[data-plan-id='{plan_id}'][data-state='active']")), None),
            f"the activated plan {plan_id} should appear on the open chart by itself (webhook, then server-sent event)")
        self.assertTrue(driver.execute_script("return window.__fsrNotReloaded === true;"), "the chart must not have reloaded")
        self.assertIn("Take with food", plan.text, "the plan shows the practitioner's message")
        screenshot(driver, "4-chart-with-activated-plan")
        self.close_other_tabs(chart)


class StaffFlow(BrowserFlow):
    """Sam Ortiz (EHR sam-ortiz), front-desk staff, in a fresh profile: consent as staff-1, pick a practitioner."""

    profile = "sam-ortiz"

    @captures_failures
    def test_staff_picks_a_practitioner_then_lands_on_the_plan(self):
        driver = self.driver
        self.sign_in("sam-ortiz", "Sam Ortiz")
        button = self.open_chart("p-1002", "Casey Brooks")
        screenshot(driver, "4-chart-sam-ortiz-p-1002")
        chart, chart_url, tab = self.click_into_new_tab(button)
        self.press_connect("Sam Ortiz")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"),
                  "the staff user's first click should reach the consent page")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='staff-1']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()

        self.wait(lambda d: d.current_url.startswith(EHR_URL + "/recommend/p-1002"), "back from consent to the click")
        screenshot(driver, "4-practitioner-picker")
        self.assertEqual(self.choose_practitioner("Morgan Lee"), {"practitioner_id": "prac-2", "remember": True})

        plan_id = self.wait_for_plan_page("staff picked Morgan Lee")
        self.assert_plan_page(plan_id, "Casey Brooks <casey.brooks@example.com>", "Morgan Lee", "Sam Ortiz (staff)")
        screenshot(driver, "4-new-tab-plan-staff")
        draft = draft_link_requests()[-1]["json"]
        self.assertEqual(draft.get("treatment_plan", {}).get("practitioner_id"), "prac-2", f"draft body: {draft}")
        self.assertEqual(draft.get("patient", {}).get("email"), "casey.brooks@example.com", f"draft body: {draft}")
        self.assert_chart_unchanged(chart, chart_url, "p-1002")
        self.close_other_tabs(chart)

        # The choice is remembered: the next click goes straight to a plan for Morgan Lee.
        log_mark = len(served_requests())
        chart, chart_url, tab = self.click_into_new_tab(self.recommend_button("p-1002"))
        second = self.wait_for_plan_page("staff's second click")
        self.assertNotEqual(second, plan_id, "every click gets a fresh link")
        self.assert_plan_page(second, "Casey Brooks <casey.brooks@example.com>", "Morgan Lee", "Sam Ortiz (staff)")
        if SERVER_LOG:
            answered = served_requests()[log_mark:]
            assert_in_order(self, answered, ["GET /recommend/p-1002 302", f"GET /sandbox/plans/{second} 200"], "staff's second click")
        self.assertEqual(draft_link_requests()[-1]["json"].get("treatment_plan", {}).get("practitioner_id"), "prac-2")
        self.assert_chart_unchanged(chart, chart_url, "p-1002")


class PhoneLayout(BrowserFlow):
    """Dr. Quinn on a 390 x 844 phone screen, in a profile of its own."""

    profile = "phone"

    @captures_failures
    def test_the_header_is_one_line_with_a_menu(self):
        driver = self.driver
        self.sign_in("dr-quinn", "Dr. Avery Quinn")
        driver.set_window_size(390, 844)
        try:
            driver.get(EHR_URL + "/")
            self.wait(lambda d: d.find_elements(By.ID, "user-name"), "the header's session area should be filled in")
            viewport = driver.execute_script("return window.innerHeight;")
            header = driver.execute_script("return document.querySelector('.app-header').getBoundingClientRect().height;")
            log(f"phone header: {header:.0f} of {viewport} px ({100 * header / viewport:.1f}%)")
            self.assertLessEqual(header, 0.1 * viewport, f"the header takes {header:.0f} of {viewport} px")
            toggle = driver.find_element(By.ID, "menu-toggle")
            menu = driver.find_element(By.ID, "header-menu")
            self.assertTrue(toggle.is_displayed(), "a Menu button on a phone")
            self.assertFalse(menu.is_displayed(), "the navigation folds behind it")
            screenshot(driver, "phone-header")

            toggle.click()
            self.assertEqual(toggle.get_attribute("aria-expanded"), "true")
            self.assertTrue(driver.find_element(By.ID, "user-name").is_displayed(), "the open menu shows who is signed in")
            self.assertTrue(driver.find_element(By.LINK_TEXT, "Patients").is_displayed(), "and the navigation")
            screenshot(driver, "phone-header-menu-open")
            driver.switch_to.active_element.send_keys(Keys.ESCAPE)
            self.assertEqual(toggle.get_attribute("aria-expanded"), "false", "Escape closes the menu")
            self.assertFalse(menu.is_displayed())
        finally:
            driver.set_window_size(1280, 900)

class ConnectedAccountFlow(BrowserFlow):
    """Dr. Morgan Lee (EHR dr-lee) in a fresh profile, on Casey Brooks's chart (issue 13, "The connected
    account"): Deny on the consent page, then connecting with Avery Quinn's Fullscript account by
    mistake, the warning that says so, and the "Fullscript account" settings page. test_3 disconnects,
    so dr-lee ends as it started: not connected."""

    profile = "dr-lee-account"
    patient_id = "p-1002"
    patient_name = "Casey Brooks"

    def consent_form(self):
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "the click should reach the consent page")
        form = self.driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        radios = form.find_elements(By.CSS_SELECTOR, "input[name=user_id]")
        self.assertGreater(len(radios), 1, "the consent page offers the clinic's accounts")
        self.assertEqual([r.get_attribute("value") for r in radios if r.is_selected()], [], "no account is preselected")
        return form

    @staticmethod
    def authorize_pages():
        return [r for r in sandbox_requests() if r.get("method") == "GET" and r.get("path") == "/api/oauth/authorize"]

    def deny_in_new_tab(self):
        """Clicks the chart's button, connects, denies on the consent page. Returns (chart, tab, consent pages so far)."""
        driver = self.driver
        chart, chart_url, tab = self.click_into_new_tab(self.recommend_button(self.patient_id))
        self.press_connect("Dr. Morgan Lee")
        form = self.consent_form()
        consent_pages = len(self.authorize_pages())
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=deny]").click()
        self.wait(lambda d: self.path_of(d.current_url) == "/oauth/fullscript/callback" and d.find_elements(By.ID, "connect-again"),
                  "Deny should end on our 'not connected' page")
        self.assertEqual(driver.find_element(By.TAG_NAME, "h1").text, "Fullscript was not connected")
        hrefs = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]")]
        self.assertFalse([h for h in hrefs if self.path_of(h).startswith("/recommend")], f"no link back into the click: {hrefs}")
        return chart, tab, consent_pages

    def close_button(self):
        close = self.wait(lambda d: next((b for b in d.find_elements(By.ID, "close-tab") if b.is_displayed()), None),
                          "the tab the button opened offers Close this tab")
        self.assertEqual(close.text, "Close this tab")
        return close

    @captures_failures
    def test_1_deny_offers_the_chart_and_never_starts_the_click_again(self):
        driver = self.driver
        self.sign_in("dr-lee", "Dr. Morgan Lee")
        self.open_chart(self.patient_id, self.patient_name)
        chart, tab, consent_pages = self.deny_in_new_tab()
        self.close_button()
        screenshot(driver, "13-deny-page")
        log_mark = len(served_requests())
        driver.find_element(By.ID, "back-to-chart").click()
        self.wait(lambda d: self.path_of(d.current_url) == "/chart.html"
                  and urllib.parse.parse_qs(urllib.parse.urlsplit(d.current_url).query).get("patient") == [self.patient_id],
                  "Back to the chart should open the chart")
        self.recommend_button(self.patient_id)
        self.assertEqual(len(self.authorize_pages()), consent_pages, "following the Deny page never reaches the consent page again")
        if SERVER_LOG:
            answered = served_requests()[log_mark:]
            self.assertFalse([e for e in answered if e.startswith("GET /recommend/") or "/api/oauth/authorize" in e],
                             f"after Deny: {answered}")
        self.assertFalse(self.me()["fullscript"]["connected"])
        self.close_other_tabs(chart)

        # Close this tab, the other way out: the tab goes, or (where the browser refuses a script's
        # close) the page says to close it by hand. Either way nothing reaches the consent page again.
        chart, tab, consent_pages = self.deny_in_new_tab()
        self.close_button().click()
        outcome = self.wait(lambda d: (tab not in d.window_handles and "closed")
                            or ("close it yourself" in d.find_element(By.ID, "close-note").text and "refused"),
                            "Close this tab either closes the tab or says how")
        log(f"Close this tab: {outcome}")
        driver.switch_to.window(chart)
        self.assertEqual(len(self.authorize_pages()), consent_pages, "closing never reaches the consent page again")
        self.close_other_tabs(chart)

    @captures_failures
    def test_2_connecting_as_someone_else_shows_a_warning_naming_both(self):
        driver = self.driver
        driver.get(EHR_URL + f"/chart.html?patient={self.patient_id}")
        chart, chart_url, tab = self.click_into_new_tab(self.recommend_button(self.patient_id))
        self.press_connect("Dr. Morgan Lee")
        form = self.consent_form()
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='prac-1']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        plan_id = self.wait_for_plan_page("after approving as Avery Quinn")
        self.assert_plan_page(plan_id, "Casey Brooks <casey.brooks@example.com>", "Avery Quinn", "Avery Quinn (practitioner)")
        self.close_other_tabs(chart)

        driver.refresh()
        warning = self.wait(lambda d: next(iter(d.find_elements(By.ID, "account-warning")), None),
                            "the chart should warn that Fullscript is someone else's account")
        self.assertEqual(warning.get_attribute("role"), "alert")
        self.assertEqual(warning.find_element(By.ID, "account-warning-fullscript").text, "Avery Quinn (Practitioner)")
        self.assertEqual(warning.find_element(By.ID, "account-warning-ehr").text, "Dr. Morgan Lee")
        reconnect = warning.find_element(By.ID, "account-warning-reconnect").get_attribute("href")
        self.assertEqual(self.path_of(reconnect), "/oauth/fullscript/connect", reconnect)
        status = " ".join(driver.find_element(By.ID, "fullscript-status").get_attribute("textContent").split())
        self.assertEqual(status, "Fullscript: Avery Quinn (Practitioner)")
        self.assertNotIn("null", driver.find_element(By.ID, "session").text)
        self.assertFalse(driver.find_elements(By.CSS_SELECTOR, "#session #disconnect-button"), "Disconnect is not next to Sign out")
        fullscript = self.me()["fullscript"]
        self.assertEqual((fullscript.get("account_name"), fullscript.get("account_check")), ("Avery Quinn", "mismatch"), fullscript)
        screenshot(driver, "13-chart-account-mismatch")

    @captures_failures
    def test_3_the_settings_page_names_the_account_and_disconnects(self):
        driver = self.driver
        driver.find_element(By.CSS_SELECTOR, "nav a[href='/account.html']").click()
        self.wait(lambda d: self.path_of(d.current_url) == "/account.html" and d.find_elements(By.ID, "account-label"),
                  "the nav's Fullscript account link opens the settings page")
        self.assertEqual(driver.find_element(By.ID, "account-label").text, "Avery Quinn (Practitioner)")
        self.assertEqual(driver.find_element(By.ID, "account-check").get_attribute("data-check"), "mismatch")
        reconnect = driver.find_element(By.ID, "reconnect-link").get_attribute("href")
        self.assertEqual(urllib.parse.parse_qs(urllib.parse.urlsplit(reconnect).query).get("return_to"), ["/account.html"], reconnect)
        screenshot(driver, "13-account-page")
        driver.find_element(By.ID, "disconnect-button").click()
        self.wait(lambda d: self.path_of(d.current_url) == "/account.html" and d.find_elements(By.ID, "connect-link"),
                  "Disconnect returns to the settings page, not connected")
        self.assertEqual(driver.find_element(By.ID, "account-label").text, "Not connected.")
        self.assertFalse(driver.find_elements(By.ID, "account-warning"), "no warning without a connection")
        self.assertFalse(self.me()["fullscript"]["connected"])


class StaffPickerFlow(BrowserFlow):
    """Sam Ortiz (EHR sam-ortiz) again, in a fresh profile (issue 13): the chart says who staff act for,
    Change opens the picker, a choice not remembered serves one plan; a refusal page's Try again.
    Runs after StaffFlow (unittest orders classes by name) and leaves Morgan Lee remembered, as it found."""

    profile = "sam-ortiz-picker"
    patient_id = "p-1002"
    patient_name = "Casey Brooks"
    patient_label = "Casey Brooks <casey.brooks@example.com>"

    def acting_for(self, expected):
        """Waits for the chart's line next to the button to read `expected`; returns the line."""
        # The Change link's text goes on for screen readers ("… the practitioner (opens in a new tab)").
        return self.wait(lambda d: next((p for p in d.find_elements(By.ID, "acting-for") if p.text.strip().startswith(expected)), None),
                         f"the chart should say {expected!r} next to the button")

    def back_to_chart(self, chart):
        # The chart reads what the other tab changed when it is shown again (visibilitychange, focus).
        self.close_other_tabs(chart)

    def make_sure_connected_as_staff(self):
        """Signs in; connects Fullscript as staff-1 through the button if this run has not yet (run alone)."""
        driver = self.driver
        self.sign_in("sam-ortiz", "Sam Ortiz")
        button = self.open_chart(self.patient_id, self.patient_name)
        if self.me().get("fullscript", {}).get("connected"):
            return
        chart, _, _ = self.click_into_new_tab(button)
        self.press_connect("Sam Ortiz")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "the consent page")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='staff-1']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        asked = self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "form.picker") or d.current_url.startswith(SANDBOX_URL + "/sandbox/plans/"),
                          "back from consent: the picker, or the plan for the remembered practitioner")
        if asked is not True:
            self.choose_practitioner("Morgan Lee")
        self.wait_for_plan_page("the connecting click")
        self.back_to_chart(chart)

    @captures_failures
    def test_1_the_chart_says_who_staff_act_for_and_change_picks_another(self):
        driver = self.driver
        self.make_sure_connected_as_staff()
        line = self.wait(lambda d: next(iter(d.find_elements(By.ID, "acting-for")), None), "the chart's line for staff")
        if not line.text.startswith("Acting for"):
            self.acting_for("You will be asked which practitioner the plan is for.")
            chart, _, _ = self.click_into_new_tab(self.recommend_button(self.patient_id))
            self.choose_practitioner("Morgan Lee")
            self.wait_for_plan_page("choosing Morgan Lee")
            self.back_to_chart(chart)
        line = self.acting_for("Acting for Morgan Lee · Change")
        screenshot(driver, "13-chart-acting-for-morgan-lee")
        change = line.find_element(By.ID, "change-practitioner")
        self.assertEqual(change.get_attribute("target"), "_blank")
        self.assertEqual(urllib.parse.urlsplit(change.get_attribute("href")).query, "choose_practitioner=1")

        # Change: the picker in a new tab, Morgan Lee preselected; Riley Chen, remembered.
        drafts_before = len(draft_link_requests())
        chart, chart_url, _ = self.click_into_new_tab(change)
        self.assertEqual(self.choose_practitioner("Riley Chen", current="Morgan Lee"), {"practitioner_id": "prac-3", "remember": True})
        plan_id = self.wait_for_plan_page("changed to Riley Chen")
        self.assert_plan_page(plan_id, self.patient_label, "Riley Chen", "Sam Ortiz (staff)")
        self.assertEqual(len(draft_link_requests()), drafts_before + 1, "one draft for the one click")
        self.assertEqual(draft_link_requests()[-1]["json"].get("treatment_plan", {}).get("practitioner_id"), "prac-3")
        self.back_to_chart(chart)
        self.assertEqual(driver.current_url, chart_url, "the chart stays where it was")
        self.acting_for("Acting for Riley Chen · Change")

        # Change again, not remembered: this plan is Morgan Lee's; the chart says the next click asks.
        chart, _, _ = self.click_into_new_tab(driver.find_element(By.ID, "change-practitioner"))
        self.choose_practitioner("Morgan Lee", remember=False, current="Riley Chen")
        plan_id = self.wait_for_plan_page("Morgan Lee for this plan only")
        self.assert_plan_page(plan_id, self.patient_label, "Morgan Lee", "Sam Ortiz (staff)")
        self.back_to_chart(chart)
        self.acting_for("You will be asked which practitioner the plan is for.")
        screenshot(driver, "13-chart-will-ask")

        # ...and it does; remembered again, as this class found it.
        chart, _, _ = self.click_into_new_tab(self.recommend_button(self.patient_id))
        self.choose_practitioner("Morgan Lee", remember=True)
        self.wait_for_plan_page("Morgan Lee, remembered")
        self.back_to_chart(chart)
        self.acting_for("Acting for Morgan Lee · Change")

    @captures_failures
    def test_2_a_refusal_pages_try_again_lands_on_the_plan(self):
        driver = self.driver
        self.acting_for("Acting for Morgan Lee · Change")
        # Fullscript fails the next call (the draft link) once.
        status, body = http_post(SANDBOX_ADMIN_URL + "/_sandbox/faults?count=1", json.dumps([{"status": 500}]))
        self.assertEqual(status, 204, body)
        drafts_before = len(draft_link_requests())
        try:
            chart, _, _ = self.click_into_new_tab(self.recommend_button(self.patient_id))
            heading = self.wait(lambda d: next((h for h in d.find_elements(By.TAG_NAME, "h1") if h.text.strip()), None),
                                "the refusal page should render")
            self.assertEqual(heading.text.strip(), "Fullscript is unavailable")
        finally:
            self.assertEqual(http_delete(SANDBOX_ADMIN_URL + "/_sandbox/faults")[0], 204)
        self.assertEqual(len(draft_link_requests()), drafts_before + 1, "the failed attempt reached the simulator once")
        retry = driver.find_element(By.ID, "try-again")
        self.assertEqual(self.path_of(retry.get_attribute("href")), f"/recommend/{self.patient_id}")
        self.assertTrue(driver.find_element(By.ID, "request-id").text.strip(), "the request id to quote to support")
        self.assertTrue(driver.find_element(By.ID, "close-tab").is_displayed(), "Close this tab, once its script runs")
        screenshot(driver, "13-refusal-fullscript-unavailable")
        retry.click()
        plan_id = self.wait_for_plan_page("Try again")
        self.assert_plan_page(plan_id, self.patient_label, "Morgan Lee", "Sam Ortiz (staff)")
        self.assertEqual(len(draft_link_requests()), drafts_before + 2, "Try again made the one plan")

        # Close this tab: the refusal page's tab goes, the chart stays.
        self.close_other_tabs(chart)
        set_sandbox_faults([{"status": 500}], "?count=1")
        try:
            self.click_into_new_tab(self.recommend_button(self.patient_id))
            close = self.wait(lambda d: next((b for b in d.find_elements(By.ID, "close-tab") if b.is_displayed()), None),
                              "the refusal page's Close this tab")
        finally:
            clear_sandbox_faults()
        close.click()
        self.wait(lambda d: d.window_handles == [chart], "Close this tab should close the tab the button opened")
        driver.switch_to.window(chart)
        self.recommend_button(self.patient_id)


    @captures_failures
    def test_3_the_chart_says_what_is_known_before_the_click_and_the_link_live(self):
        driver = self.driver
        # The sandbox's email rule, on the chart of a gmail patient, before any click.
        driver.get(f"{EHR_URL}/chart.html?patient=p-1003")
        hint = self.wait(lambda d: next(iter(d.find_elements(By.ID, "email-domain-hint")), None),
                         "the chart should warn that the sandbox refuses this patient's email")
        self.assertIn("example.com", hint.text)
        self.assertIn("the button will be refused", hint.text)
        screenshot(driver, "13-chart-email-rule")

        # A patient the EHR adds now, not linked yet; the chart stays open and in front while a click
        # (from this page, as the button's tab would) links them: the field changes by itself.
        patient_id = "p-1301"
        status, body = http_send("PUT", f"{EHR_URL}/api/v1/patients/{patient_id}",
                                 json.dumps({"email": "drew.patel@example.com", "first_name": "Drew", "last_name": "Patel"}),
                                 headers={"Authorization": f"Bearer {demo_service_key()}"})
        self.assertIn(status, (200, 201), body)
        driver.get(f"{EHR_URL}/chart.html?patient={patient_id}")
        field = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "#fullscript-patient[data-linked=false]")), None),
                          "the new patient's chart should say they are not linked yet")
        self.assertIn("Not linked yet", field.text)
        self.wait(lambda d: d.find_element(By.ID, "plans-live-status").get_attribute("data-state") == "live",
                  "the chart's stream should be live before the click")
        driver.execute_script("window.__fsrNotReloaded = true;")
        status = driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
            fetch(arguments[0], {redirect: 'manual'}).then(r => done(r.type), e => done(String(e)));""",
            f"/recommend/{patient_id}")
        self.assertEqual(status, "opaqueredirect", "the click should answer with its redirect to Fullscript")
        linked = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "#fullscript-patient[data-linked=true] code")), None),
                           "the chart's Fullscript patient should show the link by itself (the stream's patient event)")
        self.assertRegex(linked.text, r"^pat-")
        self.assertTrue(driver.execute_script("return window.__fsrNotReloaded === true;"), "the chart must not have reloaded")
        screenshot(driver, "13-chart-linked-live")

        # The patient list says so too.
        driver.get(f"{EHR_URL}/")
        row = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"tr[data-patient-id='{patient_id}'] td.link-state")), None),
                        "the list should show the new patient")
        self.assertEqual(row.text.strip(), "Linked")

# --- the new tab while Fullscript is slow (issue 13, "The tab") ----------------------------------

def set_sandbox_faults(faults, query=""):
    """Every simulator /api answer gets `faults` (e.g. [{"latency_ms": 2500}]) until cleared (or `count=N` answers)."""
    status, body = http_post(SANDBOX_ADMIN_URL + "/_sandbox/faults" + query, json.dumps(faults))
    if status != 204:
        raise AssertionError(f"POST /_sandbox/faults answered {status}: {body[:200]}")


def clear_sandbox_faults():
    status, body = http_delete(SANDBOX_ADMIN_URL + "/_sandbox/faults")
    if status != 204:
        raise AssertionError(f"DELETE /_sandbox/faults answered {status}: {body[:200]}")


class DevToolsTab:
    """One tab reached over Chromium's DevTools protocol, not through ChromeDriver: ChromeDriver, and DevTools' own
    Runtime.evaluate, wait while the tab's document has a navigation pending, which is exactly when the opening page is
    on screen. `pages` (the browser's list of tabs with each one's committed URL and title) and key presses do not."""

    def __init__(self, websocket_url):
        import websocket  # selenium's own dependency
        self.socket = websocket.create_connection(websocket_url, timeout=5, suppress_origin=True)
        self.next_id = 0

    @staticmethod
    def pages(driver):
        """{target id: {"url", "title", "webSocketDebuggerUrl"}} of the browser's tabs."""
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        with urllib.request.urlopen(f"http://{address}/json/list", timeout=5) as response:
            return {t["id"]: t for t in json.loads(response.read()) if t.get("type") == "page"}

    def call(self, method, params=None):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def press(self, key, virtual_key):
        """A key press as the keyboard sends it: it reaches the page even while a navigation is pending."""
        # A button acts on the character a key types (Enter's is "\r"), a link on the key itself.
        text = {"Enter": "\r"}.get(key)
        for event in ("keyDown", "keyUp"):
            params = {"type": event, "key": key, "code": key, "windowsVirtualKeyCode": virtual_key, "nativeVirtualKeyCode": virtual_key}
            if text and event == "keyDown":
                params["text"] = text
            result = self.call("Input.dispatchKeyEvent", params)
            if result:
                raise AssertionError(f"Input.dispatchKeyEvent {key}: {result}")

    def close(self):
        self.socket.close()


class TabWhileFullscriptIsSlowFlow(BrowserFlow):
    """Dr. Avery Quinn (EHR dr-quinn) in a fresh profile, connected to Fullscript as prac-1 (by PractitionerFlow, which runs
    first, or here if not). Its driver does not wait for pending navigations, so it sees what the new tab shows meanwhile."""

    profile = "tab-dr-quinn"
    patient_id = "p-1001"
    patient_name = "Jordan Rivera"
    opening_text = "Opening Fullscript for Jordan Rivera"

    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS_DIR, exist_ok=True)
        cls.driver = new_driver(cls.profile, page_load_strategy="none")

    def tearDown(self):
        clear_sandbox_faults()
        chart = self.__dict__.get("chart")
        if chart and chart in self.driver.window_handles:
            self.close_other_tabs(chart)

    def setUp(self):
        """Signed in with the chart open, and connected to Fullscript."""
        driver = self.driver
        if driver.get_cookie("fsr_session") is None:
            driver.implicitly_wait(WAIT)  # sign_in reads the page right after loading it
            try:
                self.sign_in("dr-quinn", "Dr. Avery Quinn")
            finally:
                driver.implicitly_wait(0)
        self.load(f"{EHR_URL}/chart.html?patient={self.patient_id}")
        self.chart = driver.current_window_handle
        button = self.recommend_button(self.patient_id)
        if self.me().get("fullscript", {}).get("connected"):
            return
        self.click_into_new_tab(button)
        self.press_connect("Dr. Avery Quinn")
        form = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")), None),
                         "Fullscript's consent page")
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='prac-1']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        self.wait_for_plan_page("connecting dr-quinn")
        self.close_other_tabs(self.chart)

    def load(self, url):
        """driver.get, and wait for the new document: this driver's get returns before it arrives."""
        self.driver.execute_script("window.__fsrLeaving = true;")
        self.driver.get(url)
        self.wait(lambda d: d.execute_script("return !window.__fsrLeaving && document.readyState === 'complete';"), f"loading {url}")

    OPENING_TITLE = "Opening Fullscript…"

    def click_into_watched_tab(self):
        """Clicks the chart's button; returns (monotonic time of the click, the new tab's target id). Nothing is asked of
        ChromeDriver until the tab's navigations are over."""
        button = self.recommend_button(self.patient_id)
        self.wait(lambda d: button.get_attribute("aria-disabled") != "true", "the button should be ready", timeout=10)
        before = set(DevToolsTab.pages(self.driver))
        clicked = time.monotonic()
        button.click()
        while time.monotonic() - clicked < WAIT:
            new = set(DevToolsTab.pages(self.driver)) - before
            if new:
                self.assertEqual(len(new), 1, "one new tab")
                return clicked, new.pop()
            time.sleep(0.01)
        raise AssertionError("the button should open a new tab")

    def wait_for_title(self, target, titles, message, timeout):
        """(seconds waited, the tab) once the tab's title is one of `titles`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            page = DevToolsTab.pages(self.driver).get(target)
            if page and page.get("title") in titles:
                return time.monotonic() - started, page
            time.sleep(0.02)
        raise AssertionError(f"{message} (after {timeout} s: {DevToolsTab.pages(self.driver).get(target)})")

    @captures_failures
    def test_1_the_new_tab_is_never_blank_while_fullscript_is_slow(self):
        latency_ms = 2500
        set_sandbox_faults([{"latency_ms": latency_ms}])
        drafts_before = len(draft_link_requests())
        clicked, target = self.click_into_watched_tab()
        samples = []  # (seconds since the click, committed URL, title): what the tab shows, as the browser reports it
        while time.monotonic() - clicked < WAIT:
            page = DevToolsTab.pages(self.driver).get(target, {})
            samples.append((time.monotonic() - clicked, page.get("url", ""), page.get("title", "")))
            if PLAN_PATH.match(self.path_of(samples[-1][1])) and samples[-1][2].startswith("Treatment plan"):
                break
            time.sleep(0.02)
        # While a cross-site answer commits, the browser reports no URL for a moment, still with our page's title.
        ours = [sample for sample in samples
                if self.path_of(sample[1]) == f"/recommend/{self.patient_id}/opening" or sample[2] == self.OPENING_TITLE]
        self.assertTrue(ours, f"the tab never showed our opening page: {samples[:3]} … {samples[-3:]}")
        first, last = ours[0], ours[-1]
        blank = [sample for sample in samples if sample not in ours and sample[1] in ("", "about:blank")]
        log(f"never blank: {len(samples)} samples; about:blank until {blank[-1][0] * 1000 if blank else 0:.0f} ms, our page from "
            f"{first[0] * 1000:.0f} ms to {last[0] * 1000:.0f} ms, the plan at {samples[-1][0] * 1000:.0f} ms "
            f"({latency_ms} ms of Fullscript latency)")
        self.assertTrue(all(at < first[0] for at, _, _ in blank), f"blank after our page showed: {blank}")
        self.assertLess(first[0], 1.5, "our page shows at once")
        self.assertGreater(last[0] - first[0], latency_ms / 1000 - 1, "and stays while Fullscript takes its time")
        after = samples[samples.index(last) + 1:]
        self.assertTrue(after and all(PLAN_PATH.match(self.path_of(url)) for _, url, _ in after), f"then the plan: {after[:3]}")
        self.assertIn(self.OPENING_TITLE, {title for _, _, title in ours})
        self.assertEqual(len(draft_link_requests()), drafts_before + 1, "one draft")
        self.driver.switch_to.window(next(h for h in self.driver.window_handles if h != self.chart))
        self.wait_for_plan_page("after a slow Fullscript")

    @captures_failures
    def test_2_after_3_s_the_page_says_fullscript_is_slow_with_try_again_and_close(self):
        import websocket  # selenium's own dependency
        # What the message says and holds (role=alert, Try again, Close) is OpeningRoutesTests'; here: that it comes
        # while the click is pending, and that Try again and Close work from the keyboard meanwhile.
        set_sandbox_faults([{"latency_ms": 8000}])
        drafts_before = len(draft_link_requests())
        clicked, target = self.click_into_watched_tab()
        self.wait_for_title(target, {self.OPENING_TITLE}, "the opening page", 5)
        waited, page = self.wait_for_title(target, {"Still waiting for Fullscript…"}, "the page should say Fullscript is slow", 8)
        log(f"slow message {waited:.1f} s after the opening page ({time.monotonic() - clicked:.1f} s after the click)")
        self.assertGreater(waited, 2.0, "not before about 3 s")
        self.assertTrue(self.path_of(page["url"]).endswith("/opening"), page)

        # Try again (the first thing Tab reaches): the same click again, which joins the one under way (the server
        # still runs it after the browser dropped it) and lands on its plan.
        clear_sandbox_faults()
        tab = DevToolsTab(page["webSocketDebuggerUrl"])
        try:
            tab.press("Tab", 9)
            tab.press("Enter", 13)
        finally:
            tab.close()
        again = time.monotonic()
        self.wait(lambda d: PLAN_PATH.match(self.path_of(DevToolsTab.pages(d).get(target, {}).get("url", ""))),
                  "Try again should reach the plan", timeout=12)
        log(f"Try again reached the plan in {time.monotonic() - again:.1f} s")
        self.assertEqual(len(draft_link_requests()), drafts_before + 1, "Try again joins the click under way: one draft")
        self.close_other_tabs(self.chart)

        # Close (Tab, Tab): the tab goes away, the click still pending with it.
        set_sandbox_faults([{"latency_ms": 8000}])
        clicked, target = self.click_into_watched_tab()
        _, page = self.wait_for_title(target, {"Still waiting for Fullscript…"}, "the page should say Fullscript is slow", 10)
        tab = DevToolsTab(page["webSocketDebuggerUrl"])
        try:
            tab.press("Tab", 9)
            tab.press("Tab", 9)
            try:
                tab.press("Enter", 13)
            except websocket.WebSocketConnectionClosedException:  # the tab closed before its key came up
                pass
        finally:
            tab.close()
        self.wait(lambda d: target not in DevToolsTab.pages(d), "Close should close the tab", timeout=5)
        self.driver.switch_to.window(self.chart)
        self.assertEqual(self.driver.window_handles, [self.chart], "only the chart is left")

    @captures_failures
    def test_3_a_double_click_opens_one_tab_and_makes_one_draft(self):
        driver = self.driver
        from selenium.webdriver.common.action_chains import ActionChains
        button = self.recommend_button(self.patient_id)
        drafts_before = len(draft_link_requests())
        before = set(driver.window_handles)
        ActionChains(driver).double_click(button).perform()
        self.wait(lambda d: set(d.window_handles) - before, "the double-click should open a tab")
        label = button.find_element(By.CSS_SELECTOR, ".fsr-button__label")
        status = button.find_element(By.CSS_SELECTOR, "[aria-live=polite]")
        self.assertEqual(label.text.strip(), "Opening…", "the button says it is opening")
        self.assertEqual(status.get_attribute("textContent"), "Opening Fullscript in a new tab…", "and tells screen readers")
        self.assertEqual(button.get_attribute("aria-disabled"), "true")
        screenshot(driver, "tab-3-button-opening")
        tabs = set(driver.window_handles) - before
        driver.switch_to.window(next(iter(tabs)))
        self.wait_for_plan_page("after a double-click")
        # Both clicks came within milliseconds: a second tab would be open by the time the first shows its plan.
        self.assertEqual(len(set(driver.window_handles) - before), 1, "one tab")
        self.assertEqual(len(draft_link_requests()), drafts_before + 1, "one draft at the simulator")
        driver.switch_to.window(self.chart)
        self.wait(lambda d: label.text.strip() == "Recommend with Fullscript", "the button comes back after a few seconds", timeout=10)
        self.assertIsNone(button.get_attribute("aria-disabled"))
        self.assertEqual(status.get_attribute("textContent"), "")

    @captures_failures
    def test_4_an_unknown_patient_asks_before_opening_a_plan_without_one(self):
        driver = self.driver
        drafts_before = len(draft_link_requests())
        # A tab opened the way the button opens one, on an id the EHR never sent (a mistyped id in an embedding EHR).
        driver.execute_script("""const a = document.createElement('a'); a.id = 'mistyped'; a.textContent = 'Mistyped';
            a.href = '/recommend/p-9999/opening'; a.target = '_blank'; a.rel = 'noopener'; document.body.append(a);""")
        tab = self.click_into_new_tab(driver.find_element(By.ID, "mistyped"))[2]
        heading = self.wait(lambda d: next((h for h in d.find_elements(By.TAG_NAME, "h1") if h.text.strip()), None), "the question page")
        self.assertEqual(heading.text.strip(), "Continue without a patient?")
        self.assertIn("mistyped patient id", driver.find_element(By.TAG_NAME, "main").text)
        close = self.wait(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, "button[data-close-tab]") if b.is_displayed()), None),
                          "Close is shown once the script runs")
        screenshot(driver, "tab-4-unknown-patient-question")
        self.assertEqual(len(draft_link_requests()), drafts_before, "nothing asked of Fullscript before the answer")
        close.click()
        self.wait(lambda d: tab not in d.window_handles, "Close should close the tab the button opened", timeout=5)
        driver.switch_to.window(self.chart)

        # Where the browser keeps the tab (it has a history), the page says how to close it; Continue opens the new plan.
        self.load(f"{EHR_URL}/recommend/p-9999/opening")
        driver.find_element(By.CSS_SELECTOR, "button[data-close-tab]").click()
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[data-close-refused]").is_displayed(), "the page should say how to close the tab")
        driver.find_element(By.ID, "continue").click()
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/sandbox/plans/"), "Continue opens Fullscript's new plan")

    @captures_failures
    def test_5_the_opening_page_passes_the_accessibility_check(self):
        # axe and ChromeDriver wait while a navigation is pending, which is all the time the page is on screen: once the
        # page says Fullscript is slow, the click is stopped (as Escape would), and the page is what the person saw.
        set_sandbox_faults([{"latency_ms": 8000}])
        _, target = self.click_into_watched_tab()
        _, page = self.wait_for_title(target, {"Still waiting for Fullscript…"}, "the page should say Fullscript is slow", 10)
        tab = DevToolsTab(page["webSocketDebuggerUrl"])
        try:
            tab.call("Page.stopLoading")
        finally:
            tab.close()
        self.driver.switch_to.window(target)
        self.wait(lambda d: d.find_element(By.ID, "opening-slow").is_displayed(), "the slow message stays after the click is stopped")
        self.assertIn(self.opening_text, self.driver.find_element(By.TAG_NAME, "h1").text)
        screenshot(self.driver, "opening-page-fullscript-slow")


class ViewerFlow(BrowserFlow):
    """Pat Reviewer (EHR pat-reviewer, launch token roles ["viewer"]), in a fresh profile: reads, cannot click."""

    profile = "pat-reviewer"

    @captures_failures
    def test_a_viewer_reads_the_chart_without_the_button_and_a_click_is_refused(self):
        driver = self.driver
        drafts_before = len(draft_link_requests())
        self.sign_in("pat-reviewer", "Pat Reviewer")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "a[href='chart.html?patient=p-1001']"), "the patient list")
        self.assertEqual(driver.find_elements(By.ID, "connect-fullscript"), [], "a viewer is not offered Connect Fullscript")
        driver.get(EHR_URL + "/chart.html?patient=p-1001")
        note = self.wait(lambda d: next(iter(d.find_elements(By.ID, "viewer-note")), None), "the chart says why there is no button")
        self.assertIn("signed in as a viewer", note.text)
        self.assertEqual(driver.find_elements(By.ID, "recommend-button"), [], "no Recommend button for a viewer")
        self.wait(lambda d: d.find_elements(By.ID, "treatment-plans-list")
                  and not d.find_elements(By.CSS_SELECTOR, "#treatment-plans-list .loading"), "the plans panel loads")
        self.assertFalse(driver.find_element(By.ID, "refresh-plans").is_displayed(), "no Refresh for a viewer")
        screenshot(driver, "viewer-chart")

        # Typed by hand, the click is refused by the server too, on a page with the usual next steps.
        driver.get(EHR_URL + "/recommend/p-1001")
        heading = self.wait(lambda d: next((h for h in d.find_elements(By.TAG_NAME, "h1") if h.text.strip()), None), "the refusal")
        self.assertEqual(heading.text.strip(), "Your EHR role lets you view, not act")
        self.assertTrue(driver.find_elements(By.ID, "request-id"), "the refusal names its request id")
        self.assertEqual(len(draft_link_requests()), drafts_before, "nothing asked of Fullscript")


class WrongClinicFlow(BrowserFlow):
    """Dr. Morgan Lee (EHR dr-lee) in a fresh profile (issue 14, "A pinned clinic"): the demo pins its
    practice to clinic-1 (as an operator would), so picking an account of the other clinic on the consent
    page (it lists both) is refused with a page naming the practice's clinic. Connects as prac-2 first (which
    names the pinned clinic, if no class did yet) and disconnects at the end, so dr-lee ends as it started."""

    profile = "dr-lee-wrong-clinic"

    def approve_as(self, account):
        self.driver.get(EHR_URL + "/oauth/fullscript/connect?return_to=%2Faccount.html")
        self.press_connect("Dr. Morgan Lee")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "Connect should reach the consent page")
        form = self.driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, f"input[name=user_id][value='{account}']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()

    @captures_failures
    def test_an_account_of_another_clinic_is_refused_naming_the_practices_clinic(self):
        driver = self.driver
        self.sign_in("dr-lee", "Dr. Morgan Lee")
        self.approve_as("prac-2")
        self.wait(lambda d: self.path_of(d.current_url) == "/account.html" and d.find_elements(By.ID, "disconnect-button"),
                  "connecting with the practice's clinic lands on the settings page, connected")

        self.approve_as("prac-4")
        heading = self.wait(lambda d: next((h for h in d.find_elements(By.TAG_NAME, "h1") if h.text.strip()), None), "the refusal")
        self.assertEqual(heading.text.strip(), "This Fullscript account belongs to another clinic")
        message = driver.find_element(By.CSS_SELECTOR, ".what-happened").text
        self.assertIn("Your practice uses the Fullscript clinic Sandbox Integrative Clinic", message)
        self.assertIn("Lakeside Family Wellness", message)
        again = driver.find_element(By.ID, "try-again").get_attribute("href")
        self.assertEqual(self.path_of(again), "/oauth/fullscript/connect", again)
        screenshot(driver, "14-wrong-clinic-refused")
        fullscript = self.me()["fullscript"]
        self.assertEqual(fullscript.get("account_name"), "Morgan Lee", f"the earlier connection stands: {fullscript}")

        driver.get(EHR_URL + "/account.html")
        self.wait(lambda d: d.find_elements(By.ID, "disconnect-button"), "the settings page offers Disconnect").pop().click()
        self.wait(lambda d: self.path_of(d.current_url) == "/account.html" and d.find_elements(By.ID, "connect-link"),
                  "Disconnect returns to the settings page, not connected")
        self.assertFalse(self.me()["fullscript"]["connected"])


class ReadablePlansFlow(BrowserFlow):
    """Dr. Emerson Adeyemi (EHR dr-adeyemi of Lakeside, Fullscript prac-5) in a fresh profile (issue 16,
    "Readable plans"); no other class signs them in, as TwoPracticesFlow needs dr-chen unconnected. Connects,
    activates a plan for Tobias Whitfield in the simulator, and the open chart shows it by product name, brand
    and size, by practitioner name, with its resource; then reloads with no catalog call."""

    profile = "dr-adeyemi"
    patient_id = "lk-2002"
    patient_name = "Tobias Whitfield"

    @staticmethod
    def catalog_calls():
        return sum(1 for r in sandbox_requests() if str(r.get("path", "")).startswith("/api/catalog/"))

    @captures_failures
    def test_a_plan_shows_products_by_name_and_the_practitioner_by_name(self):
        driver = self.driver
        self.sign_in("dr-adeyemi", "Dr. Emerson Adeyemi")
        driver.get(EHR_URL + "/oauth/fullscript/connect?return_to=%2Faccount.html")
        self.press_connect("Dr. Emerson Adeyemi")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "Connect should reach the consent page")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='prac-5']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        self.wait(lambda d: self.path_of(d.current_url) == "/account.html" and d.find_elements(By.ID, "disconnect-button"),
                  "connecting lands on the settings page, connected")
        self.assertTrue(self.me().get("labs_offered"), "the demo's Fullscript is a US one: labs are offered")

        driver.get(f"{EHR_URL}/chart.html?patient={self.patient_id}")
        button = self.recommend_button(self.patient_id)
        self.assertTrue(driver.find_elements(By.ID, "order-labs-link"), "Order labs is offered in the US")
        self.wait(lambda d: d.find_element(By.ID, "plans-live-status").get_attribute("data-state") == "live",
                  "the chart's plans panel should be live before the plan is activated")
        chart, chart_url, tab = self.click_into_new_tab(button)
        plan_id = self.wait_for_plan_page("Dr. Adeyemi's click")
        form = driver.find_element(By.CSS_SELECTOR, f"form[action='/sandbox/plans/{plan_id}/activate']")
        form.find_element(By.TAG_NAME, "button").click()
        self.wait(lambda d: "State: active" in d.find_element(By.TAG_NAME, "body").text, "the simulator should show the plan active")

        driver.switch_to.window(chart)
        plan = self.wait(
            lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"#treatment-plans li.plan[data-plan-id='{plan_id}'][data-state='active']")), None),
            f"the activated plan {plan_id} should appear on the open chart by itself")
        text = plan.text
        self.assertIn("By Emerson Adeyemi", text, "the practitioner by name, not by id")
        self.assertIn("Magnesium Glycinate", text)
        self.assertIn("Pure Encapsulations", text)
        self.assertIn("capsule, 90 capsules", text)
        self.assertIn("Vitamin D3 5,000 IU", text)
        self.assertNotIn("variant-1001", text, "no variant id once the catalog named it")
        self.assertIn("Magnesium and sleep: a patient guide", text, "the plan's resource")
        names = [e.text for e in plan.find_elements(By.CSS_SELECTOR, ".plan__product-name")]
        self.assertEqual(names, ["Magnesium Glycinate", "Vitamin D3 5,000 IU", "Omega-3 Fish Oil"])
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", plan)
        screenshot(driver, "16-chart-readable-plan")
        plan.screenshot(os.path.join(ARTIFACTS_DIR, "16-readable-plan-panel.png"))

        # Read again from our store: the names come without asking Fullscript's catalog.
        before = self.catalog_calls()
        driver.get(f"{EHR_URL}/chart.html?patient={self.patient_id}")
        again = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"li.plan[data-plan-id='{plan_id}']")), None),
                          "the plan is listed after a reload")
        self.assertIn("Magnesium Glycinate", again.text)
        self.assertEqual(self.catalog_calls() - before, 0, "a warm chart makes no catalog call")
        self.close_other_tabs(driver.current_window_handle)


class TwoPracticesFlow(BrowserFlow):
    """Issue 14: the demo's two practices side by side, each in its own fresh profile. Dr. Riley Chen (EHR dr-chen)
    of the Sandbox practice (tenant default, simulator clinic-1) and Dr. Harper Nakamura (EHR dr-nakamura) of Lakeside
    Family Wellness (tenant lakeside, clinic-2), neither connected when the demo starts and used by no other class.
    Each click reaches its own practice's clinic; neither practice sees the other's patients or plans."""

    profile = "dr-chen-sandbox"
    lakeside = None  # Dr. Nakamura's browser; `driver` is Dr. Chen's
    sandbox_patient = ("p-1001", "Jordan Rivera")
    lakeside_patient = ("lk-2001", "Noor Haddad")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lakeside = new_driver("dr-nakamura-lakeside")

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.lakeside is not None:
                cls.lakeside.quit()
                shutil.rmtree(cls.lakeside.fsr_profile_dir, ignore_errors=True)
        finally:
            super().tearDownClass()

    def sign_in_to(self, practice, user_id, name):
        """Signs in from the practice's group of the sign-in page; the header then names the practice."""
        self.driver.get(EHR_URL + "/demo/sign-in?return_to=/")
        group = self.driver.find_element(By.XPATH, f"//section[h2 = '{practice}']")
        self.assertTrue(group.find_elements(By.CSS_SELECTOR, f"input[name=user][value='{user_id}']"), f"{user_id} is listed under {practice}")
        self.sign_in(user_id, name)
        badge = self.wait(lambda d: next((e for e in d.find_elements(By.ID, "practice-name") if e.text.strip()), None),
                          "the header names the practice")
        self.assertEqual(badge.text.strip(), practice)

    def first_click(self, patient, practitioner_id, practitioner_name, clinic):
        """From the patient list: the chart, the click, the consent page (as `practitioner_id`), the plan in `clinic`.
        Returns (plan id, the patient the plan names at the simulator, the chart's handle)."""
        driver = self.driver
        button = self.open_chart(*patient)
        drafts_before = len(draft_link_requests())
        chart, _, _ = self.click_into_new_tab(button)
        self.press_connect(practitioner_name)
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "the consent page")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, f"input[name=user_id][value='{practitioner_id}']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        plan_id = self.wait_for_plan_page(f"{practitioner_name}'s first click")
        body = driver.find_element(By.TAG_NAME, "body").text
        self.assertIn(f"Clinic: {clinic}", body, "the plan is in the practice's clinic")
        self.assertIn(f"Practitioner: {practitioner_name.removeprefix('Dr. ')}", body)
        drafts = draft_link_requests()
        self.assertEqual(len(drafts), drafts_before + 1, "one draft")
        self.assertEqual(drafts[-1]["json"].get("treatment_plan", {}).get("practitioner_id"), practitioner_id)
        named = Select(driver.find_element(By.CSS_SELECTOR, "select[name=patient_id]")).first_selected_option
        self.assertIn(patient[1], named.text)
        return plan_id, named.get_attribute("value"), chart

    @captures_failures
    def test_1_a_sandbox_practitioners_click_reaches_clinic_1(self):
        driver = self.driver
        driver.get(EHR_URL + "/demo/sign-in?return_to=/")
        screenshot(driver, "14-sign-in-two-practices")
        self.sign_in_to("Sandbox Integrative Clinic", "dr-chen", "Dr. Riley Chen")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "a[href='chart.html?patient=p-1001']"), "the practice's patients")
        self.assertEqual(driver.find_elements(By.CSS_SELECTOR, "a[href='chart.html?patient=lk-2001']"), [], "not Lakeside's")
        screenshot(driver, "14-sandbox-patients")
        _, fullscript_patient, chart = self.first_click(self.sandbox_patient, "prac-3", "Dr. Riley Chen", "Sandbox Integrative Clinic")
        self.assertFalse(fullscript_patient.startswith("pat-10"), f"a clinic-1 patient: {fullscript_patient}")
        self.close_other_tabs(chart)

    @captures_failures
    def test_2_a_lakeside_practitioner_sees_only_lakeside_and_reaches_clinic_2(self):
        self.driver = driver = self.lakeside
        self.sign_in_to("Lakeside Family Wellness", "dr-nakamura", "Dr. Harper Nakamura")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "a[href='chart.html?patient=lk-2001']"), "Lakeside's patients")
        listed = {link.get_attribute("data-patient-id") or link.get_attribute("href")
                  for link in driver.find_elements(By.CSS_SELECTOR, "a[href^='chart.html?patient=']")}
        self.assertFalse([link for link in listed if "p-100" in link], f"no Sandbox patient in Lakeside's list: {listed}")
        screenshot(driver, "14-lakeside-patients")

        # The Sandbox practice's patient and plans by direct URL: not found, as if they did not exist.
        driver.get(f"{EHR_URL}/chart.html?patient={self.sandbox_patient[0]}")
        heading = self.wait(lambda d: next(iter(d.find_elements(By.ID, "error-heading")), None), "the chart's answer")
        self.assertEqual(heading.text.strip(), "Patient not found")
        screenshot(driver, "14-lakeside-other-practices-patient-not-found")
        plans = driver.execute_async_script(
            """const done = arguments[arguments.length - 1];
            fetch(arguments[0], {headers: {accept: 'application/json'}}).then(r => done(r.status), e => done(String(e)));""",
            f"/ehr/api/patients/{self.sandbox_patient[0]}/treatment-plans")
        self.assertEqual(plans, 404, "the Sandbox patient's plans are not found either")

        driver.get(EHR_URL + "/")
        plan_id, fullscript_patient, chart = self.first_click(self.lakeside_patient, "prac-4", "Dr. Harper Nakamura", "Lakeside Family Wellness")
        self.assertEqual(fullscript_patient, "pat-101", "Lakeside's clinic already had Noor Haddad: found by email, not made twice")
        screenshot(driver, "14-lakeside-plan-in-clinic-2")
        self.close_other_tabs(chart)

    @captures_failures
    def test_3_a_plan_activated_in_lakeside_reaches_lakesides_open_chart_only(self):
        sandbox, lakeside = self.driver, self.lakeside
        charts = {}
        for driver, (patient_id, _) in ((sandbox, self.sandbox_patient), (lakeside, self.lakeside_patient)):
            self.driver = driver
            driver.get(f"{EHR_URL}/chart.html?patient={patient_id}")
            charts[driver] = driver.current_window_handle
            self.recommend_button(patient_id)
            self.wait(lambda d: d.find_element(By.ID, "plans-live-status").get_attribute("data-state") == "live",
                      f"{patient_id}'s plans panel should be live before the plan is activated")

        self.driver = lakeside
        self.click_into_new_tab(self.recommend_button(self.lakeside_patient[0]))
        plan_id = self.wait_for_plan_page("Lakeside's click before activating")
        lakeside.find_element(By.CSS_SELECTOR, f"form[action='/sandbox/plans/{plan_id}/activate'] button").click()
        self.wait(lambda d: "State: active" in d.find_element(By.TAG_NAME, "body").text, "the simulator shows the plan active")
        lakeside.switch_to.window(charts[lakeside])
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#treatment-plans li.plan[data-plan-id='{plan_id}'][data-state='active']"),
                  f"Lakeside's open chart shows the activated plan {plan_id} by itself")
        screenshot(lakeside, "14-lakeside-chart-with-activated-plan")

        # The event reached Lakeside's chart; the Sandbox chart, open as long, never shows it.
        self.driver = sandbox
        self.assertEqual(sandbox.find_element(By.ID, "plans-live-status").get_attribute("data-state"), "live")
        self.assertEqual(sandbox.find_elements(By.CSS_SELECTOR, f"#treatment-plans li.plan[data-plan-id='{plan_id}']"), [],
                         "the Sandbox chart shows no Lakeside plan")
        screenshot(sandbox, "14-sandbox-chart-untouched")
        self.driver = lakeside
        self.close_other_tabs(charts[lakeside])


class OrdersFlow(BrowserFlow):
    """Rowan Castillo (EHR rowan-castillo, Lakeside front-desk staff, Fullscript staff-2) in a fresh profile (issue 16,
    "Orders"); no other class signs them in. A plan for Noor Haddad is activated for Dr. Adeyemi, the patient presses
    Order on the simulator's checkout page, and the open chart shows the order and "Ordered 1 time" by itself.
    The line items are named from the catalog, read through the only connection this class makes: a staff one."""

    profile = "rowan-castillo-orders"
    patient_id = "lk-2001"
    patient_name = "Noor Haddad"

    @captures_failures
    def test_an_order_placed_at_fullscript_appears_live_on_the_open_chart(self):
        driver = self.driver
        self.sign_in("rowan-castillo", "Rowan Castillo")
        button = self.open_chart(self.patient_id, self.patient_name)
        self.wait(lambda d: d.find_element(By.ID, "plans-live-status").get_attribute("data-state") == "live",
                  "the chart's plans panel should be live before anything happens at Fullscript")
        chart, _, _ = self.click_into_new_tab(button)
        self.press_connect("Rowan Castillo")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "the consent page")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='staff-2']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        self.wait(lambda d: d.current_url.startswith(EHR_URL + f"/recommend/{self.patient_id}"), "back from consent to the click")
        self.assertEqual(self.choose_practitioner("Emerson Adeyemi")["practitioner_id"], "prac-5")
        plan_id = self.wait_for_plan_page("Rowan's click for Dr. Adeyemi")
        driver.find_element(By.CSS_SELECTOR, f"form[action='/sandbox/plans/{plan_id}/activate'] button").click()
        self.wait(lambda d: "State: active" in d.find_element(By.TAG_NAME, "body").text, "the simulator should show the plan active")

        driver.switch_to.window(chart)
        plan = self.wait(
            lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"#treatment-plans li.plan[data-plan-id='{plan_id}'][data-state='active']")), None),
            f"the activated plan {plan_id} should appear on the open chart by itself")
        self.assertIn("Not ordered yet", plan.text)
        orders_before = len(driver.find_elements(By.CSS_SELECTOR, "#orders-list li.order"))

        # The patient's side: the checkout page behind the plan's invitation link, and its Order button.
        checkout = [h for h in driver.window_handles if h != chart][0]
        driver.switch_to.window(checkout)
        driver.get(f"{SANDBOX_URL}/sandbox/plans/{plan_id}/invitation")
        order_events_before = sum(1 for r in sandbox_requests() if str(r.get("path", "")).endswith("/orders"))
        driver.find_element(By.ID, "place-order").click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#orders li"), "the checkout page lists the order")

        driver.switch_to.window(chart)
        self.wait(lambda d: "Ordered 1 time" in d.find_element(By.CSS_SELECTOR, f"li.plan[data-plan-id='{plan_id}']").text,
                  "the plan should say it was ordered, without a reload")
        self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#orders-list li.order")) == orders_before + 1,
                  "the order should appear on the open chart by itself")
        order = driver.find_elements(By.CSS_SELECTOR, "#orders-list li.order")[0]
        lines = [line.text for line in order.find_elements(By.CSS_SELECTOR, ".order__items li")]
        self.assertEqual([line.rsplit(" × ", 1)[-1] for line in lines], ["1", "1", "2"], f"the plan's three products: {lines}")
        self.assertIn("Magnesium Glycinate", lines[0], f"products by name, not variant ids: {lines}")
        self.assertIn("Order 1000", order.text, "the order number")
        self.assertEqual(sum(1 for r in sandbox_requests() if str(r.get("path", "")).endswith("/orders")) - order_events_before, 0,
                         "the order came by webhook and stream: no orders call to Fullscript")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", driver.find_element(By.ID, "plan-orders"))
        screenshot(driver, "16-chart-order-live")
        self.close_other_tabs(chart)


class PlanActionsFlow(BrowserFlow):
    """Dr. Harper Nakamura (EHR dr-nakamura of Lakeside, Fullscript prac-4) in a fresh profile (issue 16, "Plan
    actions"). Activates a plan for Noor Haddad, then from the open chart: "Open in Fullscript" opens a new tab on
    the simulator's page of that plan, and "Cancel plan", once confirmed, shows the plan cancelled without its
    actions. TwoPracticesFlow signs Dr. Nakamura in later and needs them unconnected: this class disconnects last."""

    profile = "dr-nakamura"
    patient = ("lk-2001", "Noor Haddad")

    @staticmethod
    def plan_action_calls():
        return [f"{r.get('method')} {r.get('path')}" for r in sandbox_requests()
                if str(r.get("path", "")).startswith("/api/clinic/dynamic_links/treatment_plans/") or str(r.get("path", "")).endswith("/cancel")]

    @captures_failures
    def test_open_in_fullscript_then_cancel_from_the_chart(self):
        driver = self.driver
        self.sign_in("dr-nakamura", "Dr. Harper Nakamura")
        chart, _, _ = self.click_into_new_tab(self.open_chart(*self.patient))
        self.press_connect("Dr. Harper Nakamura")
        self.wait(lambda d: d.current_url.startswith(SANDBOX_URL + "/api/oauth/authorize"), "the consent page")
        form = driver.find_element(By.CSS_SELECTOR, "form[action='/api/oauth/authorize/decision']")
        form.find_element(By.CSS_SELECTOR, "input[name=user_id][value='prac-4']").click()
        form.find_element(By.CSS_SELECTOR, "button[name=decision][value=approve]").click()
        plan_id = self.wait_for_plan_page("Dr. Nakamura's click")
        driver.find_element(By.CSS_SELECTOR, f"form[action='/sandbox/plans/{plan_id}/activate'] button").click()
        self.wait(lambda d: "State: active" in d.find_element(By.TAG_NAME, "body").text, "the simulator shows the plan active")
        self.close_other_tabs(chart)

        selector = f"#treatment-plans li.plan[data-plan-id='{plan_id}']"
        plan = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, selector + "[data-state='active']")), None),
                         f"the activated plan {plan_id} appears on the open chart")
        calls_before = len(self.plan_action_calls())
        actions = plan.find_element(By.CSS_SELECTOR, ".plan__actions").text.split("\n")
        self.assertEqual([line for line in actions if not line.startswith("(")], ["Open in Fullscript", "Cancel plan"],
                         f"the actions and nothing else (a note for screen readers aside): {actions}")
        open_link = plan.find_element(By.CSS_SELECTOR, "a[data-action=open]")
        self.assertEqual(open_link.get_attribute("target"), "_blank")
        self.assertIn("noopener", open_link.get_attribute("rel"))
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", plan)
        screenshot(driver, "16-plan-actions")
        before = set(driver.window_handles)
        open_link.click()
        tab = self.wait(lambda d: next(iter(set(d.window_handles) - before), None), "Open in Fullscript opens a new tab")
        driver.switch_to.window(tab)
        self.wait(lambda d: self.path_of(d.current_url) == f"/sandbox/plans/{plan_id}", "the new tab shows the simulator's page of that plan")
        self.assertIn(f"Treatment plan {plan_id}", driver.find_element(By.TAG_NAME, "h1").text)
        self.assertEqual(self.plan_action_calls()[calls_before:], [f"GET /api/clinic/dynamic_links/treatment_plans/{plan_id}"],
                         "one fresh edit link for the click")
        self.close_other_tabs(chart)

        plan = driver.find_element(By.CSS_SELECTOR, selector)
        plan.find_element(By.CSS_SELECTOR, "button[data-action=cancel]").click()
        question = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, f"{selector} .plan__cancel-question")), None),
                             "Cancel asks first")
        self.assertIn("Cancel this plan in Fullscript?", question.text)
        screenshot(driver, "16-plan-cancel-confirmation")
        self.assertEqual(self.plan_action_calls()[calls_before + 1:], [], "nothing is sent before the answer")
        driver.find_element(By.CSS_SELECTOR, f"{selector} button[data-action=confirm-cancel]").click()
        cancelled = self.wait(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, selector + "[data-state='cancelled']")), None),
                              "the chart shows the plan cancelled from Fullscript's answer")
        self.assertIn("Cancelled", cancelled.text)
        self.assertEqual(cancelled.find_elements(By.CSS_SELECTOR, ".plan__actions"), [], "a cancelled plan has no actions")
        self.assertEqual(self.plan_action_calls()[calls_before + 1:], [f"PATCH /api/clinic/treatment_plans/{plan_id}/cancel"])

        # TwoPracticesFlow, which runs later, needs Dr. Nakamura unconnected: leave them as found.
        driver.get(EHR_URL + "/account.html")
        self.wait(lambda d: d.find_elements(By.ID, "disconnect-button"), "the settings page offers Disconnect")
        driver.find_element(By.ID, "disconnect-button").click()
        self.wait(lambda d: self.path_of(d.current_url) == "/account.html" and d.find_elements(By.ID, "connect-link"),
                  "Disconnect returns to the settings page, not connected")


if __name__ == "__main__":
    unittest.main(verbosity=2)
