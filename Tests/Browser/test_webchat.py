"""The webchat as a user meets it: the demo flow, a handover, every kind of agent reply, and the way back."""

import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import animated_gif, emulate_phone, mp4, pdf, png, screenshot, talk_to_agent, wait_until, wav

# While the bot has the user, the status line shows the demo endpoint's subtitle (the green dot says online).
BOT_STATUS = "A bot, with humans one click away"
IMAGE_LOADED = "return [...arguments[0].querySelectorAll('img')].map(i => i.complete && i.naturalWidth > 0)"


def new_agent_row(chat, before):
    """Waits for the agent message after the `before` agent messages shown so far and returns its row."""
    def row():
        rows = chat.driver.find_elements(By.CSS_SELECTOR, "#baton-log .baton-message[data-sender='agent']")
        return rows[before] if len(rows) > before else None
    return wait_until(row, 15, f"agent message #{before + 1}")


def agent_rows(chat):
    return len(chat.driver.find_elements(By.CSS_SELECTOR, "#baton-log .baton-message[data-sender='agent']"))


def test_demo_flow_handover_every_kind_of_agent_reply_and_back_to_the_bot(demo, chat):
    chat.open(demo.base)
    greeting = chat.wait_text("I'm Baton", "bot")
    assert greeting.find_element(By.TAG_NAME, "strong").text == "Baton", "**Baton** is bold"
    screenshot(chat.driver, "01-greeting")

    talk_to_agent(chat)
    screenshot(chat.driver, "02-handover-requested")
    conversation = demo.agent.conversation_for(chat.session())
    agent, driver = demo.agent, chat.driver

    # Markdown text: bold, italic, a link that opens safely in a new tab.
    agent.reply(conversation, "Hi **Ada**, I'm _here_ to help. See [our docs](https://example.com/docs) or https://example.com/faq.")
    row = new_agent_row(chat, 0)
    assert row.find_element(By.CSS_SELECTOR, ".baton-text strong").text == "Ada"
    assert row.find_element(By.CSS_SELECTOR, ".baton-text em").text == "here"
    links = row.find_elements(By.CSS_SELECTOR, ".baton-text a")
    assert [(a.text, a.get_attribute("href")) for a in links] == [
        ("our docs", "https://example.com/docs"), ("https://example.com/faq", "https://example.com/faq")]
    assert all(a.get_attribute("rel") == "noopener noreferrer nofollow" and a.get_attribute("target") == "_blank" for a in links)
    assert row.find_element(By.CSS_SELECTOR, ".baton-name").text, "the agent's name is shown"

    # A png, loaded.
    agent.reply(conversation, "A picture:", files=[("diagram.png", "image/png", png())])
    row = new_agent_row(chat, 1)
    wait_until(lambda: driver.execute_script(IMAGE_LOADED, row) == [True], 15, "the png to load")
    assert row.find_element(By.TAG_NAME, "img").get_attribute("alt") == "diagram.png"

    # An animated gif: shown from its own (animated) source, not a still preview.
    gif = animated_gif()
    agent.reply(conversation, None, files=[("party.gif", "image/gif", gif)])
    row = new_agent_row(chat, 2)
    wait_until(lambda: driver.execute_script(IMAGE_LOADED, row) == [True], 15, "the gif to load")
    src = row.find_element(By.TAG_NAME, "img").get_attribute("src")
    with urllib.request.urlopen(src, timeout=10) as response:
        assert response.read() == gif, "the page shows the original, animated gif"

    # An mp4: a <video> with controls that really plays.
    agent.reply(conversation, "A clip:", files=[("clip.mp4", "video/mp4", mp4())])
    row = new_agent_row(chat, 3)
    video = row.find_element(By.TAG_NAME, "video")
    assert video.get_attribute("controls") is not None
    wait_until(lambda: driver.execute_script("return arguments[0].readyState >= 1 && arguments[0].duration > 0", video), 15, "video metadata")
    driver.execute_script("arguments[0].muted = true; arguments[0].play()", video)
    wait_until(lambda: driver.execute_script("return arguments[0].currentTime > 0", video), 15, "the video to play")
    driver.execute_script("arguments[0].pause()", video)

    # Audio: an <audio> player that knows its length.
    agent.reply(conversation, None, files=[("voice-note.wav", "audio/wav", wav())])
    row = new_agent_row(chat, 4)
    audio = row.find_element(By.TAG_NAME, "audio")
    wait_until(lambda: driver.execute_script("return arguments[0].readyState >= 1 && Math.round(arguments[0].duration) === 1", audio),
               15, "audio metadata")

    # A pdf: a download link that says the file's name.
    agent.reply(conversation, "The invoice:", files=[("invoice-2026.pdf", "application/pdf", pdf())])
    row = new_agent_row(chat, 5)
    card = row.find_element(By.CSS_SELECTOR, "a.baton-file")
    assert "invoice-2026.pdf" in card.text
    assert f"PDF · {len(pdf())} bytes · Download" in card.text, "the card says how big the file is"
    assert card.get_attribute("download") == "invoice-2026.pdf"
    with urllib.request.urlopen(card.get_attribute("href"), timeout=10) as response:
        assert response.read() == pdf()

    # Several attachments in one message, all in one bubble, in order.
    agent.reply(conversation, "Everything at once:", files=[
        ("a.png", "image/png", png(rgb=(200, 30, 30))), ("b.pdf", "application/pdf", pdf()), ("c.gif", "image/gif", gif)])
    row = new_agent_row(chat, 6)
    items = row.find_elements(By.CSS_SELECTOR, ".baton-attachments > *")
    assert [i.get_attribute("class").split()[-1] for i in items] == ["baton-image", "baton-file", "baton-image"]
    wait_until(lambda: driver.execute_script(IMAGE_LOADED, row) == [True, True], 15, "both images to load")

    # An injection attempt is shown as the text it is, and runs nothing.
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold?</b>'
    agent.reply(conversation, attack)
    row = new_agent_row(chat, 7)
    assert row.find_element(By.CSS_SELECTOR, ".baton-text").text == attack
    assert row.find_elements(By.CSS_SELECTOR, "img, script, b") == []
    assert driver.execute_script("return window.__pwned") is None

    # A javascript: link is not a link.
    agent.reply(conversation, "[click me](javascript:alert(document.cookie)) or javascript:alert(1)")
    row = new_agent_row(chat, 8)
    assert row.find_elements(By.TAG_NAME, "a") == []
    assert row.find_element(By.CSS_SELECTOR, ".baton-text").text == "[click me](javascript:alert(document.cookie)) or javascript:alert(1)"
    driver.execute_script("document.getElementById('baton-scroll').scrollTop = 0")
    screenshot(driver, "03-agent-replies-top")
    driver.execute_script("const s = document.getElementById('baton-scroll'); s.scrollTop = s.scrollHeight")
    screenshot(driver, "04-agent-replies-bottom")

    # The user's answer reaches the agent once.
    chat.send("Thanks, that's all!")
    wait_until(lambda: agent.incoming_texts(conversation).count("Thanks, that's all!") == 1, 15, "the user's message in Chatwoot")

    # The agent resolves: the user is told, and the bot is back.
    agent.resolve(conversation)
    chat.wait_text("The agent has ended the conversation", "system")
    chat.wait_text("Thanks for talking to our team, Ada!", "bot")
    screenshot(driver, "05-resolved-back-to-bot")
    chat.assert_no_duplicates()


def status(chat):
    return chat.driver.find_element(By.ID, "baton-status-text").text


def title(chat):
    return chat.driver.find_element(By.ID, "baton-title").text


def header_picture(chat):
    """The header's picture: its loaded image's URL, or its letter."""
    return chat.driver.execute_script(
        "const a = document.getElementById('baton-avatar'); const img = a.querySelector('img');"
        "return img ? (img.complete && img.naturalWidth > 0 ? img.src : null) : a.textContent;")


def face(row):
    """The picture beside a message: its loaded image's URL, its letter, or None when the group hides it."""
    return row.parent.execute_script(
        "const f = arguments[0].querySelector('.baton-message-avatar'); if (!f || getComputedStyle(f).visibility === 'hidden') return null;"
        "const img = f.querySelector('img'); return img ? (img.complete && img.naturalWidth > 0 ? img.src : 'loading') : f.textContent;", row)


def typing_shown(chat):
    return chat.driver.execute_script("return !document.getElementById('baton-typing').hidden")


def test_live_feedback_typing_status_and_handover_notices(demo, chat):
    driver = chat.driver
    chat.open(demo.base)
    assert status(chat) == BOT_STATUS
    talk_to_agent(chat)
    # Open in Chatwoot but nobody has taken it: the user is queued.
    wait_until(lambda: status(chat) == "Waiting for an agent…", 15, "the status to say the user is queued")
    conversation = demo.agent.conversation_for(chat.session())
    screenshot(driver, "14-queued")

    # An agent takes it: the user is told who (the demo shows agents' names) and the status changes.
    assert title(chat) == "Baton demo"
    demo.agent.take(conversation)
    joined = chat.wait_text("has joined the conversation", "system")
    agent = joined.text.split(" has joined")[0]
    # The header becomes the agent's: their name, their Chatwoot picture (the demo's agent has one), the team below.
    wait_until(lambda: title(chat) == agent and status(chat) == "Baton demo", 15, "the header to name the agent who has the user")
    wait_until(lambda: "/rails/active_storage/representations/redirect/" in (header_picture(chat) or ""), 15, "the agent's picture in the header")
    screenshot(driver, "14-agent-joined")

    # The agent types: dots, labelled for screen readers; they stop: no dots.
    demo.agent.typing(conversation, True)
    wait_until(lambda: typing_shown(chat), 10, "the agent's typing indicator")
    assert driver.find_element(By.ID, "baton-typing-label").get_attribute("textContent") == "An agent is typing…"
    screenshot(driver, "15-agent-typing")
    demo.agent.typing(conversation, False)
    wait_until(lambda: not typing_shown(chat), 10, "the typing indicator to go")

    # The agent's name, once they have written, is on their message and in the status line.
    demo.agent.reply(conversation, "Hi, how can I help?")
    row = chat.wait_text("Hi, how can I help?", "agent")
    name = row.find_element(By.CSS_SELECTOR, ".baton-name").text
    assert name == agent
    wait_until(lambda: (face(row) or "").startswith("http"), 10, "the agent's picture beside their reply")
    # The bot's messages carry the endpoint's picture: the demo has none, so the title's initial.
    assert face(driver.find_elements(By.CSS_SELECTOR, "#baton-log .baton-message--bot")[-1]) == "B"
    demo.agent.reply(conversation, "One moment please.")
    second = chat.wait_text("One moment please.", "agent")
    wait_until(lambda: face(row) is None and (face(second) or "").startswith("http"), 10, "one picture per group, beside its last reply")
    screenshot(driver, "14-agent-replies-with-picture")

    # Resolved while still typing: the dots go, the user is told, the bot is back.
    demo.agent.typing(conversation, True)
    wait_until(lambda: typing_shown(chat), 10, "the agent's typing indicator")
    demo.agent.resolve(conversation)
    chat.wait_text("The agent has ended the conversation", "system")
    wait_until(lambda: not typing_shown(chat) and status(chat) == BOT_STATUS and title(chat) == "Baton demo", 10, "no dots, the bot's header")
    assert header_picture(chat) == "B"
    screenshot(driver, "16-handover-ended")

    # A second handover, cancelled by the user: "waiting" while it opens, a notice when they leave.
    chat.send("agent")
    wait_until(lambda: status(chat) in ("Waiting for an agent…", "Talking to an agent"), 15, "the status of a new handover")
    chat.wait_text("An agent will reply here shortly", "bot", timeout=20)
    chat.send("cancel")
    chat.wait_text("You have left the queue.", "system")
    wait_until(lambda: status(chat) == BOT_STATUS, 10, "the bot's status after cancelling")
    chat.assert_no_duplicates()


def test_the_user_sends_the_agent_a_file(demo, chat, workdir):
    """The paperclip shows once an agent is asked for; the file reaches Chatwoot as an attachment and the user sees it."""
    driver = chat.driver
    chat.open(demo.base)
    attach = driver.find_element(By.ID, "baton-attach")
    assert not attach.is_displayed(), "no files for the bot"
    talk_to_agent(chat)
    conversation = demo.agent.conversation_for(chat.session())
    wait_until(lambda: attach.is_displayed(), 15, "the attach button")
    assert attach.get_attribute("aria-label") == "Send a file to the agent"

    picture = workdir / "receipt.png"
    picture.write_bytes(png(64, 48, (200, 40, 40)))
    driver.find_element(By.ID, "baton-file").send_keys(str(picture))
    row = wait_until(
        lambda: next((r for r in chat.rows() if r["sender"] == "user" and r["id"] and not r["text"]), None), 15, "the user's file")
    bubble = driver.find_element(By.CSS_SELECTOR, f"#baton-log .baton-message[data-message-id='{row['id']}']")
    wait_until(lambda: all(driver.execute_script(IMAGE_LOADED, bubble)) and driver.execute_script(IMAGE_LOADED, bubble), 15, "the picture shown")

    def attachments():
        for m in demo.agent.messages(conversation):
            if m.get("message_type") == 0 and m.get("attachments"):
                return m["attachments"]
        return None
    files = wait_until(attachments, 15, "the file in Chatwoot")
    assert [(f["file_type"], f.get("file_size")) for f in files] == [("image", picture.stat().st_size)]
    screenshot(driver, "17-user-sent-a-file")
    chat.assert_no_duplicates()


def test_cards_a_carousel_links_and_reply_buttons(demo, chat):
    driver = chat.driver
    chat.open(demo.base)
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    chat.quick_reply("Pictures")
    row = chat.wait_text("And cards", "bot")
    carousel = row.find_element(By.CSS_SELECTOR, "ul.baton-cards.is-carousel")
    assert carousel.get_attribute("aria-label") == "3 cards"
    assert carousel.get_attribute("tabindex") == "0", "a carousel scrolls by keyboard too"
    cards = carousel.find_elements(By.CSS_SELECTOR, "li.baton-card")
    assert [c.get_attribute("aria-label") for c in cards] == ["1 of 3", "2 of 3", "3 of 3"]
    assert [c.find_element(By.CSS_SELECTOR, ".baton-card-title").text for c in cards] == ["A bot in front", "Humans behind", "Every channel"]
    # The first card's picture is on the web: shown once loaded, or left out (offline) rather than a broken frame.
    wait_until(lambda: driver.execute_script(
        "const imgs = [...arguments[0].querySelectorAll('img')]; return imgs.every(i => i.complete && i.naturalWidth > 0)", carousel),
        15, "the card's picture to load or go")
    links = carousel.find_elements(By.CSS_SELECTOR, "a.baton-card-button")
    assert [a.get_attribute("href") for a in links][1] == "https://www.chatwoot.com/"
    assert all(a.get_attribute("target") == "_blank" and a.get_attribute("rel") == "noopener noreferrer nofollow" for a in links)
    assert links[0].get_attribute("textContent") == "Agent bots in Chatwoot (opens in a new tab)"
    # Wider than the chat: the carousel scrolls sideways, the page does not.
    assert driver.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", carousel)
    assert driver.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot(driver, "24-cards-carousel")
    from test_accessibility import assert_axe_clean
    assert_axe_clean(driver, context="#baton-log", what="a carousel of cards")
    # On a phone, in dark mode: still a carousel inside the list, still clean.
    emulate_phone(driver)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    wait_until(lambda: driver.execute_script(
        "return document.getAnimations().filter(a => a instanceof CSSTransition).length === 0"), 5, "colour transitions to end")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", carousel)
    assert driver.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
    assert_axe_clean(driver, context="#baton-log", what="a carousel of cards on a phone in dark mode")
    screenshot(driver, "24-cards-carousel-phone-dark")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})

    # A reply button answers for the user: its title as their message, its payload to the flow (the menu).
    carousel.find_element(By.CSS_SELECTOR, "button.baton-card-button").click()
    chat.wait_text("Show me the menu", "user")
    wait_until(lambda: chat.texts("bot")[-1].startswith("Nice to meet you, Ada!"), 15, "the menu again")
    chat.assert_no_duplicates()


def test_the_agent_console_shows_the_user_typing_and_the_replies_they_saw(demo, chat):
    """With `forwardUserTyping` and `reportSeenMessages` (the demo has both), agents see the user typing as the contact
    typing, until they stop, and their replies turn `read` once the user's page has shown them."""
    chat.open(demo.base)
    talk_to_agent(chat)
    conversation = demo.agent.conversation_for(chat.session())
    driver = chat.driver
    page = driver.current_window_handle
    driver.switch_to.new_window("tab")
    console = driver.current_window_handle
    driver.get(f"{demo.agent.base}/console")
    # Clicked in one script: the console re-renders its list while it polls, so element handles go stale.
    click = f"""const item = document.querySelector('#conversation-list .conversation-item[data-id="{conversation}"]');
                if (item) item.click(); return !!item;"""
    wait_until(lambda: driver.execute_script(click), 15, "the conversation in the console")

    def typing_line():
        return driver.execute_script("const l = document.getElementById('contact-typing'); return l.hidden ? null : l.innerText")

    driver.switch_to.window(page)
    driver.find_element(By.ID, "baton-input").send_keys("Where is my parcel")
    driver.switch_to.window(console)
    assert wait_until(typing_line, 15, "the typing line") == "Ada is typing\u2026"
    screenshot(driver, "console-user-typing")

    driver.switch_to.window(page)
    driver.find_element(By.ID, "baton-input").send_keys(Keys.ENTER)
    driver.switch_to.window(console)
    wait_until(lambda: typing_line() is None, 15, "the typing line to go once the message is sent")

    # The agent answers while the user's page is in view: the console shows the reply read.
    driver.switch_to.window(page)
    demo.agent.reply(conversation, "It left the warehouse on Monday")
    chat.wait_text("It left the warehouse on Monday", "agent")
    driver.switch_to.window(console)
    statuses = """return [...document.querySelectorAll('#messages .message.outgoing')]
        .filter(m => m.querySelector('.bubble').innerText.includes(arguments[0]))
        .map(m => [...m.querySelectorAll('.meta span')].map(s => s.innerText))[0] || []"""
    wait_until(lambda: "read" in driver.execute_script(statuses, "It left the warehouse"), 15, "the reply read in the console")
    screenshot(driver, "console-reply-read")
