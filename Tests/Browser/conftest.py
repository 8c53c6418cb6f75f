"""Harness for Baton's browser tests: real servers on loopback, headless Chromium through Selenium.

Every test gets fresh servers (their own free ports and temporary data folders) and a fresh browser profile,
so tests never see each other's sessions. Servers are the built products in .build/debug (scripts/test builds
them first); BATON_BUILD_DIR points elsewhere.
"""

import os
import shutil
import signal
import random
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from harness import SCREENSHOTS, Agent, Chat, wait_until

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BATON_BUILD_DIR", ROOT / ".build" / "debug"))
DEMO_FLOW = ROOT / "Sources" / "BatonConfig" / "Resources" / "demo" / "flows" / "demo.yaml"


def _ephemeral_range():
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A free port on 127.0.0.1 below the kernel's ephemeral range. A server started later binds it: a port from
    the ephemeral range (what binding port 0 gives) can be taken meanwhile by any outgoing connection, the
    browser's or Baton's own, and the server then fails with "Address already in use"."""
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randint(max(1025, low - 12000), low - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """One server process whose output goes to a log file the test can read (and that is shown on failure)."""

    def __init__(self, name, args, env=None, cwd=None, log_dir=None):
        self.name, self.args, self.cwd = name, args, cwd
        self.env = dict(os.environ, **(env or {}))
        self.log_path = Path(log_dir) / f"{name}.log"
        self.proc = None

    def start(self):
        # A restarted process appends to the same log; only what this run prints counts.
        self.offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd)
        log.close()
        return self

    def output(self):
        """What this run of the process has printed so far."""
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")

    def wait_for_output(self, text, timeout=60):
        """Waits until the log shows `text`; fails at once, with the log, if the process ended instead."""
        def printed():
            out = self.output()
            if text in out:
                return out
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{out}")
            return False
        return wait_until(printed, timeout, f"{self.name} to print {text!r}")

    def stop(self):
        """SIGTERM, as a service manager would stop it; SIGKILL if it does not end in time."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


LOGS = ROOT / ".build" / "browser-logs"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "failed_" + report.when, report.failed)
    return report


@pytest.fixture
def workdir(request):
    """A fresh data folder; the servers' logs are kept in .build/browser-logs/<test> when the test fails."""
    path = Path(tempfile.mkdtemp(prefix="baton-browser-"))
    yield path
    if getattr(request.node, "failed_call", False) or getattr(request.node, "failed_setup", False):
        keep = LOGS / request.node.name
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        for log in path.glob("*.log"):
            shutil.copy(log, keep)
        print(f"server logs: {keep}")
    shutil.rmtree(path, ignore_errors=True)


class Stack:
    """A Chatwoot stand-in and Baton as separate processes, Baton configured by a file to hand over to the
    stand-in, so either can be restarted while the other keeps its state (the stand-in keeps it in memory)."""

    admin_token = "browser-test-admin-token"

    def __init__(self, workdir, webchat_settings="", endpoint_settings="", rest_settings="", top_settings="", assistant_settings="",
                 storage_settings="", storage=None):
        self.workdir = workdir
        self.storage_settings = storage_settings
        # The whole `storage` mapping (PostgreSQL's), instead of the SQLite file in the data folder.
        self.storage = storage
        self.assistant_settings = assistant_settings
        self.endpoint_settings = endpoint_settings
        self.rest_settings = rest_settings
        self.top_settings = top_settings
        self.baton_port, self.standin_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.baton_port}"
        self.secret = "browser-test-webhook-secret"
        self.webchat_settings = webchat_settings
        self.log_level = os.environ.get("BATON_TEST_LOG_LEVEL", "info")
        self.standin = Process(
            "chatwoot-standin",
            [str(BUILD / "chatwoot-standin"), "--port", str(self.standin_port), "--webhook-url",
             f"{self.base}/handover/chatwoot", "--secret", self.secret],
            log_dir=workdir)
        self.baton = None

    def start(self):
        self.standin.start().wait_for_output("listening on")
        self.agent = Agent.from_console(f"http://127.0.0.1:{self.standin_port}")
        config = self.workdir / "baton.yaml"
        config.write_text(f"""
server: {{ host: 127.0.0.1, port: {self.baton_port} }}
storage: {self.storage or f"{{ sqlite: {{ path: data/baton.sqlite {self.storage_settings} }} }}"}
log: {{ level: {self.log_level} }}
admin: {{ token: {self.admin_token} }}
{self.top_settings}
# The demo flow's assistant; nothing listens there, so it is unreachable for these tests, which do not ask it.
bots:
  assistant:
    openai: {{ baseURL: "http://127.0.0.1:{free_port()}/v1", model: demo }}
{self.assistant_settings}
endpoints:
  demo:
    name: Baton demo
    urlToken: demo
    flow: {DEMO_FLOW}
    channels:
      webchat: {{ enabled: true {self.webchat_settings} }}
      rest: {{ enabled: true {self.rest_settings} }}
{self.endpoint_settings}
    handover:
      provider: chatwoot
      chatwoot:
        baseURL: http://127.0.0.1:{self.standin_port}
        accountId: {self.agent.account}
        apiAccessToken: {self.agent.admin_token}
        webhookSecret: {self.secret}
        agentBotName: Baton
        agentBotDescription: The browser tests' bot
        showAgentNames: true
        forwardUserTyping: true
""")
        self.start_baton()
        return self

    def start_baton(self):
        self.baton = Process("baton", [str(BUILD / "baton"), "serve", "--config", str(self.workdir / "baton.yaml")],
                             cwd=self.workdir, log_dir=self.workdir).start()
        self.baton.wait_for_output("is running")

    def restart_baton(self):
        self.baton.stop()
        self.start_baton()

    def stop(self):
        for process in (self.baton, self.standin):
            if process:
                process.stop()


@pytest.fixture
def stack(workdir):
    s = Stack(workdir).start()
    yield s
    s.stop()


class Demo:
    """`baton` with no config: the built-in demo, with its in-process Chatwoot stand-in (as `swift run baton`)."""

    def __init__(self, workdir, env=None):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.baton = Process("baton-demo", [str(BUILD / "baton")], cwd=workdir, log_dir=workdir, env={
            "BATON_SERVER_PORT": str(port), "BATON_STORAGE_SQLITE_PATH": str(workdir / "baton.sqlite"), **(env or {})}).start()
        out = self.baton.wait_for_output("Agent console")
        console = next(line.split(": ", 1)[1].strip() for line in out.splitlines() if "Agent console" in line)
        self.agent = Agent.from_console(console.rsplit("/console", 1)[0])

    def stop(self):
        self.baton.stop()


@pytest.fixture
def demo(workdir):
    d = Demo(workdir)
    yield d
    d.stop()


def make_driver(width=1280, height=900, language="en-US"):
    """Headless Chromium; `language` is the browser's (navigator.languages, Accept-Language)."""
    options = Options()
    # Debian's chromium: /usr/bin/chromium is a wrapper script; the real binary sits beside the driver's libs.
    binary = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else shutil.which("chromium")
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio", f"--lang={language}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture
def driver():
    d = make_driver()
    yield d
    d.quit()


@pytest.fixture
def chat(driver):
    return Chat(driver)


def pytest_sessionfinish(session, exitstatus):
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        print(f"\nScreenshots of key states: {SCREENSHOTS}")
