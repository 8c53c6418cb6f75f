"""A language model's answer as the user sees it: typing dots, then the text growing, then the stored message,
once. The demo's assistant is the built-in model stand-in, which streams its answers piece by piece."""
from selenium.webdriver.common.by import By

from harness import screenshot, wait_until

DRAFT_JS = """
const d = document.querySelector('.baton-draft .baton-bubble');
return d ? d.textContent : null;
"""


def test_a_streamed_answer_grows_in_the_bubble_and_is_stored_once(demo, chat):
    chat.open(demo.base)
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    chat.wait_text("Nice to meet you, Ada!", "bot")
    chat.quick_reply("Ask the assistant")
    chat.wait_text("Ask the assistant anything", "bot")

    question = "What can Baton do for a support team that already runs Chatwoot for all its channels?"
    answer = "You said: " + question
    chat.send(question)

    # The draft shows part of the answer while it is written: never the whole, never something else.
    seen = []

    def growing():
        text = chat.driver.execute_script(DRAFT_JS)
        if text:
            seen.append(text)
        return len(set(seen)) >= 3 and seen[-1]
    wait_until(growing, 15, "the answer to grow in its bubble")
    screenshot(chat.driver, "20-bot-streaming")
    assert all(answer.startswith(part) for part in seen), seen
    draft = chat.driver.find_element(By.CSS_SELECTOR, ".baton-draft")
    assert draft.get_attribute("aria-hidden") == "true", "screen readers hear the stored answer, not every piece"

    # The stored answer replaces the draft, once.
    chat.wait_text(answer, "bot", timeout=20)
    wait_until(lambda: not chat.driver.find_elements(By.CSS_SELECTOR, ".baton-draft"), 5, "the draft to go")
    assert chat.texts("bot").count(answer) == 1
    screenshot(chat.driver, "21-bot-answered")
    chat.assert_no_duplicates()

    # After a reload the answer is there from the store, once.
    chat.driver.refresh()
    chat.wait_text(answer, "bot")
    assert chat.texts("bot").count(answer) == 1
