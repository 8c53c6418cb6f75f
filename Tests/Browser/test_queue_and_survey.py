"""After the handover opens: Baton's reminders in the browser's language, and Chatwoot's satisfaction survey after an agent resolves."""

from selenium.webdriver.common.by import By

from harness import emulate_phone, screenshot, talk_to_agent, wait_until
from test_accessibility import assert_axe_clean


def test_the_user_rates_the_conversation_after_the_agent_resolves(demo, chat):
    driver = chat.driver
    chat.open(demo.base)
    talk_to_agent(chat)
    conversation = demo.agent.conversation_for(chat.session())
    demo.agent.enable_survey(conversation)
    demo.agent.reply(conversation, "Your refund is on its way.")
    chat.wait_text("Your refund is on its way.", "agent")
    # Everything the user said has reached Chatwoot (a post still on its way would reopen the conversation).
    wait_until(lambda: "Ada" in demo.agent.incoming_texts(conversation), 15, "the history in Chatwoot")
    demo.agent.resolve(conversation)

    card = wait_until(lambda: next(iter(driver.find_elements(By.CSS_SELECTOR, ".baton-survey")), None), 15, "the survey")
    assert card.find_element(By.CSS_SELECTOR, ".baton-survey-question").text == "Please rate this conversation."
    ratings = card.find_elements(By.CSS_SELECTOR, ".baton-survey-rating")
    assert [r.get_attribute("aria-label") for r in ratings] == [
        "1 of 5: Very unsatisfied", "2 of 5: Unsatisfied", "3 of 5: Neutral", "4 of 5: Satisfied", "5 of 5: Very satisfied"]
    assert not driver.find_elements(By.CSS_SELECTOR, ".baton-survey a"), "the survey link is not shown"
    screenshot(driver, "18-survey")
    assert_axe_clean(driver, what="the survey")

    # Keyboard only: tab to "Satisfied" and press Enter.
    ratings[3].send_keys("\n")
    wait_until(lambda: ratings[3].get_attribute("aria-pressed") == "true", 10, "the rating to be selected")
    wait_until(lambda: (demo.agent.survey_response(conversation) or {}).get("rating") == 4, 15, "Chatwoot to record the rating")
    box = card.find_element(By.CSS_SELECTOR, ".baton-survey-text")
    box.send_keys("Quick and kind")
    card.find_element(By.CSS_SELECTOR, ".baton-survey-send").click()
    wait_until(lambda: card.find_element(By.CSS_SELECTOR, ".baton-survey-status").text == "Thank you for your feedback.", 10, "the thanks")
    wait_until(lambda: (demo.agent.survey_response(conversation) or {}).get("feedback_message") == "Quick and kind", 15,
               "Chatwoot to record the feedback")
    screenshot(driver, "18-survey-answered")

    # After a reload the survey shows its answer, and the answers are not bubbles of their own.
    driver.refresh()
    chat.wait_online()
    card = wait_until(lambda: next(iter(driver.find_elements(By.CSS_SELECTOR, ".baton-survey")), None), 15, "the survey again")
    wait_until(lambda: card.find_element(By.CSS_SELECTOR, ".baton-survey-status").text == "Thank you for your feedback.", 10, "the answer kept")
    assert not [r for r in driver.find_elements(By.CSS_SELECTOR, ".baton-message--user") if "Quick and kind" in r.text]
    emulate_phone(driver)
    card = driver.find_element(By.CSS_SELECTOR, ".baton-survey")
    driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", card)
    screenshot(driver, "18-survey-phone")


def test_a_queued_user_is_reminded_in_their_language(workdir, driver):
    """Baton's notices in the browser's language: a German browser queued with nobody answering gets the reminder, then
    the inactivity close, in German (the endpoint's handoverDefaults set short timers)."""
    from conftest import Stack
    from harness import Chat
    stack = Stack(workdir, endpoint_settings="    handoverDefaults: { reminder: { everySeconds: 1, times: 1 }, inactivity: { agentSeconds: 3 } }").start()
    try:
        # A browser whose language is German (navigator.language, as a German Chrome has it).
        agent = driver.execute_script("return navigator.userAgent")
        driver.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "de-DE"})
        chat = Chat(driver).open(stack.base)
        talk_to_agent(chat)
        reminder = chat.wait_text("Danke für Ihre Geduld", "system", timeout=15)
        assert reminder.text == "Danke für Ihre Geduld. Gleich ist jemand aus unserem Team für Sie da."
        screenshot(driver, "19-reminder-de")
        chat.wait_text("Leider konnte Ihnen niemand aus unserem Team rechtzeitig antworten", "system", timeout=20)
        conversation = stack.agent.conversation_for(chat.session())
        wait_until(lambda: stack.agent.request("GET", f"/conversations/{conversation}")["status"] == "resolved", 15, "the close in Chatwoot")
    finally:
        stack.stop()
