"""An endpoint's branding from its config: on its page, and as the widget's defaults on a host page."""
import http.server
import struct
import threading
import zlib

import pytest

from conftest import Stack, free_port
from harness import screenshot, wait_until
from test_widget import HostSite, Widget

BRANDING = ', title: "Acme Help", subtitle: "We answer within minutes", color: "#0f766e", textColor: "#ffffff", position: left'


def png(width, height, rgb):
    """A one-colour PNG, written with zlib alone."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class ImageHost:
    """Where the endpoint's pictures live (a CDN, the company's site): one PNG at /bot.png on its own loopback port."""

    def __init__(self):
        body = png(32, 32, (245, 158, 11))

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.bot = f"http://127.0.0.1:{self.server.server_port}/bot.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def images():
    host = ImageHost()
    yield host
    host.close()


@pytest.fixture
def branded(workdir, images):
    s = Stack(workdir, webchat_settings=BRANDING + f', botAvatar: "{images.bot}"').start()
    yield s
    s.stop()


def bot_face(driver):
    """The loaded picture beside the bot's latest message, or its letter."""
    return driver.execute_script(
        "const rows = document.querySelectorAll('#baton-log .baton-message--bot'); const f = rows[rows.length - 1].querySelector('.baton-message-avatar');"
        "const img = f.querySelector('img'); return img ? (img.complete && img.naturalWidth > 0 ? img.src : null) : f.textContent;")


def accent(driver):
    return driver.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--baton-accent').trim()")


def test_the_page_takes_the_endpoints_title_colours_and_bot_picture(branded, images, chat):
    chat.open(branded.base)
    wait_until(lambda: chat.driver.find_element("id", "baton-title").text == "Acme Help", 10, "the configured title")
    assert chat.driver.title == "Acme Help"
    assert accent(chat.driver) == "#0f766e"
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    row = chat.wait_text("Ada", "user")
    bubble = row.find_element("css selector", ".baton-bubble")
    assert bubble.value_of_css_property("background-color") == "rgba(15, 118, 110, 1)"
    # The bot's messages carry the configured picture.
    wait_until(lambda: bot_face(chat.driver) == images.bot, 10, "the bot's picture beside its messages")
    screenshot(chat.driver, "22-branded-page")


def test_the_widget_takes_the_endpoints_branding_unless_its_tag_says_otherwise(branded, driver):
    site = HostSite(branded.base)
    try:
        widget = Widget(driver).load(site.page("branded"))
        launcher = widget.launcher()
        assert launcher.value_of_css_property("background-color") == "rgba(15, 118, 110, 1)"
        assert launcher.get_attribute("aria-label") == "Open chat: Acme Help"
        assert widget.js("return document.getElementById('baton-widget').dataset.position") == "left"
        screenshot(driver, "23-branded-widget")
        widget.assert_no_csp_violations()
        # The tag's own attributes win.
        widget.load(site.page("own", attributes='data-color="#7c3aed" data-title="Shop chat" data-position="right"'))
        launcher = widget.launcher()
        assert launcher.value_of_css_property("background-color") == "rgba(124, 58, 237, 1)"
        assert launcher.get_attribute("aria-label") == "Open chat: Shop chat"
        assert widget.js("return document.getElementById('baton-widget').dataset.position") == "right"
    finally:
        site.close()
