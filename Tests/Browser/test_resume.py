"""Resuming without loss: a page reload, a network drop while the agent keeps writing, and a Baton restart.

After each, every message is shown exactly once and in order (ids 1…n with no gap), what the user typed
while cut off reaches the agent exactly once, and what the agent deleted meanwhile is shown as deleted. And when
Chatwoot stays down past the delivery budget, the user sees which message the agents never got, and can send it again.
And when an operator erases the session while its page is open, the page starts a new one and sends the message there;
and a user deletes their conversation from the page themselves.
"""

import urllib.error
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import Stack
from harness import screenshot, talk_to_agent, wait_until


def shown(chat, text, sender):
    return sum(1 for r in chat.rows() if r["sender"] == sender and r["text"] == text)


def wait_shown_once(chat, text, sender="agent", timeout=30):
    wait_until(lambda: shown(chat, text, sender) == 1, timeout, f"{text!r} shown once")


def test_reload_shows_the_same_transcript_once(stack, chat):
    chat.open(stack.base)
    talk_to_agent(chat)
    conversation = stack.agent.conversation_for(chat.session())
    for text in ("First answer", "Second answer"):
        stack.agent.reply(conversation, text)
        wait_shown_once(chat, text)
    before = chat.assert_no_duplicates()

    chat.driver.refresh()
    chat.wait_online()
    chat.wait_rows(lambda rows: len(rows) == len(before), message="the transcript after the reload")
    after = chat.assert_no_duplicates()
    assert [(r["id"], r["sender"], r["text"]) for r in after] == [(r["id"], r["sender"], r["text"]) for r in before]

    # The conversation goes on where it was: the agent still has the user.
    chat.send("Still there?")
    wait_until(lambda: stack.agent.incoming_texts(conversation).count("Still there?") == 1, 15, "the message in Chatwoot")


def test_network_drop_while_the_agent_keeps_writing(stack, chat):
    chat.open(stack.base)
    talk_to_agent(chat)
    conversation = stack.agent.conversation_for(chat.session())
    mistaken = stack.agent.reply(conversation, "Sent by mistake")
    stack.agent.reply(conversation, "Before the drop")
    wait_shown_once(chat, "Before the drop")

    chat.go_offline()
    wait_until(lambda: chat.state() == "reconnecting", 30, "the page to notice the drop")
    for text in ("Written during the drop (1)", "Written during the drop (2)"):
        stack.agent.reply(conversation, text)
    # Older than anything the page asks for when it reconnects, yet it must not stay on the page.
    stack.agent.request("DELETE", f"/conversations/{conversation}/messages/{mistaken['id']}")
    chat.send("Typed while offline")
    screenshot(chat.driver, "06-network-drop")

    chat.go_online()
    chat.wait_online(30)
    for text in ("Written during the drop (1)", "Written during the drop (2)"):
        wait_shown_once(chat, text)
    wait_until(lambda: not any(r["pending"] for r in chat.rows()), 15, "the offline message to be confirmed")
    wait_until(lambda: stack.agent.incoming_texts(conversation).count("Typed while offline") == 1, 15, "the message in Chatwoot")
    stack.agent.reply(conversation, "After the drop")
    wait_shown_once(chat, "After the drop")
    screenshot(chat.driver, "06b-after-the-drop")
    rows = chat.assert_no_duplicates()
    assert shown(chat, "Typed while offline", "user") == 1
    agent = [(r["text"], r["deleted"]) for r in rows if r["sender"] == "agent"]
    assert agent == [("", True), ("Before the drop", False), ("Written during the drop (1)", False),
                     ("Written during the drop (2)", False), ("After the drop", False)]


def test_baton_restart_in_the_middle_of_a_handover(stack, chat):
    chat.open(stack.base)
    talk_to_agent(chat)
    conversation = stack.agent.conversation_for(chat.session())
    stack.agent.reply(conversation, "Before the restart")
    wait_shown_once(chat, "Before the restart")

    stack.baton.stop()
    wait_until(lambda: chat.state() == "reconnecting", 15, "the page to notice the server is gone")
    chat.send("Typed while the server was down")
    screenshot(chat.driver, "07-server-down")
    assert any(r["pending"] for r in chat.rows()), "the message waits, shown as sending"

    stack.start_baton()
    # The agent writes at once; the page may still be waiting out its backoff: it then arrives in the backlog.
    stack.agent.reply(conversation, "Right after the restart")
    chat.wait_online(30)
    wait_shown_once(chat, "Right after the restart")
    wait_until(lambda: not any(r["pending"] for r in chat.rows()), 15, "the message typed while down to be confirmed")
    wait_until(lambda: stack.agent.incoming_texts(conversation).count("Typed while the server was down") == 1, 15,
               "the message in Chatwoot")
    stack.agent.reply(conversation, "Later")
    wait_shown_once(chat, "Later")

    rows = chat.assert_no_duplicates()
    assert shown(chat, "Typed while the server was down", "user") == 1
    assert [r["text"] for r in rows if r["sender"] == "agent"] == ["Before the restart", "Right after the restart", "Later"]
    screenshot(chat.driver, "08-after-restart")

    # A reload after all that still shows the same, once.
    chat.driver.refresh()
    chat.wait_online()
    chat.wait_rows(lambda r: len(r) == len(rows), message="the transcript after the reload")
    assert [(r["id"], r["text"]) for r in chat.assert_no_duplicates()] == [(r["id"], r["text"]) for r in rows]


def test_a_message_the_agents_never_got_is_marked_and_can_be_sent_again(workdir, chat):
    # A delivery budget of seconds (the bot's own timeouts must fit in it), so Chatwoot's outage outlasts it.
    stack = Stack(workdir, top_settings="delivery: { giveUpAfterSeconds: 4 }",
                  assistant_settings="    timeoutSeconds: 1\n    retrySeconds: 1").start()
    try:
        chat.open(stack.base)
        talk_to_agent(chat)
        conversation = stack.agent.conversation_for(chat.session())
        wait_until(lambda: "Ada" in stack.agent.incoming_texts(conversation), 15, "the history in Chatwoot")
        stack.standin.stop()

        chat.send("My order number is 42")
        notice = chat.wait_text("could not be delivered", "system", timeout=30)
        bubble = chat.last_row("user")
        assert "is-failed" in bubble.get_attribute("class")
        assert "Not delivered" in bubble.find_element(By.CSS_SELECTOR, ".baton-meta").text
        again = notice.find_element(By.CSS_SELECTOR, ".baton-quick-reply")
        assert again.text == "Send again"
        screenshot(chat.driver, "26-undelivered")

        again.click()
        wait_until(lambda: [r["pending"] for r in chat.rows() if r["text"] == "My order number is 42"] == [False, False], 15,
                   "the message sent again and stored")
        assert not notice.find_elements(By.CSS_SELECTOR, ".baton-quick-reply"), "sent again once"
        chat.assert_no_duplicates()
    finally:
        stack.stop()


def test_a_page_whose_session_was_erased_starts_a_new_one_with_what_the_user_wrote(stack, chat):
    chat.open(stack.base)
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    chat.wait_text("Nice to meet you, Ada!", "bot")
    old = chat.session()
    erase = urllib.request.Request(f"{stack.base}/admin/sessions/{old}", method="DELETE",
                                   headers={"Authorization": f"Bearer {stack.admin_token}"})
    assert urllib.request.urlopen(erase).status == 204

    chat.send("Are you still there?")
    notice = wait_until(lambda: chat.driver.find_element(By.ID, "baton-notice") if "deleted" in chat.driver.find_element(
        By.ID, "baton-notice").text else None, 15, "the page to say the conversation was deleted")
    assert notice.text == "This conversation was deleted. A new one has started."
    wait_until(lambda: chat.session() not in (None, old), 15, "a new session")
    rows = chat.wait_rows(lambda rows: any(r["text"] == "Are you still there?" and not r["pending"] for r in rows), 15,
                          "the message stored in the new session")
    assert "Ada" not in [r["text"] for r in rows], "nothing of the erased conversation stays on the page"
    assert [r["text"] for r in rows if r["sender"] == "user"] == ["Are you still there?"]
    chat.wait_text("What's your name?", "bot")
    screenshot(chat.driver, "27-session-erased")
    chat.assert_no_duplicates()


def test_a_user_deletes_their_conversation_from_the_page(stack, chat):
    chat.open(stack.base)
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    chat.wait_text("Nice to meet you, Ada!", "bot")
    old = chat.session()
    driver = chat.driver

    button = driver.find_element(By.ID, "baton-delete")
    assert button.is_displayed() and button.get_attribute("aria-label") == "Delete conversation"
    confirm = driver.find_element(By.ID, "baton-confirm")
    button.click()
    assert confirm.is_displayed() and button.get_attribute("aria-expanded") == "true"
    assert driver.switch_to.active_element.text == "Cancel", "the safe choice has the focus"
    screenshot(driver, "28-delete-confirm")
    # Escape closes it (and only it), and hands the focus back; nothing was deleted.
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not confirm.is_displayed() and driver.switch_to.active_element.get_attribute("id") == "baton-delete"
    assert chat.session() == old and any(r["text"] == "Ada" for r in chat.rows())

    button.click()
    driver.find_element(By.ID, "baton-confirm-delete").click()
    notice = driver.find_element(By.ID, "baton-notice")
    wait_until(lambda: notice.text == "Conversation deleted.", 15, "the page to say the conversation was deleted")
    wait_until(lambda: chat.session() not in (None, old), 15, "a new session")
    chat.wait_text("What's your name?", "bot")
    assert "Ada" not in [r["text"] for r in chat.rows()], "nothing of the deleted conversation stays on the page"
    screenshot(driver, "29-deleted")
    gone = urllib.request.Request(f"{stack.base}/admin/sessions/{old}", headers={"Authorization": f"Bearer {stack.admin_token}"})
    try:
        urllib.request.urlopen(gone)
        raise AssertionError("the deleted session is still kept")
    except urllib.error.HTTPError as error:
        assert error.code == 404

    # While an agent has the conversation it stays: the page says why, and asks nothing.
    talk_to_agent(chat, name="Grace")
    current = chat.session()
    wait_until(lambda: button.get_attribute("aria-disabled") == "true", 15, "the button to say it cannot delete now")
    assert "once the agent is done" in button.get_attribute("title")
    button.click()
    wait_until(lambda: "agent is handling" in notice.text, 15, "the page to say an agent has the conversation")
    assert not confirm.is_displayed()
    assert chat.session() == current
