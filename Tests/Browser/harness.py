"""Helpers shared by the browser tests: waiting, the agent (Chatwoot's API), the chat page, test media."""

import json
import math
import struct
import urllib.request
import uuid
import wave
import io
import zlib
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".build" / "browser-screenshots"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def wait_until(condition, timeout=15, message="a condition"):
    """Polls `condition` until it returns something truthy (and returns that); never a fixed sleep."""
    return WebDriverWait(None, timeout, poll_frequency=0.1).until(lambda _: condition(), f"timed out waiting for {message}")


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def emulate_phone(driver, width=390, height=844):
    """A phone-sized touch screen (a headless window cannot be narrower than 500 px, so emulate the device)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})


# ---- Chatwoot's side: what an agent does, through the stand-in's real Application API ----------------------

class Agent:
    """An agent (Maria, role `agent`) acting through Chatwoot's API with her own api_access_token."""

    def __init__(self, base, account, token, admin_token, user_id=None):
        self.base, self.account, self.token, self.admin_token, self.user_id = base, account, token, admin_token, user_id

    @classmethod
    def from_console(cls, base):
        with urllib.request.urlopen(f"{base}/console/bootstrap.json", timeout=10) as response:
            account = json.load(response)["accounts"][0]
        users = account["users"]
        agent = next(u for u in users if u["role"] == "agent")
        admin = next(u for u in users if u["role"] == "administrator")
        return cls(base, account["id"], agent["access_token"], admin["access_token"], agent["id"])

    def request(self, method, path, body=None, content_type="application/json", as_admin=False):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        req = urllib.request.Request(f"{self.base}/api/v1/accounts/{self.account}{path}", data=data, method=method)
        req.add_header("api_access_token", self.admin_token if as_admin else self.token)
        if data is not None:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=15) as response:
            text = response.read()
        return json.loads(text) if text else None

    def conversations(self):
        data = self.request("GET", "/conversations?status=all&assignee_type=all&page=1")
        return data["data"]["payload"]

    def conversation_for(self, session):
        """The id of the Chatwoot conversation Baton opened for a webchat session (waits until there is one)."""
        def find():
            for c in self.conversations():
                if (c.get("custom_attributes") or {}).get("baton_session") == session:
                    return c["id"]
            return None
        return wait_until(find, 20, f"a Chatwoot conversation for {session}")

    def reply(self, conversation, content=None, files=()):
        """Posts an outgoing message; with files, as multipart/form-data like Chatwoot's dashboard does."""
        path = f"/conversations/{conversation}/messages"
        if not files:
            return self.request("POST", path, {"content": content, "message_type": "outgoing", "private": False})
        boundary = "----baton" + uuid.uuid4().hex
        parts = []
        fields = [("message_type", "outgoing"), ("private", "false")] + ([("content", content)] if content else [])
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for filename, mime, data in files:
            head = (f'--{boundary}\r\nContent-Disposition: form-data; name="attachments[]"; filename="{filename}"\r\n'
                    f"Content-Type: {mime}\r\n\r\n")
            parts.append(head.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def typing(self, conversation, on):
        self.request("POST", f"/conversations/{conversation}/toggle_typing_status", {"typing_status": "on" if on else "off"})

    def take(self, conversation):
        """Assigns the conversation to herself, as an agent picking it from the queue does."""
        self.request("POST", f"/conversations/{conversation}/assignments", {"assignee_id": self.user_id})

    def enable_survey(self, conversation):
        """Turns the satisfaction survey on for the conversation's inbox (an administrator's setting)."""
        inbox = self.request("GET", f"/conversations/{conversation}")["inbox_id"]
        self.request("PATCH", f"/inboxes/{inbox}", {"csat_survey_enabled": True}, as_admin=True)

    def survey_response(self, conversation):
        """The survey's recorded answer, read as the survey page does (by the conversation's uuid), or None."""
        uuid_ = self.request("GET", f"/conversations/{conversation}")["uuid"]
        with urllib.request.urlopen(f"{self.base}/public/api/v1/csat_survey/{uuid_}", timeout=10) as response:
            return json.load(response).get("csat_survey_response")

    def resolve(self, conversation):
        self.request("POST", f"/conversations/{conversation}/toggle_status", {"status": "resolved"})

    def messages(self, conversation):
        return self.request("GET", f"/conversations/{conversation}/messages")["payload"]

    def incoming_texts(self, conversation):
        """What the user said, as the agent sees it in Chatwoot (incoming messages, in order)."""
        return [m.get("content") for m in self.messages(conversation) if m.get("message_type") == 0]


# ---- The user's side: the webchat page -----------------------------------------------------------------------

# One round trip that reads the whole transcript as the page shows it.
ROWS_JS = """
return [...document.querySelectorAll('#baton-log .baton-message')].map(r => ({
  id: r.dataset.messageId ? Number(r.dataset.messageId) : null,
  sender: r.dataset.sender,
  text: (r.querySelector('.baton-text') || {}).textContent || '',
  pending: r.dataset.pending === 'true',
  deleted: r.dataset.deleted === 'true',
  agentName: r.dataset.agentName || null,
}));
"""


class Chat:
    """The webchat page as a user sees it."""

    def __init__(self, driver):
        self.driver = driver

    def open(self, base, token="demo"):
        self.driver.get(f"{base}/webchat/{token}")
        self.wait_online()
        return self

    def wait_online(self, timeout=20):
        wait_until(lambda: self.driver.execute_script("return window.BatonWebchat && BatonWebchat.state") == "online",
                   timeout, "the webchat to be online")

    def state(self):
        return self.driver.execute_script("return window.BatonWebchat && BatonWebchat.state")

    def rows(self):
        return self.driver.execute_script(ROWS_JS)

    def texts(self, sender=None):
        return [r["text"] for r in self.rows() if sender is None or r["sender"] == sender]

    def wait_text(self, fragment, sender=None, timeout=15):
        """Waits until a message (from `sender`, if given) contains `fragment`; returns its row element."""
        def find():
            for row in self.driver.find_elements(By.CSS_SELECTOR, "#baton-log .baton-message"):
                if sender and row.get_attribute("data-sender") != sender:
                    continue
                if fragment in row.text:
                    return row
            return None
        return wait_until(find, timeout, f"a {sender or 'any'} message containing {fragment!r}")

    def wait_rows(self, predicate, timeout=15, message="the transcript"):
        return wait_until(lambda: predicate(self.rows()) and self.rows(), timeout, message)

    def last_row(self, sender=None):
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#baton-log .baton-message" + (f"[data-sender='{sender}']" if sender else ""))
        return rows[-1] if rows else None

    def send(self, text):
        box = self.driver.find_element(By.ID, "baton-input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def quick_reply(self, title):
        button = wait_until(lambda: next((b for b in self.driver.find_elements(By.CSS_SELECTOR, ".baton-quick-reply")
                                          if b.text == title), None), 15, f"the quick reply {title!r}")
        button.click()

    def go_offline(self):
        """Cuts the browser off the network, as DevTools' "Offline" does (open sockets are dropped too)."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                                    {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def go_online(self):
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                                    {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def session(self):
        return self.driver.execute_script("return localStorage.getItem('baton.session.demo')")

    def assert_no_duplicates(self):
        """Every stored message is shown once, in id order, and nothing is left pending."""
        rows = self.rows()
        ids = [r["id"] for r in rows if r["id"] is not None]
        assert len(ids) == len(set(ids)), f"a message is shown twice: {ids}"
        assert ids == sorted(ids), f"messages out of order: {ids}"
        assert ids == list(range(1, len(ids) + 1)), f"a message is missing: {ids}"
        return rows


def talk_to_agent(chat, name="Ada"):
    """The demo flow from the greeting to an open handover: name, then the "Talk to a human" button."""
    chat.wait_text("What's your name?", "bot")
    chat.send(name)
    chat.wait_text(f"Nice to meet you, {name}!", "bot")
    chat.quick_reply("Talk to a human")
    chat.wait_text("An agent will reply here shortly", "bot", timeout=20)


# ---- Test media, made here so the tests need no binary files but one small mp4 --------------------------------

def png(width=320, height=180, rgb=(47, 111, 237)):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def animated_gif(size=96, frames=((255, 0, 0), (0, 160, 0), (0, 0, 255))):
    """A looping GIF with one solid-colour frame per entry of `frames` (each a palette index, LZW-coded)."""
    palette = b"".join(bytes(c) for c in frames) + b"\x00\x00\x00" * (4 - len(frames))
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", size, size, 0xF1, 0, 0) + palette)
    out += b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for index in range(len(frames)):
        out += b"\x21\xF9\x04\x00" + struct.pack("<H", 20) + b"\x00\x00"  # 200 ms per frame
        out += b"\x2C" + struct.pack("<HHHHB", 0, 0, size, size, 0)
        # Minimum code size 2 (codes are 3 bits): a clear code before every two pixels keeps the table from
        # growing, so every code stays 3 bits wide. Clear = 4, end = 5.
        codes = []
        for _ in range(0, size * size, 2):
            codes += [4, index, index]
        codes.append(5)
        bits, nbits, data = 0, 0, bytearray()
        for code in codes:
            bits |= code << nbits
            nbits += 3
            while nbits >= 8:
                data.append(bits & 0xFF)
                bits >>= 8
                nbits -= 8
        if nbits:
            data.append(bits & 0xFF)
        out += b"\x02"
        for i in range(0, len(data), 255):
            block = data[i:i + 255]
            out += bytes([len(block)]) + block
        out += b"\x00"
    out += b"\x3B"
    return bytes(out)


def wav(seconds=1.0, rate=8000, hz=440):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(int(seconds * rate))))
    return buffer.getvalue()


def pdf():
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def mp4():
    """One second of a test pattern, H.264 baseline, 160x120 (made once with ffmpeg's testsrc; 6 KB)."""
    return (FIXTURES / "clip.mp4").read_bytes()
