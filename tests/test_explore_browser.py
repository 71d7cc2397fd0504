"""tcpcheck explore in a real browser: Debian's chromium, headless, driven by
selenium through the system's chromedriver (nothing is downloaded: the driver's
path is given and SE_OFFLINE is set).  Skipped only when chromium or
chromedriver is absent (``apt-get install chromium chromium-driver``).

It clicks through the seed's segments 1-7 and a lost final ACK, checking what
the page shows after each click (both endpoints' states, the chart's segments,
the URL), back and forward, the reload of a shared URL, the language switch,
the search from here, and a property flagged on a mutant.  Screenshots are
kept in the test's tmp folder and copied to /tmp/explore-shots/.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                reason="needs chromium and chromium-driver (apt-get install chromium chromium-driver)")

from tcpcheck.model.cli import config_from  # noqa: E402
from tcpcheck.model.config import load_config, preset  # noqa: E402
from tcpcheck.model.explore.server import make_server  # noqa: E402
from tcpcheck.model.explore.session import Session  # noqa: E402

SHOTS = Path("/tmp/explore-shots")

#: the seed's run, as the page names its steps (data-what), and both states after each
SEED = [
    ("A: active OPEN", "SYN_SENT", "LISTEN", 1),
    ("B receives <SEQ=4294967294><CTL=SYN>: rcv SYN", "SYN_SENT", "SYN_RCVD", 2),
    ("A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>: rcv SYN,ACK", "ESTABLISHED", "SYN_RCVD", 3),
    ("A: CLOSE", "FIN_WAIT_1", "SYN_RCVD", 4),
    ("B receives <SEQ=4294967295><ACK=301><CTL=ACK>: rcv ACK of SYN", "FIN_WAIT_1", "ESTABLISHED", 4),
    ("B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>: rcv ACK; rcv FIN", "FIN_WAIT_1", "CLOSE_WAIT", 5),
    ("B: CLOSE", "FIN_WAIT_1", "LAST_ACK", 6),
    ("A receives <SEQ=301><ACK=0><CTL=ACK>: rcv ACK of FIN", "FIN_WAIT_2", "LAST_ACK", 6),
    ("A receives <SEQ=301><ACK=0><CTL=FIN,ACK>: rcv ACK; rcv FIN", "TIME_WAIT", "LAST_ACK", 7),
]
SEED_END = [
    ("B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN", "TIME_WAIT", "CLOSED", 7),
    ("A: timeout 2MSL", "CLOSED", "CLOSED", 7),
]
LOST_FINAL_ACK = [
    ("network loses <SEQ=0><ACK=302><CTL=ACK> (A->B)", "TIME_WAIT", "LAST_ACK", 7),
    ("B: retransmission timeout", "TIME_WAIT", "LAST_ACK", 8),
    ("A receives <SEQ=301><ACK=0><CTL=FIN,ACK>: rcv retransmitted FIN", "TIME_WAIT", "LAST_ACK", 9),
    ("B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN", "TIME_WAIT", "CLOSED", 9),
    ("A: timeout 2MSL", "CLOSED", "CLOSED", 9),
]


def serve(session):
    server = make_server(session, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def browser():
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager fetch a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,1100", "--lang=en-US"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore-shots")
    yield folder
    SHOTS.mkdir(parents=True, exist_ok=True)
    for f in sorted(folder.glob("*.png")):
        shutil.copy(f, SHOTS / f.name)


class Page:
    """The explorer page in the browser, read the way a user reads it."""

    def __init__(self, driver, url):
        self.d, self.url = driver, url

    def wait(self, fragment=None):
        from selenium.webdriver.support.ui import WebDriverWait

        def ready(d):
            r = d.execute_script("return document.body.dataset.ready || ''")
            return r and r != "error" and (fragment is None or r == fragment) and r

        return WebDriverWait(self.d, 20).until(ready)

    def open(self, fragment=""):
        self.d.get(self.url + fragment)
        return self.wait(fragment or None)

    def js(self, script):
        return self.d.execute_script(script)

    def states(self):
        return tuple(self.js(f"return document.querySelector('#state-{w} .state-name').textContent")
                     for w in "AB")

    def segments(self):
        """The chart's segment arrows (msc.py names them seg1, seg2, ...)."""
        return self.js("return [...document.querySelectorAll('#chart svg g[id]')]"
                       ".filter(g => /^seg[0-9]+$/.test(g.id)).length")

    def steps(self):
        return self.js("return [...document.querySelectorAll('#enabled button.step')].map(b => b.dataset.what)")

    def click(self, what):
        before = self.js("return location.hash")
        buttons = [b for b in self.d.find_elements("css selector", "#enabled button.step")
                   if b.get_attribute("data-what") == what]
        assert buttons, f"no step '{what}' enabled; the page offers {self.steps()}"
        buttons[0].click()
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(self.d, 20).until(lambda d: d.execute_script(
            "return location.hash !== arguments[0] && document.body.dataset.ready === location.hash", before))

    def hash(self):
        return self.js("return location.hash")

    def run(self):
        return self.hash().split("&")[0].removeprefix("#run=")


def walk(page, steps):
    for what, a, b, segments in steps:
        page.click(what)
        assert page.states() == (a, b), what
        assert page.segments() == segments, what


def test_the_seed_click_by_click_back_forward_reload_and_language(browser, shots):
    server, url = serve(Session(preset("seed")))
    try:
        page = Page(browser, url)
        page.open()
        assert page.hash() == ""  # the page opens at the start without a run in the URL
        assert page.states() == ("CLOSED", "LISTEN") and page.segments() == 0
        assert page.steps() == ["A: active OPEN"]
        walk(page, SEED)
        browser.save_screenshot(str(shots / "seed-7-segments.png"))
        walk(page, SEED_END)
        assert page.hash() == "#run=0,0,0,0,0,0,0,0,0,0,0&lang=en"
        assert page.steps() == []
        assert page.js("return document.getElementById('end-note').textContent").startswith(
            "Nothing can happen any more. This is an acceptable end")
        assert page.js("return document.querySelectorAll('#run-list li').length") == 12
        assert page.js("return document.querySelectorAll('#flagged li.bad').length") == 0
        browser.save_screenshot(str(shots / "seed-closed.png"))

        browser.back()  # the browser's own back: the step before 2MSL
        assert page.wait("#run=0,0,0,0,0,0,0,0,0,0&lang=en")
        assert page.states() == ("TIME_WAIT", "CLOSED")
        page.js("document.getElementById('btn-back').click()")  # the page's back button
        assert page.wait("#run=0,0,0,0,0,0,0,0,0&lang=en")
        assert page.states() == ("TIME_WAIT", "LAST_ACK")
        browser.forward()
        assert page.wait("#run=0,0,0,0,0,0,0,0,0,0&lang=en")
        page.js("document.getElementById('btn-forward').click()")
        assert page.wait("#run=0,0,0,0,0,0,0,0,0,0,0&lang=en")
        assert page.states() == ("CLOSED", "CLOSED")
        page.js("document.getElementById('btn-undo').click()")
        assert page.wait("#run=0,0,0,0,0,0,0,0,0,0&lang=en")

        # a shared URL, loaded afresh, shows the same run
        shared = url + "#run=0,0,0,0,0,0&lang=en"
        browser.get("about:blank")
        browser.get(shared)
        page.wait("#run=0,0,0,0,0,0&lang=en")
        assert page.states() == ("FIN_WAIT_1", "CLOSE_WAIT") and page.segments() == 5
        browser.refresh()
        page.wait("#run=0,0,0,0,0,0&lang=en")
        assert page.states() == ("FIN_WAIT_1", "CLOSE_WAIT")

        # the language switch: the page's words and the steps in Chinese, state names as the RFC's
        page.js("document.getElementById('lang-zh').click()")
        page.wait("#run=0,0,0,0,0,0&lang=zh")
        assert page.js("return document.querySelector('#left h2').textContent") == "当前状态"
        assert page.js("return document.getElementById('btn-back').textContent") == "后退"
        assert page.js("return document.querySelector('#enabled .what').textContent") == "B：关闭"
        assert page.js("return document.documentElement.lang") == "zh-CN"
        assert page.states() == ("FIN_WAIT_1", "CLOSE_WAIT")
        assert page.steps()[0] == "B: CLOSE"  # what the test clicks stays the same
        browser.save_screenshot(str(shots / "seed-zh.png"))
        page.js("document.getElementById('lang-en').click()")
        page.wait("#run=0,0,0,0,0,0&lang=en")
        assert page.js("return document.querySelector('#left h2').textContent") == "Current state"

        # what can happen from here, and going there
        page.open("#run=0&lang=en")
        page.js("document.getElementById('reach-btn').click()")
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(browser, 20).until(lambda d: d.find_elements("css selector", "#reach-table"))
        assert page.js("return document.querySelector('#reach p').textContent") == (
            "13 states reachable from here, 0 of them deadlocks, 1 where nothing can happen.")
        rows = page.js("return [...document.querySelectorAll('#reach-table tr')].slice(1)"
                       ".map(r => [...r.children].map(c => c.textContent))")
        assert rows[:3] == [["CLOSED", "10", "9"], ["LISTEN", "no", "0"], ["SYN_SENT", "0", "no"]]
        assert len(rows) == 11
        browser.save_screenshot(str(shots / "seed-reach.png"))
        page.js("document.querySelectorAll('#reach-table tr')[9].children[1].querySelector('a').click()")
        page.wait("#run=0,0,0,0,0,0,0,0,0&lang=en")
        assert page.states() == ("TIME_WAIT", "LAST_ACK")
    finally:
        server.shutdown()
        server.server_close()


def test_a_lost_final_ack_is_retransmitted_and_acknowledged_again(browser, shots, tmp_path):
    f = tmp_path / "lossy-seed.toml"
    f.write_text('preset = "seed"\n[network]\nloss = true\n', encoding="utf-8")
    server, url = serve(Session(load_config(f)))
    try:
        page = Page(browser, url)
        page.open()
        walk(page, SEED)
        assert "network loses <SEQ=0><ACK=302><CTL=ACK> (A->B)" in page.steps()
        walk(page, LOST_FINAL_ACK[:1])
        assert page.js("return document.querySelector('#flight-AB .none') !== null")  # the ACK is gone
        walk(page, LOST_FINAL_ACK[1:2])
        assert page.js("return [...document.querySelectorAll('#flight-BA code')].map(c => c.textContent)") == [
            "<SEQ=301><ACK=0><CTL=FIN,ACK>"]
        walk(page, LOST_FINAL_ACK[2:])
        assert page.run() == "0,0,0,0,0,0,0,0,0,1,1,0,0,0"
        assert page.js("return [...document.querySelectorAll('#chart svg g.segment.lost')].map(g => g.id)") == ["seg7"]
        assert page.js("return document.querySelectorAll('#flagged li.bad').length") == 0
        browser.save_screenshot(str(shots / "lost-final-ack.png"))
    finally:
        server.shutdown()
        server.server_close()


def test_a_mutant_s_broken_invariant_is_flagged_as_it_happens(browser, shots):
    cfg, table = config_from(mutant="syn-counted-twice")
    server, url = serve(Session(cfg, table))
    try:
        page = Page(browser, url)
        page.open()
        page.click("A: active OPEN")
        assert page.js("return document.querySelectorAll('#flagged li.bad').length") == 0
        page.click("B receives <SEQ=4294967294><CTL=SYN>: rcv SYN")
        assert page.js("return [...document.querySelectorAll('#flagged li.bad')].map(li => li.textContent)") == [
            "[INV1] no acknowledgment of unsent data \u2014 at step 2: "
            "B.RCV.NXT=0 acknowledges beyond A.SND.NXT=4294967295"]
        assert page.js("return [...document.querySelectorAll('#run-list li')].map(li => li.className)") == [
            "", "", "flagged"]
        browser.save_screenshot(str(shots / "mutant-flagged.png"))
        # check's counterexample opens as a run from the page
        page.open("#run=&lang=en")
        page.js("document.getElementById('check-btn').click()")
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(browser, 30).until(lambda d: d.find_elements("css selector", "#check-list li[data-id]"))
        page.js("document.querySelector('#check-list li[data-id=INV1] a.open-run').click()")
        page.wait("#run=0,0&lang=en")
        assert page.js("return document.querySelector('#check-list li[data-id=INV1] .verdict').textContent") == \
            "violated"
        assert page.js("return document.querySelector('#flagged li.bad').dataset.id") == "INV1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_bad_url_shows_only_the_error_and_the_note_follows_the_language(browser, shots):
    """A URL whose run is not a run of the model (shared from another configuration, or typed)
    shows the error alone: the state and steps of the run shown before are not left on the page
    as if they were this URL's.  The configuration's note switches language with the page."""
    server, url = serve(Session(preset("seed")))
    try:
        page = Page(browser, url)
        page.open("#run=0,0,0&lang=en")
        assert page.states() == ("ESTABLISHED", "SYN_RCVD")
        shown = "return !document.querySelector('main').hidden && document.querySelector('main').offsetHeight > 0"
        assert page.js(shown)
        for fragment, error in [
                ("#run=0,0,0,99&lang=en", "Error: run: step 4 is 99, but from there only 2 step(s) are enabled "
                                          "(0 to 1) Start again"),
                ("#run=abc&lang=en", "Error: run: expected step numbers separated by commas, like 3,0,2 "
                                     "(at most 500), not 'abc' Start again"),
                ("#run=0&lang=fr", "Error: lang: expected one of en, zh, not 'fr' Start again")]:
            page.js(f"location.hash = '{fragment}'")
            from selenium.webdriver.support.ui import WebDriverWait
            WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready") == "error")
            assert page.js("return document.getElementById('error').textContent") == error
            assert not page.js(shown), fragment
            assert page.js("return document.querySelector('main').offsetHeight") == 0
        browser.save_screenshot(str(shots / "bad-url.png"))
        page.js("document.querySelector('#error a').click()")  # Start again
        page.wait("#run=&lang=en")
        assert page.js(shown) and page.states() == ("CLOSED", "LISTEN")

        note = "return document.getElementById('config-note').textContent"
        assert page.js(note) == ("(the seed note's exchange: the server already listens, no data, the client "
                                 "closes first, no faults)")
        page.js("document.getElementById('lang-zh').click()")
        page.wait("#run=&lang=zh")
        assert page.js(note) == "(种子笔记中的交互：服务器已在监听，没有数据，客户端先关闭，网络无故障)"
        assert page.js("return document.getElementById('config-note').title").startswith("网络：")
        page.js("document.getElementById('lang-en').click()")
        page.wait("#run=&lang=en")
        assert page.js(note).startswith("(the seed note's exchange")
    finally:
        server.shutdown()
        server.server_close()


def test_a_fresh_load_with_an_unknown_language_says_so(browser):
    """Opened afresh (a shared or typed URL), a URL in a language the server does not speak
    showed an empty page with no error: the session it asks for first was refused unseen."""
    server, url = serve(Session(preset("seed")))
    try:
        page = Page(browser, url)
        browser.get("about:blank")
        browser.get(url + "#run=0&lang=fr")
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready") == "error")
        assert page.js("return document.getElementById('error').textContent") == (
            "Error: lang: expected one of en, zh, not 'fr' Start again")
        assert page.js("return document.getElementById('config-name').textContent") == "seed"
        assert page.js("return document.querySelector('main').offsetHeight") == 0
        page.js("document.querySelector('#error a').click()")
        page.wait("#run=&lang=en")
        assert page.states() == ("CLOSED", "LISTEN")
    finally:
        server.shutdown()
        server.server_close()
