"""The webchat's own words (buttons, labels, status lines) in the user's language, picked as Baton picks its notices':
the browser's when Baton ships it, else the endpoint's `language`; the notices then say the same language."""

import pytest
from selenium.webdriver.common.by import By

from conftest import Stack, make_driver
from harness import Chat, screenshot, talk_to_agent, wait_until
from test_accessibility import assert_axe_clean


@pytest.fixture
def german():
    driver = make_driver(language="de-DE")
    yield Chat(driver)
    driver.quit()


@pytest.fixture
def italian():
    driver = make_driver(language="it-IT")
    yield Chat(driver)
    driver.quit()


def words(driver):
    """What the page says of itself: its language, the composer's placeholder and labels, the status line."""
    return driver.execute_script("""
        const $ = (id) => document.getElementById(id);
        return {lang: document.documentElement.lang, placeholder: $('baton-input').placeholder,
                send: $('baton-send').getAttribute('aria-label'), label: document.querySelector('label[for=baton-input]').textContent,
                status: $('baton-status-text').textContent, log: $('baton-log').getAttribute('aria-label')};""")


def test_a_german_browser_gets_a_german_page_and_german_notices(workdir, german):
    stack = Stack(workdir).start()
    try:
        driver = german.driver
        german.open(stack.base)
        assert words(driver) == {"lang": "de", "placeholder": "Nachricht schreiben…", "send": "Nachricht senden", "label": "Nachricht",
                                 "status": "Online", "log": "Gespräch"}, words(driver)
        talk_to_agent(german)
        wait_until(lambda: words(driver)["status"] == "Warten auf unser Team…", message="the queued status in German")
        conversation = stack.agent.conversation_for(german.session())
        stack.agent.reply(conversation, "Hallo Ada!")
        german.wait_text("Hallo Ada!", "agent")
        stack.agent.resolve(conversation)
        # The server's notice, in the language the page sent in its hello.
        german.wait_text("Das Gespräch mit unserem Team wurde beendet", timeout=20)

        driver.find_element(By.ID, "baton-delete").click()
        confirm = driver.find_element(By.ID, "baton-confirm")
        assert confirm.text.startswith("Dieses Gespräch löschen?"), confirm.text
        assert [b.text for b in confirm.find_elements(By.TAG_NAME, "button")] == ["Abbrechen", "Löschen"]
        assert_axe_clean(driver, what="the webchat in German")
        screenshot(driver, "33-webchat-german")
    finally:
        stack.stop()


def test_a_language_baton_does_not_ship_falls_back_to_the_endpoints(workdir, italian):
    stack = Stack(workdir, endpoint_settings="    language: fr").start()
    try:
        italian.open(stack.base)
        wait_until(lambda: words(italian.driver)["lang"] == "fr", message="the endpoint's language once the chat is ready")
        assert words(italian.driver) == {"lang": "fr", "placeholder": "Écrivez un message…", "send": "Envoyer le message", "label": "Message",
                                         "status": "En ligne", "log": "Conversation"}, words(italian.driver)
    finally:
        stack.stop()


def test_every_language_has_every_word_with_the_same_placeholders(demo, chat):
    chat.open(demo.base)
    gaps = chat.driver.execute_script("""
        const texts = window.BatonWebchatTexts, gaps = [];
        const holes = (text) => (text.match(/\\{[a-z]+\\}/g) || []).sort().join();
        for (const [language, words] of Object.entries(texts)) {
          for (const [key, english] of Object.entries(texts.en)) {
            if (typeof words[key] !== 'string' || !words[key]) gaps.push(`${language}.${key} is missing`);
            else if (holes(words[key]) !== holes(english)) gaps.push(`${language}.${key} has ${holes(words[key])}, English ${holes(english)}`);
          }
          for (const key of Object.keys(words)) if (!(key in texts.en)) gaps.push(`${language}.${key} is not an English key`);
        }
        return [Object.keys(texts).sort(), gaps];""")
    assert gaps == [["de", "en", "es", "fr", "pt"], []], gaps


def test_a_network_past_its_new_conversations_is_told_so_in_its_language_and_its_own_goes_on(workdir, german):
    """Behind a proxy (loopback is trusted, so the forwarded address is the client), a client that started its share of
    new conversations (one a minute here) gets no new one: the page says why, and the conversation it has resumes."""
    stack = Stack(workdir, top_settings="limits: { newConversationsPerMinute: 1 }").start()
    try:
        driver = german.driver
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Forwarded-For": "198.51.100.7"}})
        german.open(stack.base)
        german.wait_text("What's your name?", "bot")
        session = german.session()

        # The same browser, its memory of the conversation gone: a new conversation is asked for, and refused.
        driver.execute_script("localStorage.clear()")
        driver.get(f"{stack.base}/webchat/demo")
        notice = wait_until(lambda: driver.find_element(By.ID, "baton-notice").text or None, message="the refusal's notice")
        assert notice == "Gerade beginnen viele Gespräche aus Ihrem Netzwerk. Gleich wird es erneut versucht…", notice
        assert german.state() != "online"

        # Its own conversation, remembered again, resumes: resuming is not starting.
        driver.execute_script("localStorage.setItem(arguments[0], arguments[1])", "baton.session.demo", session)
        driver.get(f"{stack.base}/webchat/demo")
        german.wait_online()
        assert german.session() == session
    finally:
        stack.stop()


def test_an_endpoints_own_words_reword_the_page_and_add_a_language(workdir, italian):
    """`channels.webchat.texts`: Italian, which Baton does not ship, set by the endpoint (what it leaves out is English),
    and one of the shipped English words reworded."""
    texts = ', texts: { it: { placeholder: "Scrivi un messaggio…", send: "Invia il messaggio", online: "In linea" }, en: { placeholder: "Ask us anything…" } }'
    stack = Stack(workdir, webchat_settings=texts).start()
    try:
        driver = italian.driver
        italian.open(stack.base)
        wait_until(lambda: words(driver)["lang"] == "it", message="the endpoint's Italian once the chat is ready")
        assert words(driver) == {"lang": "it", "placeholder": "Scrivi un messaggio…", "send": "Invia il messaggio", "label": "Message",
                                 "status": "In linea", "log": "Conversation"}, words(driver)
        assert_axe_clean(driver, what="the webchat in a language the endpoint adds")
        english = make_driver()
        try:
            Chat(english).open(stack.base)
            wait_until(lambda: words(english)["placeholder"] == "Ask us anything…", message="the reworded English placeholder")
            assert words(english)["lang"] == "en" and words(english)["send"] == "Send message"
        finally:
            english.quit()
    finally:
        stack.stop()
