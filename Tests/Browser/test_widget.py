"""The embeddable widget on a stranger's page: a host page on its own origin, served with a strict CSP."""

import gzip
import http.server
import re
import threading
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import free_port, make_driver
from harness import emulate_phone, screenshot, wait_until

NONCE = "t3st-n0nce-4b1d"

# The host page allows only scripts carrying its nonce and frames from Baton: no inline script without the
# nonce, no eval, no inline styles, no connections of its own.
CSP = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' {baton}; frame-src {baton}; "
       "connect-src 'none'; base-uri 'none'; form-action 'none'")

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A shop</title>
<script nonce="{nonce}">
  // What a site does before the widget has loaded: subscribe and queue commands.
  window.seen = [];
  window.csp = [];
  document.addEventListener('securitypolicyviolation', (e) => csp.push(e.violatedDirective + ' ' + e.blockedURI));
  for (const name of ['ready', 'opened', 'closed', 'message', 'retract', 'handover', 'connected', 'deleted']) {{
    addEventListener('baton:' + name, (e) => seen.push([name, e.detail === undefined ? null : e.detail]));
  }}
  window.Baton = window.Baton || function () {{ (Baton.q = Baton.q || []).push(arguments); }};
  window.BatonQueue = window.BatonQueue || [];
  {before}
</script>
<script nonce="{nonce}" src="{baton}/widget.js" data-endpoint="demo" {attributes} async></script>
</head>
<body><h1>Welcome to the shop</h1><p>Some content of the host page.</p><button id="host-button">A host button</button></body></html>
"""


class HostSite:
    """A tiny http.server on its own loopback port: the site that embeds the widget."""

    def __init__(self, baton):
        self.baton, self.pages = baton, {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", CSP.format(nonce=NONCE, baton=site.baton))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, name, attributes="", before="", lang="en"):
        self.pages[f"/{name}.html"] = PAGE.format(nonce=NONCE, baton=self.baton, attributes=attributes, before=before, lang=lang)
        return f"{self.base}/{name}.html"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def site(demo):
    s = HostSite(demo.base)
    yield s
    s.close()


class Widget:
    """The widget as the host page holds it (its launcher lives in a shadow root, the chat in an iframe)."""

    def __init__(self, driver):
        self.driver = driver

    def load(self, url):
        self.driver.get(url)
        wait_until(lambda: self.js("return !!(window.Baton && Baton.version)"), 15, "the widget script")
        return self

    def js(self, code, *args):
        return self.driver.execute_script(code, *args)

    def launcher(self):
        return self.js("return document.getElementById('baton-widget').shadowRoot.querySelector('.launcher')")

    def panel(self):
        return self.js("return document.getElementById('baton-widget').shadowRoot.querySelector('.panel')")

    def frame(self):
        return self.js("return document.getElementById('baton-widget').shadowRoot.querySelector('iframe')")

    def seen(self, name):
        return [detail for event, detail in self.js("return window.seen") if event == name]

    def storage(self):
        """Everything this document has stored: cookies, localStorage and sessionStorage."""
        return self.js("return [document.cookie, {...localStorage}, {...sessionStorage}]")

    def in_chat(self, fn):
        """Runs `fn` inside the chat frame."""
        self.driver.switch_to.frame(self.frame())
        try:
            return fn()
        finally:
            self.driver.switch_to.default_content()

    def chat_text(self):
        return self.in_chat(lambda: self.driver.find_element(By.ID, "baton-log").text)

    def console(self):
        return [e["message"] for e in self.driver.get_log("browser")]

    def wait_chat(self, fragment, timeout=15):
        wait_until(lambda: fragment in self.chat_text(), timeout, f"{fragment!r} in the chat")

    def assert_no_csp_violations(self):
        assert self.js("return window.csp") == []
        logs = [e["message"] for e in self.driver.get_log("browser") if "Content Security Policy" in e["message"]]
        assert logs == [], logs


@pytest.fixture
def widget(driver):
    return Widget(driver)


def test_widget_is_one_small_script_of_our_own(demo):
    with urllib.request.urlopen(f"{demo.base}/widget.js", timeout=10) as response:
        source = response.read()
        assert response.headers["Content-Type"].startswith("text/javascript")
    size = len(gzip.compress(source, 9))
    assert size < 30 * 1024, f"widget.js is {size} bytes gzipped"
    text = source.decode()
    assert not re.search(r"\beval\s*\(|new Function\s*\(|setTimeout\(\s*['\"]", text), "no eval of any kind"
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text.split("'use strict';", 1)[1]), "no third-party URL in the code"


def test_launcher_opens_a_working_chat_under_a_strict_csp_and_nothing_is_stored_before_the_user_writes(site, widget):
    driver = widget.driver
    widget.load(site.page("shop", 'data-title="Shop help" data-color="#b0126f" data-position="left"'))
    wait_until(lambda: widget.seen("ready"), 10, "the ready event")
    launcher = widget.launcher()
    assert launcher.get_attribute("aria-label") == "Open chat: Shop help"
    assert launcher.get_attribute("aria-expanded") == "false"
    assert widget.js("return getComputedStyle(arguments[0]).backgroundColor", launcher) == "rgb(176, 18, 111)"
    assert launcher.rect["x"] < 100, "data-position=left puts the launcher on the left"
    assert widget.frame() is None, "no chat frame before the chat is used"
    assert widget.storage() == ["", {}, {}]
    screenshot(driver, "11-widget-closed")

    launcher.click()
    assert widget.panel().is_displayed() and launcher.get_attribute("aria-expanded") == "true"
    widget.wait_chat("What's your name?")
    assert widget.in_chat(lambda: driver.find_element(By.ID, "baton-title").text) == "Shop help"
    # Opened and greeted, but the user has not written anything: nothing stored, on either origin.
    assert widget.storage() == ["", {}, {}]
    assert widget.in_chat(lambda: widget.js("return [document.cookie, localStorage.length, sessionStorage.length]")) == ["", 0, 0]

    # The first thing the user types is the interaction that lets the chat remember them.
    widget.in_chat(lambda: driver.find_element(By.ID, "baton-input").send_keys("Ada", Keys.ENTER))
    widget.wait_chat("Nice to meet you, Ada!")
    assert widget.in_chat(lambda: widget.js("return localStorage.getItem('baton.session.demo')")).startswith("s_")
    assert widget.storage()[1] == {"baton.widget.demo": "1"}
    screenshot(driver, "12-widget-open")
    widget.assert_no_csp_violations()

    # Another page of the same site: the panel is open again, with the conversation in it.
    widget.load(site.page("other"))
    wait_until(lambda: widget.js("return Baton.isOpen"), 10, "the panel to reopen on the next page")
    widget.wait_chat("Nice to meet you, Ada!")
    widget.assert_no_csp_violations()


def test_a_spanish_page_gets_the_chat_in_spanish(site, widget):
    """The host page's `lang` (a data-language on the script tag would win) picks the launcher's and the chat's words."""
    widget.load(site.page("tienda", 'data-title="Ayuda"', lang="es"))
    wait_until(lambda: widget.seen("ready"), 10, "the ready event")
    launcher = widget.launcher()
    assert launcher.get_attribute("aria-label") == "Abrir el chat: Ayuda"
    launcher.click()
    widget.wait_chat("What's your name?")
    said = widget.in_chat(lambda: widget.js("return [document.documentElement.lang, document.getElementById('baton-input').placeholder]"))
    assert said == ["es", "Escribe un mensaje…"], said
    assert launcher.get_attribute("aria-label") == "Cerrar el chat: Ayuda"
    widget.assert_no_csp_violations()


def delete_conversation(widget):
    """Baton.deleteConversation(), awaited: {"ok": True}, or the rejection's code and message."""
    return widget.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Baton.deleteConversation().then(() => done({ ok: true }), (e) => done({ ok: false, code: e.code, message: e.message }));""")


def test_api_commands_queued_before_load_events_and_handover_state(site, widget, demo):
    before = """
      BatonQueue.push(['on', 'ready', () => seen.push(['queued-ready', null])]);
      Baton('on', 'message', (m) => seen.push(['queued-message', m.sender + ': ' + m.text]));
      BatonQueue.push(['open']);"""
    widget.load(site.page("api", before=before))
    wait_until(lambda: widget.seen("queued-ready"), 10, "the queued ready handler")
    wait_until(lambda: widget.js("return Baton.isOpen"), 10, "the queued open")
    assert len(widget.seen("opened")) == 1

    widget.js("Baton.open(); Baton.open()")
    assert len(widget.seen("opened")) == 1, "open is idempotent"
    widget.js("Baton.close()")
    assert not widget.panel().is_displayed() and len(widget.seen("closed")) == 1
    widget.js("Baton.toggle()")
    assert widget.panel().is_displayed() and len(widget.seen("opened")) == 2

    widget.wait_chat("What's your name?")
    widget.js("Baton.sendMessage('Grace')")
    wait_until(lambda: "bot: Nice to meet you, Grace! What would you like to see?" in widget.seen("queued-message"), 15, "message events")
    assert "user: Grace" in widget.seen("queued-message")

    widget.js("Baton.sendMessage('agent')")
    wait_until(lambda: any(h["phase"] == "active" for h in widget.seen("handover")), 20, "the handover to be active")
    phases = [h["phase"] for h in widget.seen("handover")]
    assert phases[0] is None and "opening" in phases, phases
    session = widget.in_chat(lambda: widget.js("return localStorage.getItem('baton.session.demo')"))
    conversation = demo.agent.conversation_for(session)

    # While the panel is closed, agent replies count on the launcher's badge.
    widget.js("Baton.close()")
    mistaken = demo.agent.reply(conversation, "Hello Grace, Marla here.")
    demo.agent.reply(conversation, "Hello Grace, Maria here.")
    wait_until(lambda: len([m for m in widget.seen("message") if m.get("sender") == "agent"]) == 2, 15, "the agent's message events")
    badge = widget.js("return document.getElementById('baton-widget').shadowRoot.querySelector('.badge')")
    assert badge.text == "2" and "2 new" in widget.launcher().get_attribute("aria-label")
    # The agent deletes the first: the page hears which message was taken back, and it is no longer news.
    demo.agent.request("DELETE", f"/conversations/{conversation}/messages/{mistaken['id']}")
    wait_until(lambda: widget.seen("retract"), 15, "the retract event")
    first_id = next(m["id"] for m in widget.seen("message") if m.get("text") == "Hello Grace, Marla here.")
    assert widget.seen("retract") == [{"id": first_id}]
    assert badge.text == "1" and "1 new" in widget.launcher().get_attribute("aria-label")
    screenshot(widget.driver, "13-widget-unread")

    # The demo reports the replies users see: one that came while the panel was closed is read once it opens.
    def maria():
        return next(m for m in demo.agent.messages(conversation) if m.get("content") == "Hello Grace, Maria here.")
    assert maria()["status"] != "read"
    widget.js("Baton.open()")
    wait_until(lambda: maria()["status"] == "read", 15, "the reply read once the panel shows it")

    # deleteConversation(): refused while an agent has the user, with the server's code; done once they resolved.
    refused = delete_conversation(widget)
    assert refused == {"ok": False, "code": "handover_in_progress", "message": refused["message"]} and "agent" in refused["message"], refused
    demo.agent.resolve(conversation)
    wait_until(lambda: widget.seen("handover")[-1]["phase"] == "resolved", 15, "the handover to end")
    assert delete_conversation(widget) == {"ok": True}
    assert len(widget.seen("deleted")) == 1
    wait_until(lambda: "Grace" not in widget.chat_text() and "What's your name?" in widget.chat_text(), 15, "a new conversation in the chat")
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{demo.base}/api/v1/endpoints/demo/sessions/{session}/messages", timeout=10)
    assert gone.value.code == 404, "the session is gone from the server"
    widget.assert_no_csp_violations()

    # reset(): a new visitor from here on (e.g. after logout), whose messages the page hears of too, though
    # their ids are the ones the first conversation's had.
    widget.js("Baton.open(); Baton.reset()")
    wait_until(lambda: "Grace" not in widget.chat_text() and "What's your name?" in widget.chat_text(), 15, "a fresh conversation")
    assert widget.storage()[1] == {}
    widget.js("Baton.sendMessage('Ada')")
    wait_until(lambda: "bot: Nice to meet you, Ada! What would you like to see?" in widget.seen("queued-message"), 15,
               "the new conversation's message events")


def test_keyboard_escape_closes_and_returns_focus_to_the_launcher(site, widget):
    driver = widget.driver
    widget.load(site.page("keys"))
    widget.launcher().send_keys(Keys.ENTER)
    widget.wait_chat("What's your name?")
    wait_until(lambda: widget.in_chat(lambda: widget.js("return document.activeElement.id")) == "baton-input", 10, "focus in the chat")
    widget.in_chat(lambda: driver.switch_to.active_element.send_keys(Keys.ESCAPE))
    wait_until(lambda: not widget.js("return Baton.isOpen"), 10, "Escape to close the panel")
    assert widget.js("return document.activeElement.id") == "baton-widget"
    assert widget.js("return document.getElementById('baton-widget').shadowRoot.activeElement.className") == "launcher"


def test_mobile_width_full_screen_panel(demo, workdir):
    driver = make_driver()
    emulate_phone(driver)
    site = HostSite(demo.base)
    try:
        widget = Widget(driver)
        widget.load(site.page("phone", 'data-title="Help"'))
        widget.launcher().click()
        widget.wait_chat("What's your name?")
        panel = widget.panel().rect
        width, height = widget.js("return [innerWidth, innerHeight]")
        assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, width, height)
        assert not widget.launcher().is_displayed(), "the panel's own close button replaces the launcher"
        screenshot(driver, "14-widget-phone")
        widget.in_chat(lambda: driver.find_element(By.ID, "baton-close").click())
        wait_until(lambda: not widget.js("return Baton.isOpen"), 10, "the close button to close the panel")
        assert widget.launcher().is_displayed()
    finally:
        site.close()
        driver.quit()
