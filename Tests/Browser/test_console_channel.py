"""The demo's WhatsApp inbox, written to from the stand-in's agent console as the contact: Baton answers as the
inbox's agent bot, its options show as the contact would see them, and a handover gives the same conversation to
the agent."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import screenshot, wait_until


# Read in one script: the console re-renders the list while it polls, so element handles go stale.
def bubbles(driver):
    return driver.execute_script("return [...document.querySelectorAll('#messages .message .bubble')].map(b => b.innerText)")


def options(driver):
    return driver.execute_script("return [...document.querySelectorAll('#messages .message.bot .option')].map(o => o.innerText)")


def write_as_contact(driver, text):
    driver.find_element(By.CSS_SELECTOR, 'input[name="mode"][value="contact"]').click()
    box = driver.find_element(By.ID, "composer-text")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "send-button").click()


def test_a_whatsapp_contact_written_from_the_console_is_answered_by_the_bot_and_handed_over(demo, driver):
    driver.get(f"{demo.agent.base}/console")
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "#inbox-select option"), message="the inboxes")
    Select(driver.find_element(By.ID, "inbox-select")).select_by_visible_text("Acme WhatsApp (Whatsapp)")
    driver.find_element(By.ID, "new-conversation").click()
    for answer in ("Lena", "Hi! Is my order on its way?"):
        alert = wait_until(lambda: _alert(driver), message="the prompt")
        alert.send_keys(answer)
        alert.accept()

    # The flow starts from the contact's first message and asks for a name.
    wait_until(lambda: "What's your name?" in bubbles(driver), timeout=20, message="the bot's question")
    write_as_contact(driver, "Lena")
    # WhatsApp shows four short options as a list: Baton sends them as input_select.
    wait_until(lambda: options(driver) == ["Pictures", "A quiz", "Ask the assistant", "Talk to a human"], timeout=20, message="the options")
    screenshot(driver, "console-whatsapp-bot-options")

    # WhatsApp sends the tapped button's title; the flow's handover gives this conversation to the team.
    write_as_contact(driver, "Talk to a human")
    wait_until(lambda: driver.execute_script("return document.getElementById('status-badge').innerText").lower() == "open", timeout=20,
               message="the handover")
    wait_until(lambda: any("handed this conversation to the team" in b for b in bubbles(driver)), message="the note for the agents")
    screenshot(driver, "console-whatsapp-handed-over")


def _alert(driver):
    try:
        return driver.switch_to.alert
    except Exception:
        return None
