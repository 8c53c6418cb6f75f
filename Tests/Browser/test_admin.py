"""The admin page: behind the admin token, the endpoints' health, the handovers in progress, and the outbox with
its dead letters, one of which is put back in its queue from the page and delivered; the SQLite database's copies,
one written from the page; an edited flow reloaded from the page (refused while it has an error); and one user's
data, found, offered for download and erased. With two instances on one PostgreSQL database, a reload from either
page reaches both, and the page says what each did."""

import json
import os
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BUILD, DEMO_FLOW, Process, Stack, free_port
from harness import screenshot, wait_until
from test_accessibility import assert_axe_clean

API_KEY = "browser-test-rest-api-key"


class Callback:
    """A handovers-API callback receiver whose answer the test sets: 500 until told otherwise."""

    def __init__(self):
        self.status = 500
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.status < 300:
                    receiver.received.append((self.headers.get("X-Baton-Event"), json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/baton"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def callback():
    receiver = Callback()
    yield receiver
    receiver.stop()


@pytest.fixture
def admin_stack(workdir, callback):
    stack = Stack(
        workdir,
        rest_settings=f", apiKey: {API_KEY}, callback: {{ url: \"{callback.url}\", secret: browser-test-callback-secret }}",
        # Notifications the callback refuses are given up after two seconds, so a dead letter comes quickly (the
        # demo's assistant must then give up sooner still).
        top_settings="delivery: { giveUpAfterSeconds: 2 }", assistant_settings="    timeoutSeconds: 1\n    retrySeconds: 0").start()
    yield stack
    stack.stop()


def open_handover(stack, user):
    request = urllib.request.Request(
        f"{stack.base}/api/v1/endpoints/demo/handovers", method="POST",
        data=json.dumps({"userId": user, "inboxId": 1, "transcript": [{"sender": "user", "text": "I need a person"}]}).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["sessionId"]


def rows(driver, table):
    return driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")


def refreshed(driver, find):
    """Asks the page to refresh, then `find()`; `None` while the tables are being redrawn."""
    driver.find_element(By.ID, "refresh").click()
    try:
        return find()
    except StaleElementReferenceException:
        return None


def test_the_admin_page_shows_health_handovers_and_retries_a_dead_letter(admin_stack, callback, chat):
    driver = chat.driver
    session = open_handover(admin_stack, "crm-7")
    conversation = admin_stack.agent.conversation_for(session)
    admin_stack.agent.take(conversation)

    driver.get(f"{admin_stack.base}/admin")
    assert driver.find_element(By.ID, "sign-in").is_displayed()
    assert not driver.find_element(By.ID, "dashboard").is_displayed(), "no data before the token"
    token = driver.find_element(By.ID, "token")
    token.send_keys("not-the-admin-token")
    driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
    wait_until(lambda: "not the admin token" in driver.find_element(By.ID, "sign-in-error").text, message="the refusal")
    assert_axe_clean(driver, what="the admin sign-in")
    screenshot(driver, "25-admin-sign-in")

    driver.find_element(By.ID, "token").send_keys(Stack.admin_token)
    driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
    wait_until(lambda: rows(driver, "endpoints"), message="the endpoints")
    endpoint = rows(driver, "endpoints")[0].text
    assert "Baton demo" in endpoint and "Healthy" in endpoint and "administrator" in endpoint, endpoint

    # The handover, with its agent and a link to the conversation in Chatwoot.
    row = wait_until(lambda: refreshed(driver, lambda: next(
        (row for row in rows(driver, "handovers") if session in row.text and "With an agent" in row.text), None)), message="the handover with its agent")
    link = row.find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href").endswith(f"/conversations/{conversation}")
    assert link.get_attribute("rel") == "noopener noreferrer"

    # The refused notifications are dead letters, each with its error and a Retry button.
    dead = wait_until(lambda: refreshed(driver, lambda: [row for row in rows(driver, "outbox") if session in row.text] or None),
                      timeout=20, message="dead letters for the callback's notifications")
    assert "Notification to the callback" in dead[0].text and "HTTP 500" in dead[0].text, dead[0].text
    assert_axe_clean(driver, what="the admin dashboard")
    screenshot(driver, "25-admin-dashboard")
    # Without storage.sqlite.backups the Backups card says how to set them up, and offers no button.
    backups = driver.find_element(By.ID, "backups")
    assert "storage.sqlite.backups" in backups.text and not driver.find_element(By.ID, "back-up").is_displayed(), backups.text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", backups)
    screenshot(driver, "25-admin-backups-unscheduled")

    # The callback is back: a retry from the page delivers the notification and the dead letter is gone.
    callback.status = 200
    job = dead[0].get_attribute("data-job")
    dead[0].find_element(By.CSS_SELECTOR, "button").click()
    wait_until(lambda: not driver.find_elements(By.CSS_SELECTOR, f"#outbox tbody tr[data-job='{job}']"), message="the retried job to leave the dead letters")
    wait_until(lambda: callback.received, message="the retried notification at the callback")
    assert callback.received[0][1]["sessionId"] == session

    # Pending jobs have no Retry button.
    driver.find_element(By.ID, "tab-pending").click()
    wait_until(lambda: driver.find_element(By.ID, "tab-pending").get_attribute("aria-selected") == "true")
    assert not driver.find_elements(By.CSS_SELECTOR, "#outbox tbody button")


def test_the_admin_page_is_served_with_a_strict_policy_and_the_api_needs_the_token(stack):
    with urllib.request.urlopen(f"{stack.base}/admin", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store"
    for path in ("/admin/overview", "/admin/outbox?state=dead"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{stack.base}{path}", timeout=10)
        assert refused.value.code == 401


def sign_in(driver, base):
    driver.get(f"{base}/admin")
    driver.find_element(By.ID, "token").send_keys(Stack.admin_token)
    driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
    wait_until(lambda: rows(driver, "endpoints"), message="the endpoints")


def find(driver, by, text):
    """Looks a session up on the page: `by` is the option's visible text (\"Session id\", \"User id on …\")."""
    Select(driver.find_element(By.ID, "find-by")).select_by_visible_text(by)
    field = driver.find_element(By.ID, "find-id")
    field.clear()
    field.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#find-form button").click()


def kept(stack, session):
    request = urllib.request.Request(f"{stack.base}/admin/sessions/{session}", headers={"Authorization": f"Bearer {Stack.admin_token}"})
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except urllib.error.HTTPError as error:
        assert error.code == 404
        return False


def test_an_operator_finds_downloads_and_erases_a_users_data(admin_stack, chat):
    driver = chat.driver
    chat.open(admin_stack.base)
    chat.wait_text("What's your name?", "bot")
    chat.send("Ada")
    chat.wait_text("Nice to meet you, Ada!", "bot")
    session = chat.session()
    busy = open_handover(admin_stack, "crm-9")

    sign_in(driver, admin_stack.base)
    find(driver, "Session id", session)
    facts = wait_until(lambda: driver.find_element(By.ID, "facts").text if driver.find_element(By.ID, "found").is_displayed() else None,
                       message="the session's facts")
    assert session in facts and "webchat" in facts and "Ada" not in facts, facts
    download = driver.find_element(By.ID, "download")
    assert download.get_attribute("href").startswith("blob:") and download.get_attribute("download") == f"baton-{session}.json"

    driver.find_element(By.ID, "erase").click()
    confirm = driver.find_element(By.ID, "erase-confirm")
    assert confirm.is_displayed() and driver.switch_to.active_element.get_attribute("id") == "erase-cancel"
    assert_axe_clean(driver, what="the admin page with a user's data")
    screenshot(driver, "30-admin-user-data")
    driver.find_element(By.ID, "erase-confirmed").click()
    wait_until(lambda: driver.find_element(By.ID, "erased").text == f"Erased session {session}.", message="the erasure")
    assert not driver.find_element(By.ID, "found").is_displayed()
    assert not kept(admin_stack, session)
    find(driver, "Session id", session)
    wait_until(lambda: driver.find_element(By.ID, "find-error").text == "Baton keeps no session for that id.", message="nothing left to find")

    # By the user's id on an endpoint; while an agent has them the erasure is refused, and the page says why.
    find(driver, "User id on Baton demo", "crm-9")
    wait_until(lambda: busy in driver.find_element(By.ID, "facts").text, message="the user's session found by their id")
    driver.find_element(By.ID, "erase").click()
    driver.find_element(By.ID, "erase-confirmed").click()
    wait_until(lambda: "A handover is in progress" in driver.find_element(By.ID, "find-error").text, message="the refusal")
    assert kept(admin_stack, busy)


def copies(stack):
    folder = stack.workdir / "backups"
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("baton-")) if folder.exists() else []


def test_an_operator_sees_the_copies_and_backs_up_before_an_upgrade(workdir, chat):
    stack = Stack(workdir, storage_settings=", backups: { folder: backups, everyHours: 24, keep: 2 }").start()
    try:
        driver = chat.driver
        sign_in(driver, stack.base)
        schedule = wait_until(lambda: driver.find_element(By.ID, "backups-schedule").text or None, message="the backups card")
        assert schedule == f"A copy every 24 hours into {stack.workdir / 'backups'}, the newest 2 kept.", schedule
        first = wait_until(lambda: copies(stack) or None, message="the copy written at start")
        def facts_naming(name):
            text = driver.find_element(By.ID, "backups-facts").text
            return text if name in text else None
        facts = wait_until(lambda: refreshed(driver, lambda: facts_naming(first[0])), message="the newest copy on the page")
        assert "Copies kept\n1" in facts, facts

        driver.find_element(By.ID, "back-up").click()
        written = wait_until(lambda: driver.find_element(By.ID, "backed-up").text or driver.find_element(By.ID, "back-up-error").text or None,
                             message="the copy written from the page")
        names = copies(stack)
        assert written.startswith("Written: baton-") and written.endswith("sessions)."), written
        assert len(names) == 2 and [name for name in names if name not in first][0] in written, (names, written)
        wait_until(lambda: "Copies kept\n2" in driver.find_element(By.ID, "backups-facts").text, message="two copies on the page")
        assert_axe_clean(driver, what="the admin page's backups")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, "backups"))
        screenshot(driver, "31-admin-backups")

        driver.find_element(By.ID, "back-up").click()
        wait_until(lambda: driver.find_element(By.ID, "back-up").is_enabled() and copies(stack) != first and len(copies(stack)) == 2 and first[0] not in copies(stack),
                   message="the oldest copy deleted, two kept")
    finally:
        stack.stop()


def test_an_operator_reloads_an_edited_flow_and_is_shown_its_errors_first(workdir, chat):
    stack = Stack(workdir).start()
    try:
        # The endpoint's flow in a file of the test's own, so that it can be edited under the running Baton.
        flow, config = workdir / "flow.yaml", workdir / "baton.yaml"
        demo = DEMO_FLOW.read_text()
        flow.write_text(demo)
        config.write_text(config.read_text().replace(f"flow: {DEMO_FLOW}", "flow: flow.yaml"))
        driver = chat.driver
        sign_in(driver, stack.base)
        reload = wait_until(lambda: driver.find_element(By.ID, "reload") if driver.find_element(By.ID, "reload").is_displayed() else None,
                            message="the reload button")

        flow.write_text(demo.replace("goto: welcome", "goto: welcom", 1))
        reload.click()
        refused = wait_until(lambda: driver.find_element(By.ID, "reload-error").text or None, message="the config's errors")
        assert refused.startswith("Nothing was reloaded: the config has errors.") and "flow.yaml:" in refused and "unknown node 'welcom'" in refused, refused
        assert driver.find_element(By.ID, "reloaded").text == ""
        assert_axe_clean(driver, what="the admin page with a config that has errors")
        screenshot(driver, "32-admin-reload-refused")

        # Mended, with a new greeting and a new subtitle, both put in place; and a REST API key, which only a start applies.
        flow.write_text(demo.replace("I'm **Baton**, the demo bot.", "I'm **Baton**, freshly reloaded."))
        config.write_text(config.read_text()
                          .replace("webchat: { enabled: true ", 'webchat: { enabled: true, subtitle: "Back soon" ')
                          .replace("rest: { enabled: true ", 'rest: { enabled: true, apiKey: "a-rest-api-key-of-the-reload" '))
        reload.click()
        done = wait_until(lambda: driver.find_element(By.ID, "reloaded").text or None, message="the reload")
        assert done == "Reloaded: demo. Conversations go on in the new flow from their next message.", done
        later = driver.find_element(By.ID, "reload-later").text
        assert later == "Also changed, taking effect at the next start: endpoints.demo.channels.rest.", later
        assert not driver.find_element(By.ID, "reload-error").is_displayed()
        assert_axe_clean(driver, what="the admin page after a reload")
        screenshot(driver, "32-admin-reloaded")

        chat.open(stack.base)
        chat.wait_text("freshly reloaded", sender="bot")
        wait_until(lambda: driver.find_element(By.ID, "baton-status-text").text == "Back soon", message="the reloaded subtitle under the title")
    finally:
        stack.stop()


def test_with_two_instances_on_one_database_a_reload_reaches_both_and_the_page_says_what_each_did(workdir, chat):
    server_url = os.environ.get("BATON_TEST_POSTGRES_URL")
    if not server_url:
        pytest.skip("no test PostgreSQL (scripts/test starts one; BATON_TEST_SKIP_POSTGRES=1 leaves it out)")
    database = f"baton_admin_{uuid.uuid4().hex[:8]}"
    parts = urllib.parse.urlsplit(server_url)
    database_url = urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))
    subprocess.run(["psql", server_url, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    stack = Stack(workdir, storage=f'{{ postgres: {{ url: "{database_url}", maxConnections: 4 }} }}')
    second = None
    try:
        # Each instance its own folder, config and flow, as on two machines.
        (workdir / "flow.yaml").write_text(DEMO_FLOW.read_text())
        stack.start()
        folder = workdir / "second"
        folder.mkdir()
        (folder / "flow.yaml").write_text(DEMO_FLOW.read_text())
        port = free_port()
        (folder / "baton.yaml").write_text(
            (workdir / "baton.yaml").read_text().replace(f"port: {stack.baton_port}", f"port: {port}").replace(f"flow: {DEMO_FLOW}", "flow: flow.yaml"))
        (workdir / "baton.yaml").write_text((workdir / "baton.yaml").read_text().replace(f"flow: {DEMO_FLOW}", "flow: flow.yaml"))
        second = Process("baton-second", [str(BUILD / "baton"), "serve", "--config", str(folder / "baton.yaml")], cwd=folder, log_dir=workdir).start()
        second.wait_for_output("is running")
        listening = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' AND application_name LIKE 'baton hub listener %'"
        wait_until(lambda: subprocess.run(["psql", server_url, "-tAc", listening], capture_output=True, text=True).stdout.strip() == "2",
                   message="both instances listening")

        driver = chat.driver
        sign_in(driver, stack.base)
        # The instances on the database: this one first, marked, then the other, each by machine and process.
        listed = lambda: [row.text for row in rows(driver, "instances")]
        instances = wait_until(lambda: listed() if len(listed()) == 2 else None, message="both instances listed")
        assert f", pid {stack.baton.proc.pid} This one 127.0.0.1 " in instances[0], instances
        assert f", pid {second.proc.pid} 127.0.0.1 " in instances[1], instances
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, "instances-card"))
        screenshot(driver, "34-admin-instances")
        reload = wait_until(lambda: driver.find_element(By.ID, "reload") if driver.find_element(By.ID, "reload").is_displayed() else None,
                            message="the reload button")
        demo = DEMO_FLOW.read_text()
        (workdir / "flow.yaml").write_text(demo.replace("I'm **Baton**, the demo bot.", "I'm **Baton**, reloaded here."))
        (folder / "flow.yaml").write_text(demo.replace("goto: welcome", "goto: welcom", 1))
        reload.click()
        refused = wait_until(lambda: driver.find_element(By.ID, "reload-error").text or None, message="the other instance's errors")
        assert refused.startswith("Not reloaded everywhere: the config has errors on each instance marked Refused"), refused
        assert f", pid {second.proc.pid}: " in refused and "unknown node 'welcom'" in refused, refused
        lines = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#reload-instances li")]
        assert len(lines) == 2 and lines[0].startswith("Reloaded") and lines[0].endswith("(this one): demo"), lines
        assert lines[1].startswith("Refused") and f", pid {second.proc.pid}: its config has errors" in lines[1], lines
        assert_axe_clean(driver, what="the admin page with another instance's config in error")
        screenshot(driver, "34-admin-reload-instance-refused")

        (folder / "flow.yaml").write_text(demo.replace("I'm **Baton**, the demo bot.", "I'm **Baton**, reloaded there."))
        reload.click()
        done = wait_until(lambda: driver.find_element(By.ID, "reloaded").text or None, message="the reload")
        assert done == "Reloaded on the instances below. Conversations go on in the new flow from their next message.", done
        lines = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#reload-instances li")]
        assert [line.split(":")[-1].strip() for line in lines] == ["nothing changed", "demo"], lines
        assert not driver.find_element(By.ID, "reload-error").is_displayed()
        screenshot(driver, "34-admin-reloaded-everywhere")

        chat.open(f"http://127.0.0.1:{port}")
        chat.wait_text("reloaded there", sender="bot")
    finally:
        if second:
            second.stop()
        stack.stop()
        subprocess.run(["psql", server_url, "-q", "-c", f"DROP DATABASE {database} WITH (FORCE)"], capture_output=True)
