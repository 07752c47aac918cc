"""The web page in a real browser: Debian's headless Chromium driven by selenium.

One walk through what a new user does with the page: log in, create a calendar,
import a 1,000-event .ics, give a phone an app password (used here by python
`caldav`), download the Apple profile, delete the calendar and restore it from
the trash with its events and sync history, revoke the app password.  Every
page is checked for horizontal overflow at 390 px and screenshots at 390 px and
1280 px are written to target/test-artifacts/.
"""

from __future__ import annotations

import plistlib
import re
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import caldav
import pytest
import requests
from caldav.lib import error as caldav_error

from support import REPO_ROOT, REQUEST_TIMEOUT, davdir_only

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = davdir_only("the web page is davdir's own")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = REPO_ROOT / "target" / "test-artifacts"
EVENTS = 1000
WAIT = 30
# An import's page refreshes every 2 s until the report is there.
IMPORT_WAIT = 300


def big_ics(n: int) -> str:
    """n events with distinct UIDs, in two time zones and UTC."""
    tz = (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
        "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"
        "BEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )
    events = []
    for i in range(n):
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        start = f"2027{month:02d}{day:02d}T{8 + i % 10:02d}0000"
        end = f"2027{month:02d}{day:02d}T{9 + i % 10:02d}0000"
        if i % 3 == 0:
            when = f"DTSTART;TZID=Europe/Berlin:{start}\r\nDTEND;TZID=Europe/Berlin:{end}\r\n"
        elif i % 3 == 1:
            when = f"DTSTART;TZID=America/New_York:{start}\r\nDTEND;TZID=America/New_York:{end}\r\n"
        else:
            when = f"DTSTART:{start}Z\r\nDTEND:{end}Z\r\n"
        events.append(
            f"BEGIN:VEVENT\r\nUID:web-import-{i}@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
            f"{when}SUMMARY:Imported event {i}\r\nEND:VEVENT\r\n"
        )
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir tests//web//EN\r\n"
            + tz + "".join(events) + "END:VCALENDAR\r\n")


@pytest.fixture
def browser(tmp_path):
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not Path(tool).exists():
            pytest.fail(f"{tool} is missing: install Debian's chromium and chromium-driver (.ci/run does)")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    profile = Path(tempfile.mkdtemp(prefix="davdir-chromium-"))
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 "--window-size=1280,900"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=opts, service=service)
    driver.set_page_load_timeout(WAIT)
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def width(driver, px: int) -> None:
    """A viewport exactly px CSS pixels wide (a phone at 390)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": px, "height": 900, "deviceScaleFactor": 1, "mobile": px < 600})


def no_overflow(driver, what: str) -> None:
    width(driver, 390)
    driver.refresh()
    scroll, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == 390, f"viewport is {inner} px"
    assert scroll <= inner, f"{what} overflows at 390 px: scrollWidth {scroll} > {inner}"
    width(driver, 1280)


def screenshot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for px in (390, 1280):
        width(driver, px)
        driver.refresh()
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": px, "height": min(int(height), 4000), "deviceScaleFactor": 1,
            "mobile": px < 600})
        driver.save_screenshot(str(ARTIFACTS / f"web-{name}-{px}.png"))
    width(driver, 1280)


def wait_for(driver, css: str):
    return WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def submit(driver, form_css: str) -> None:
    """Clicks a form's submit button and waits for the next page.

    Chromedriver sometimes resolves an element of a document that a viewport
    change has just replaced ("Node ... does not belong to the document");
    the click did not happen then. It is tried again on fresh elements, and
    the last tries click from inside the page, which needs no node id from
    chromedriver (one CI run saw the native click fail three times running).
    """
    for attempt in range(4):
        WebDriverWait(driver, WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        try:
            old = driver.find_element(By.TAG_NAME, "html")
            if attempt < 2:
                driver.find_element(By.CSS_SELECTOR, form_css).click()
            else:
                driver.execute_script(
                    "document.querySelector(arguments[0]).click()", form_css)
            break
        except (StaleElementReferenceException, WebDriverException) as e:
            if attempt == 3 or "does not belong to the document" not in str(e) \
                    and not isinstance(e, StaleElementReferenceException):
                raise
            time.sleep(0.5)
    WebDriverWait(driver, WAIT).until(lambda _: replaced(old))


def replaced(element) -> bool:
    """Whether `element`'s document has been replaced by the next page.

    `EC.staleness_of` knows only StaleElementReferenceException; chromedriver
    reports an element of a replaced document as "Node ... does not belong
    to the document" just as often, which means the same.
    """
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e):
            return True
        raise


def count_of(driver, cal_id: str) -> int:
    return int(driver.find_element(By.CSS_SELECTOR, f'article[data-id="{cal_id}"] .count').text)


def sync_token(url: str, auth) -> str:
    body = ('<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/>'
            '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')
    r = requests.request("REPORT", url, data=body, auth=auth, timeout=REQUEST_TIMEOUT,
                         headers={"Content-Type": "application/xml", "Depth": "1"})
    assert r.status_code == 207, r.text[:500]
    return re.search(r"<[^>]*sync-token>([^<]+)<", r.text).group(1)


def changes_since(url: str, token: str, auth) -> requests.Response:
    body = ('<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:">'
            f'<d:sync-token>{token}</d:sync-token>'
            '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')
    return requests.request("REPORT", url, data=body, auth=auth, timeout=REQUEST_TIMEOUT,
                            headers={"Content-Type": "application/xml", "Depth": "1"})


def test_a_new_user_sets_everything_up_in_the_browser(sample_server, browser, tmp_path):
    srv = sample_server
    base = srv.base_url
    d = browser

    # Log in.
    d.get(base)
    wait_for(d, "#username").send_keys("demo")
    d.find_element(By.ID, "password").send_keys("demo")
    submit(d, "form[action$='/login'] button")
    wait_for(d, "#create-button")
    no_overflow(d, "the collections page")

    # Create a calendar.
    d.find_element(By.ID, "new-name").send_keys("Household")
    d.find_element(By.ID, "new-id").send_keys("household")
    submit(d, "#create-button")
    assert count_of(d, "household") == 0
    cal_url = urljoin(base, "demo/household/")
    webcal = d.find_element(By.CSS_SELECTOR, 'article[data-id="household"]').text
    assert cal_url in webcal and "webcal://" in webcal

    # Import 1,000 events into it and see the count.
    ics = tmp_path / "old-calendar.ics"
    ics.write_text(big_ics(EVENTS))
    Select(d.find_element(By.ID, "import-target")).select_by_value("household")
    d.find_element(By.ID, "import-file").send_keys(str(ics))
    submit(d, "#import-button")
    # The form is answered at once with the import's own page, which
    # refreshes itself until the report is there.
    job_url = d.current_url
    assert "/.web/import/" in job_url, job_url
    report = WebDriverWait(d, IMPORT_WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#import-report"))).text
    assert d.current_url == job_url, d.current_url
    assert f"{EVENTS} created" in report, report
    no_overflow(d, "the import report")
    d.get(urljoin(base, ".web/"))
    assert count_of(d, "household") == EVENTS
    screenshot(d, "collections")

    # An app password for a phone; python caldav uses it.
    d.get(urljoin(base, ".web/devices"))
    d.find_element(By.ID, "app-label").send_keys("Android phone")
    submit(d, "#app-create")
    secret = wait_for(d, "#new-secret").text.strip()
    assert len(secret) >= 20
    no_overflow(d, "the new app password")
    client = caldav.DAVClient(url=base, username="demo", password=secret,
                              timeout=REQUEST_TIMEOUT)
    cal = client.calendar(url=cal_url)
    assert len(cal.events()) == EVENTS
    d.get(urljoin(base, ".web/devices"))
    assert "Android phone" in d.find_element(By.CSS_SELECTOR, "#app-passwords").text

    # The Apple profile: a property list with both accounts and the right URLs.
    submit_download = d.find_element(By.ID, "profile-button")
    submit_download.click()
    deadline = time.monotonic() + WAIT
    while not list(d.downloads.glob("*.mobileconfig")) and time.monotonic() < deadline:
        time.sleep(0.2)
    files = list(d.downloads.glob("*.mobileconfig"))
    assert files, "no .mobileconfig downloaded"
    profile = plistlib.loads(files[0].read_bytes())
    assert profile["PayloadType"] == "Configuration"
    kinds = {p["PayloadType"]: p for p in profile["PayloadContent"]}
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    for kind, prefix in (("com.apple.caldav.account", "CalDAV"),
                         ("com.apple.carddav.account", "CardDAV")):
        p = kinds[kind]
        assert p[f"{prefix}HostName"] == "127.0.0.1"
        assert p[f"{prefix}Port"] == port
        assert p[f"{prefix}UseSSL"] is False
        assert p[f"{prefix}Username"] == "demo"
        assert p[f"{prefix}PrincipalURL"] == urljoin(base, "demo/")
    profile_pw = kinds["com.apple.caldav.account"]["CalDAVPassword"]
    assert profile_pw != secret
    caldav.DAVClient(url=base, username="demo", password=profile_pw,
                     timeout=REQUEST_TIMEOUT).principal()
    d.get(urljoin(base, ".web/devices"))
    no_overflow(d, "the devices page")
    screenshot(d, "devices")

    # Delete the calendar, then restore it from the trash: all events and
    # the sync history come back (a token from before the delete works).
    auth = ("demo", secret)
    before = sync_token(cal_url, auth)
    d.get(urljoin(base, ".web/"))
    submit(d, 'article[data-id="household"] form[action$="/delete"] button')
    assert "Trash" in d.page_source  # a confirmation first: nothing deleted yet
    assert requests.request("PROPFIND", cal_url, auth=auth, headers={"Depth": "0"},
                            timeout=REQUEST_TIMEOUT).status_code == 207
    submit(d, 'form[action$="/delete"] input[name="confirm"] ~ button')
    assert not d.find_elements(By.CSS_SELECTOR, 'article[data-id="household"]')
    assert requests.request("PROPFIND", cal_url, auth=auth, headers={"Depth": "0"},
                            timeout=REQUEST_TIMEOUT).status_code == 404
    d.get(urljoin(base, ".web/trash"))
    row = wait_for(d, 'tr[data-name="household"]')
    assert str(EVENTS) in row.text
    no_overflow(d, "the trash")
    screenshot(d, "trash")
    submit(d, 'tr[data-name="household"] form[action$="/restore"] button')
    d.get(urljoin(base, ".web/"))
    assert count_of(d, "household") == EVENTS
    assert len(cal.events()) == EVENTS
    later = changes_since(cal_url, before, auth)
    assert later.status_code == 207, later.text[:500]
    assert later.text.count("<d:response>") + later.text.count("<D:response>") == 0, later.text[:800]
    cal.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        "UID:after-restore@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20270301T100000Z\r\nDTEND:20270301T110000Z\r\nSUMMARY:After\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    since = changes_since(cal_url, before, auth)
    assert since.status_code == 207
    assert since.text.count("getetag>") // 2 == 1, "only the new event changed since the token"

    # The account page reads well on a phone too.
    d.get(urljoin(base, ".web/account"))
    wait_for(d, "#current-password")
    no_overflow(d, "the account page")

    # Revoke the phone's app password: caldav gets 401 from then on.
    d.get(urljoin(base, ".web/devices"))
    submit(d, 'tr[data-label="Android phone"] form[action$="/revoke"] button')
    assert "Android phone" not in d.find_element(By.CSS_SELECTOR, "#app-passwords").text
    with pytest.raises(caldav_error.AuthorizationError):
        caldav.DAVClient(url=base, username="demo", password=secret,
                         timeout=REQUEST_TIMEOUT).calendar(url=cal_url).events()

    # Log out: the page asks for a login again.
    submit(d, "#logout")
    wait_for(d, "#username")


def log_in(d, base: str, user: str, password: str) -> None:
    d.get(base)
    wait_for(d, "#username").send_keys(user)
    d.find_element(By.ID, "password").send_keys(password)
    submit(d, "form[action$='/login'] button")
    wait_for(d, "#create-button")


def home_members(srv, user: str) -> set[str]:
    """The hrefs a PROPFIND Depth 1 of the user's home lists, as CalDAV clients see them."""
    r = srv.session(user).request(
        "PROPFIND", srv.url(user), timeout=REQUEST_TIMEOUT,
        headers={"Depth": "1", "Content-Type": "application/xml"},
        data='<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/>'
             '</d:prop></d:propfind>')
    assert r.status_code == 207, r.text[:500]
    return set(re.findall(r"<[^>]*href>([^<]+)<", r.text))


def test_a_calendar_is_shared_and_revoked_in_the_browser(server, browser):
    """alice shares a calendar with bob read-only from the page; bob's page
    lists it with its owner and CalDAV lists his view; alice revokes it and
    it is gone from bob's page."""
    srv = server
    base = srv.base_url
    d = browser
    view = "/bob/alice--family/"

    log_in(d, base, "alice", srv.users["alice"])
    d.find_element(By.ID, "new-name").send_keys("Family")
    d.find_element(By.ID, "new-id").send_keys("family")
    submit(d, "#create-button")
    family = 'article[data-id="family"]'
    d.find_element(By.CSS_SELECTOR, f"{family} details.share summary").click()
    assert "Not shared." in d.find_element(By.CSS_SELECTOR, family).text
    d.find_element(By.CSS_SELECTOR, f'{family} input[name="sharee"]').send_keys("bob")
    Select(d.find_element(By.CSS_SELECTOR, f'{family} select[name="access"]')) \
        .select_by_value("read")
    submit(d, f"{family} form[action$='/share'] button")
    row = wait_for(d, f'{family} li[data-sharee="bob"]').text
    assert "bob" in row and "read only" in row, row
    assert 'bob = "read"' in (srv.calendar_dir("alice", "family") / ".calendar.toml").read_text()
    no_overflow(d, "the collections page with a share")
    screenshot(d, "sharing-owner")
    submit(d, "#logout")

    log_in(d, base, "bob", srv.users["bob"])
    shared = wait_for(d, '#shared article[data-id="alice--family"]')
    assert shared.find_element(By.CSS_SELECTOR, ".owner").text == "alice"
    assert "read only" in shared.text and view in shared.text, shared.text
    # Not offered as his own: no Share, Edit or Delete for it.
    for action in ("share", "edit", "delete"):
        assert not d.find_elements(By.CSS_SELECTOR, f'form[action$="/alice--family/{action}"]')
    assert view in home_members(srv, "bob")
    no_overflow(d, "the collections page with a collection shared with you")
    screenshot(d, "sharing-sharee")
    submit(d, "#logout")

    log_in(d, base, "alice", srv.users["alice"])
    submit(d, f'{family} li[data-sharee="bob"] form[action$="/revoke"] button')
    assert not d.find_elements(By.CSS_SELECTOR, f'{family} li[data-sharee="bob"]')
    submit(d, "#logout")

    log_in(d, base, "bob", srv.users["bob"])
    assert not d.find_elements(By.CSS_SELECTOR, '[data-id="alice--family"]')
    assert "alice--family" not in d.page_source
    assert view not in home_members(srv, "bob")
