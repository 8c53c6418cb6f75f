"""Accessibility: axe-core finds no serious or critical problem, and the chat works from the keyboard alone."""

from pathlib import Path

import axe_playwright_python
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import emulate_phone, png, pdf, screenshot, talk_to_agent, wait_until


# axe-selenium-python runs axe; the axe-core it bundles is years old, so the current one is taken from
# axe-playwright-python's package (installed without Playwright: only this file is used).
AXE_JS = str(Path(axe_playwright_python.__file__).parent / "axe.min.js")


def assert_axe_clean(driver, context=None, what="the page"):
    axe = Axe(driver, script_url=AXE_JS)
    axe.inject()
    results = axe.run(context=context)
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe found problems in {what}:\n" + axe.report(bad)


def focus_ring(driver):
    """The focused element and whether it shows a visible focus indicator (an outline or a ring)."""
    return driver.execute_script("""
        const e = document.activeElement, s = getComputedStyle(e);
        const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        return [e.id || e.className || e.tagName, outline || s.boxShadow !== 'none'];""")


def test_axe_finds_nothing_serious_in_any_state_of_the_page(stack, chat):
    driver = chat.driver
    chat.open(stack.base)
    chat.wait_text("What's your name?", "bot")
    assert_axe_clean(driver, what="the greeting")

    chat.send("Ada")
    chat.quick_reply("Talk to a human")
    chat.wait_text("An agent will reply here shortly", "bot", timeout=20)
    conversation = stack.agent.conversation_for(chat.session())
    stack.agent.reply(conversation, "Hello **Ada**, see [the docs](https://example.com/docs)")
    stack.agent.reply(conversation, "Files:", files=[("a.png", "image/png", png()), ("terms.pdf", "application/pdf", pdf())])
    chat.wait_text("terms.pdf", "agent")
    assert_axe_clean(driver, what="a handover with agent replies")

    # Phone width, dark mode: contrast and layout rules still hold.
    emulate_phone(driver)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    # Colours change through short CSS transitions; axe must see the end state, not a mix.
    wait_until(lambda: driver.execute_script(
        "return document.getAnimations().filter(a => a instanceof CSSTransition).length === 0"), 5, "colour transitions to end")
    assert_axe_clean(driver, what="the page at phone width in dark mode")
    screenshot(driver, "09-mobile-dark")


def test_the_conversation_is_announced_and_controls_are_labelled(demo, chat):
    chat.open(demo.base)
    log = chat.driver.find_element(By.ID, "baton-log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert chat.driver.find_element(By.CSS_SELECTOR, "label[for='baton-input']").get_attribute("textContent") == "Message"
    assert chat.driver.find_element(By.ID, "baton-send").get_attribute("aria-label") == "Send message"


def test_keyboard_only_with_visible_focus(demo, chat):
    driver = chat.driver
    chat.open(demo.base)
    chat.wait_text("What's your name?", "bot")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    # The first stop is the header's "Delete conversation" (it asks before it deletes), the next the message box;
    # typing and Enter send.
    assert focus_ring(driver) == ["baton-delete", True]
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert focus_ring(driver) == ["baton-input", True]
    driver.switch_to.active_element.send_keys("Ada", Keys.ENTER)
    chat.wait_text("Nice to meet you, Ada!", "bot")

    # Shift+Tab from the message box reaches the quick replies; each shows where the focus is; Enter picks one.
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".baton-quick-reply"), 10, "quick replies")
    seen = []
    for _ in range(6):
        driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        name, visible = focus_ring(driver)
        assert visible, f"{name} has no visible focus"
        seen.append(driver.switch_to.active_element.text)
        if seen[-1] == "A quiz":
            break
    assert "A quiz" in seen, f"the quick replies are not reachable by keyboard: {seen}"
    screenshot(driver, "10-keyboard-focus")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    chat.wait_text("how many minutes are in two hours?", "bot")
