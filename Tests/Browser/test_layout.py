"""The page itself never scrolls, on a desktop or a phone, in any state: only the message list does.

A regression test for the typing label, an absolutely positioned screen-reader text whose containing block was
outside the scrolling list: whenever the typing dots showed, the document grew past the viewport (to 2,780 px on a
phone) and could be scrolled down to a blank page.
"""

import pytest
from selenium.webdriver.common.by import By

from harness import emulate_phone, png, screenshot, talk_to_agent, wait_until

# How far the document can scroll, after trying: [height, width, viewport height, viewport width] when it can.
PAGE_SCROLL = """
const doc = document.scrollingElement || document.documentElement;
window.scrollTo(doc.scrollWidth, doc.scrollHeight);
const moved = window.scrollX !== 0 || window.scrollY !== 0;
const over = doc.scrollHeight > window.innerHeight || doc.scrollWidth > window.innerWidth;
window.scrollTo(0, 0);
return moved || over ? [doc.scrollHeight, doc.scrollWidth, window.innerHeight, window.innerWidth] : null;
"""
VISIBLE_TIMES = """return [...document.querySelectorAll(`#baton-log .baton-message[data-sender='${arguments[0]}'] time`)]
  .filter(t => t.offsetParent !== null).length;"""
LIST_SCROLLS = "const s = document.getElementById('baton-scroll'); return s.scrollHeight > s.clientHeight;"


def assert_page_stays(driver, state):
    assert driver.execute_script(PAGE_SCROLL) is None, f"the page itself scrolls while {state}"


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_only_the_message_list_scrolls_in_every_state(demo, chat, phone):
    driver = chat.driver
    if phone:
        emulate_phone(driver)
    device = "phone" if phone else "desktop"
    chat.open(demo.base)
    chat.wait_text("I'm Baton", "bot")
    assert_page_stays(driver, "the greeting shows")
    # While the bot has the user, the line under the title is the endpoint's subtitle.
    assert driver.find_element(By.ID, "baton-status-text").text == "A bot, with humans one click away"

    talk_to_agent(chat)
    assert_page_stays(driver, "a handover is open")
    screenshot(driver, f"layout-{device}-handover")

    # A long conversation with media: the list overflows and scrolls, the page does not.
    conversation = demo.agent.conversation_for(chat.session())
    for line in range(14):
        demo.agent.reply(conversation, f"Line {line + 1} of a long answer.")
    demo.agent.reply(conversation, "A picture:", files=[("diagram.png", "image/png", png())])
    row = chat.wait_text("A picture:", "agent")
    wait_until(lambda: driver.execute_script("return [...arguments[0].querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)", row),
               15, "the picture to load")
    assert driver.execute_script(LIST_SCROLLS), "the message list holds more than it shows"
    assert_page_stays(driver, "media are shown")
    # One agent's replies within minutes are a group: the name on the first, the time once, under the last.
    assert driver.execute_script(VISIBLE_TIMES, "agent") == 1
    assert driver.execute_script(VISIBLE_TIMES, "bot") == 3, "one per bot group: the greeting, each answer to the user"

    demo.agent.typing(conversation, True)
    wait_until(lambda: driver.find_element(By.ID, "baton-typing").is_displayed(), 15, "the typing dots")
    assert_page_stays(driver, "the agent is typing")
    screenshot(driver, f"layout-{device}-typing")

    # A notice over the list (a message too long to send).
    driver.execute_script("const box = document.getElementById('baton-input'); box.value = 'x'.repeat(5000);"
                          "box.dispatchEvent(new Event('input', {bubbles: true}));"
                          "document.getElementById('baton-composer').requestSubmit();")
    wait_until(lambda: driver.find_element(By.ID, "baton-notice").is_displayed(), 15, "the notice")
    assert_page_stays(driver, "a notice shows")
