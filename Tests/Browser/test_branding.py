"""An endpoint's branding from its config: on its page, and as the widget's defaults on a host page."""
import pytest

from conftest import Stack
from harness import screenshot, wait_until
from test_widget import HostSite, Widget

BRANDING = ', title: "Acme Help", subtitle: "We answer within minutes", color: "#0f766e", textColor: "#ffffff", position: left'


@pytest.fixture
def branded(workdir):
    s = Stack(workdir, webchat_settings=BRANDING).start()
    yield s
    s.stop()


def accent(driver):
    return driver.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--baton-accent').trim()")


def test_the_page_takes_the_endpoints_title_and_colours(branded, chat):
    chat.open(branded.base)
    wait_until(lambda: chat.driver.find_element("id", "baton-title").text == "Acme Help", 10, "the configured title")
    assert chat.driver.title == "Acme Help"
    assert accent(chat.driver) == "#0f766e"
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    row = chat.wait_text("Ada", "user")
    bubble = row.find_element("css selector", ".baton-bubble")
    assert bubble.value_of_css_property("background-color") == "rgba(15, 118, 110, 1)"
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
