"""Chatwoot's satisfaction survey after an agent resolves, shown and answered in the webchat as in Chatwoot's widget."""

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
