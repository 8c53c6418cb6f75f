// chatwoot-standin agent console.
// Talks to the stand-in's own Chatwoot API with an agent's api_access_token, like Chatwoot's dashboard does.
// All message text is put into the page with textContent / createElement, never parsed as HTML.
"use strict";

const state = {
  accountId: null,
  accounts: [],
  token: null,
  userId: null,
  status: "open",
  conversations: [],
  selected: null,          // display id
  messages: new Map(),     // id -> message
  typing: false,
  typingTimer: null,
  busy: false,
  stickToBottom: true,
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

function timeLabel(unixSeconds) {
  if (!unixSeconds) return "";
  const date = new Date(unixSeconds * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

async function api(method, path, body) {
  const headers = { api_access_token: state.token };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1/accounts/${state.accountId}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!response.ok) {
    const reason = (json && (json.error || json.message)) || text || response.statusText;
    throw new Error(`${response.status}: ${reason}`);
  }
  return json;
}

// ---------------------------------------------------------------- bootstrap

async function bootstrap() {
  const response = await fetch("/console/bootstrap.json");
  const data = await response.json();
  state.accounts = data.accounts || [];
  const params = new URLSearchParams(location.search);
  const wantedAccount = Number(params.get("account"));
  const account = state.accounts.find((a) => a.id === wantedAccount) || state.accounts[0];
  if (!account) {
    $("account-name").textContent = "No account seeded";
    return;
  }
  state.accountId = account.id;
  $("account-name").textContent = `${account.name} · account ${account.id}`;
  const select = $("user-select");
  select.replaceChildren();
  for (const user of account.users) {
    const option = el("option", null, `${user.name} (${user.role})`);
    option.value = String(user.id);
    select.appendChild(option);
  }
  const wantedUser = account.users.find((u) => String(u.id) === params.get("user")) || account.users.find((u) => u.role === "agent") || account.users[0];
  if (wantedUser) {
    select.value = String(wantedUser.id);
    state.userId = wantedUser.id;
    state.token = wantedUser.access_token;
  }
  select.addEventListener("change", () => {
    const user = account.users.find((u) => String(u.id) === select.value);
    if (user) { state.userId = user.id; state.token = user.access_token; }
  });
  const inboxSelect = $("inbox-select");
  inboxSelect.replaceChildren();
  for (const inbox of account.inboxes || []) {
    const option = el("option", null, `${inbox.name} (${(inbox.channel_type || "").replace("Channel::", "")})`);
    option.value = String(inbox.id);
    inboxSelect.appendChild(option);
  }
  await refreshConversations();
  // Deep link: /console?conversation=<display id>
  const wantedConversation = Number(params.get("conversation"));
  if (wantedConversation) await selectConversation(wantedConversation);
  setInterval(refreshConversations, 2000);
  setInterval(refreshMessages, 1500);
}

// ---------------------------------------------------------------- conversation list

async function refreshConversations() {
  if (!state.token) return;
  try {
    const data = await api("GET", `/conversations?status=${encodeURIComponent(state.status)}&assignee_type=all&page=1`);
    state.conversations = (data && data.data && data.data.payload) || [];
    renderConversationList();
    if (state.selected !== null) {
      const current = state.conversations.find((c) => c.id === state.selected);
      if (current) renderHeader(current);
    }
  } catch (error) {
    console.warn("conversations", error);
  }
}

function previewOf(conversation) {
  const last = conversation.last_non_activity_message;
  if (!last) return "No messages yet";
  const prefix = last.private ? "Note: " : last.message_type === 1 ? "You: " : "";
  if (last.content) return prefix + last.content.replace(/\s+/g, " ");
  if (last.attachments && last.attachments.length) return prefix + `📎 ${last.attachments.length} attachment(s)`;
  return prefix + "…";
}

function renderConversationList() {
  const list = $("conversation-list");
  list.replaceChildren();
  $("empty-list").hidden = state.conversations.length > 0;
  for (const conversation of state.conversations) {
    const sender = (conversation.meta && conversation.meta.sender) || {};
    const item = el("li", "conversation-item" + (conversation.id === state.selected ? " selected" : ""));
    item.dataset.id = String(conversation.id);
    item.appendChild(el("div", "avatar", initials(sender.name)));
    const middle = el("div");
    middle.appendChild(el("div", "name", sender.name || `Contact ${sender.id}`));
    middle.appendChild(el("div", "preview", previewOf(conversation)));
    item.appendChild(middle);
    const side = el("div", "side");
    side.appendChild(el("span", null, `#${conversation.id} · ${timeLabel(conversation.last_activity_at)}`));
    side.appendChild(el("span", `status-badge status-${conversation.status}`, conversation.status));
    if (conversation.unread_count > 0) side.appendChild(el("span", "unread", conversation.unread_count));
    item.appendChild(side);
    item.addEventListener("click", () => selectConversation(conversation.id));
    list.appendChild(item);
  }
}

// ---------------------------------------------------------------- one conversation

async function selectConversation(displayId) {
  if (state.typing) await setTyping(false);
  state.selected = displayId;
  state.messages = new Map();
  $("contact-typing").hidden = true;
  $("placeholder").hidden = true;
  $("conversation").hidden = false;
  $("messages").replaceChildren();
  renderConversationList();
  try {
    const conversation = await api("GET", `/conversations/${displayId}`);
    renderHeader(conversation);
    await loadAllMessages();
  } catch (error) {
    showError(error.message);
  }
}

function renderHeader(conversation) {
  const sender = (conversation.meta && conversation.meta.sender) || {};
  $("contact-avatar").textContent = initials(sender.name);
  $("contact-name").textContent = sender.name || `Contact ${sender.id}`;
  const bits = [`#${conversation.id}`];
  const channel = conversation.meta && conversation.meta.channel;
  if (channel) bits.push(channel.replace("Channel::", "").replace("WebWidget", "Website").replace("Whatsapp", "WhatsApp"));
  if (sender.phone_number) bits.push(sender.phone_number);
  if (sender.identifier) bits.push(sender.identifier);
  if (sender.email) bits.push(sender.email);
  const assignee = conversation.meta && conversation.meta.assignee;
  bits.push(assignee ? `assigned to ${assignee.available_name || assignee.name}` : "unassigned");
  $("contact-meta").textContent = bits.join(" · ");
  const badge = $("status-badge");
  badge.className = `status-badge status-${conversation.status}`;
  badge.textContent = conversation.status;
  $("resolve-button").hidden = conversation.status === "resolved";
  $("reopen-button").hidden = conversation.status === "open";
  const attributes = $("attributes");
  attributes.replaceChildren();
  const custom = conversation.custom_attributes || {};
  for (const key of Object.keys(custom)) attributes.appendChild(el("span", "pill", `${key}: ${typeof custom[key] === "string" ? custom[key] : JSON.stringify(custom[key])}`));
  for (const label of conversation.labels || []) attributes.appendChild(el("span", "pill", `🏷 ${label}`));
}

async function loadAllMessages() {
  // The API pages 20 at a time (newest first); walk back a few pages.
  let page = await api("GET", `/conversations/${state.selected}/messages`);
  let rounds = 0;
  addMessages(page.payload);
  while (page.payload.length === 20 && rounds < 10) {
    const oldest = page.payload[0].id;
    page = await api("GET", `/conversations/${state.selected}/messages?before=${oldest}`);
    addMessages(page.payload);
    rounds += 1;
  }
  renderMessages(true);
}

async function refreshMessages() {
  if (state.selected === null || !state.token) return;
  try {
    const page = await api("GET", `/conversations/${state.selected}/messages`);
    const before = JSON.stringify([...state.messages.values()].slice(-20));
    addMessages(page.payload);
    if (JSON.stringify([...state.messages.values()].slice(-20)) !== before) renderMessages(false);
  } catch (error) {
    console.warn("messages", error);
  }
  await refreshContactTyping();
}

// Whether the open conversation's contact types now, as the dashboard shows it ("… is typing").
async function refreshContactTyping() {
  const line = $("contact-typing");
  try {
    const response = await fetch("/console/typing.json");
    const typing = (await response.json()).typing || [];
    const who = typing.find((t) => t.account === state.accountId && t.conversation === state.selected);
    line.textContent = who ? `${who.name} is typing…` : "";
    line.hidden = !who;
  } catch (error) {
    console.warn("typing", error);
  }
}

function addMessages(messages) {
  for (const message of messages || []) state.messages.set(message.id, message);
  state.messages = new Map([...state.messages.entries()].sort((a, b) => a[0] - b[0]));
}

function renderMessages(scrollToEnd) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren();
  for (const message of state.messages.values()) list.appendChild(renderMessage(message));
  state.stickToBottom = scrollToEnd || nearBottom;
  if (state.stickToBottom) list.scrollTop = list.scrollHeight;
}

function renderMessage(message) {
  const kinds = { 0: "incoming", 1: "outgoing", 2: "activity", 3: "template" };
  const kind = kinds[message.message_type] || "incoming";
  const sender = message.sender || {};
  const classes = ["message", kind];
  if (message.private) classes.push("private");
  if (sender.type === "agent_bot") classes.push("bot");
  if (message.content_attributes && message.content_attributes.deleted) classes.push("deleted");
  const item = el("li", classes.join(" "));
  const bubble = el("div", "bubble");
  if (message.content) bubble.appendChild(document.createTextNode(message.content));
  if (message.attachments && message.attachments.length) bubble.appendChild(renderAttachments(message.attachments));
  if (!message.content && !(message.attachments && message.attachments.length)) bubble.textContent = "…";
  const items = message.content_type === "input_select" && message.content_attributes && message.content_attributes.items;
  if (Array.isArray(items) && items.length) bubble.appendChild(renderOptions(message, items));
  item.appendChild(bubble);
  if (kind !== "activity") {
    const meta = el("div", "meta");
    let who = sender.available_name || sender.name || (kind === "template" ? "System" : "");
    if (sender.type === "agent_bot") who += " (bot)";
    if (message.private) who += " · private note";
    meta.appendChild(el("span", null, `${who} · ${timeLabel(message.created_at)}`));
    if (message.status === "failed") {
      const error = message.content_attributes && message.content_attributes.external_error;
      meta.appendChild(el("span", "failed", `failed${error ? ": " + error : ""}`));
    } else if (kind === "outgoing") {
      meta.appendChild(el("span", null, message.status));
    }
    if (kind === "outgoing" && !(message.content_attributes && message.content_attributes.deleted)) {
      const remove = el("button", "delete", "delete");
      remove.type = "button";
      remove.addEventListener("click", () => deleteMessage(message.id));
      meta.appendChild(remove);
    }
    item.appendChild(meta);
  }
  return item;
}

/** The options of an input_select as the contact sees them; in the widget a tap answers them. */
function renderOptions(message, items) {
  const row = el("div", "options");
  const chosen = (message.content_attributes.submitted_values || [])[0];
  for (const item of items) {
    const option = el("span", "option", String(item.title));
    if (chosen && chosen.value === item.value) option.classList.add("chosen");
    row.appendChild(option);
  }
  return row;
}

function renderAttachments(attachments) {
  const box = el("div", "attachments");
  for (const attachment of attachments) {
    const name = decodeURIComponent(String(attachment.data_url || "").split("/").pop() || "file");
    if (attachment.file_type === "image") {
      const img = el("img");
      img.src = attachment.data_url;
      img.alt = name;
      // Images change the height once loaded; stay at the bottom if we were there.
      img.addEventListener("load", () => { if (state.stickToBottom) $("messages").scrollTop = $("messages").scrollHeight; });
      box.appendChild(img);
    } else if (attachment.file_type === "video") {
      const video = el("video");
      video.src = attachment.data_url;
      video.controls = true;
      box.appendChild(video);
    } else if (attachment.file_type === "audio") {
      const audio = el("audio");
      audio.src = attachment.data_url;
      audio.controls = true;
      box.appendChild(audio);
    } else {
      const link = el("a", "file", `📄 ${name} (${Math.max(1, Math.round((attachment.file_size || 0) / 1024))} KB)`);
      link.href = attachment.data_url;
      link.target = "_blank";
      link.rel = "noopener";
      box.appendChild(link);
    }
  }
  return box;
}

// ---------------------------------------------------------------- actions

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function showError(text) {
  $("composer-error").textContent = text || "";
}

async function send(event) {
  event.preventDefault();
  if (state.selected === null || state.busy) return;
  const text = $("composer-text").value;
  const files = [...$("composer-files").files];
  if (!text.trim() && files.length === 0) return;
  const currentMode = mode();
  const messageType = currentMode === "contact" ? "incoming" : "outgoing";
  const isPrivate = currentMode === "note";
  state.busy = true;
  $("send-button").disabled = true;
  showError("");
  try {
    if (currentMode === "contact" && !files.length) {
      // As the contact writes in their channel: on WhatsApp-like inboxes a resolved conversation gives a new one.
      const written = await contactMessage({ conversation: state.selected, content: text });
      $("composer-text").value = "";
      await refreshConversations();
      if (written.conversation_id !== state.selected) await selectConversation(written.conversation_id);
      else { await refreshMessages(); renderMessages(true); }
      return;
    }
    if (files.length) {
      const form = new FormData();
      if (text.trim()) form.append("content", text);
      form.append("message_type", messageType);
      form.append("private", isPrivate ? "true" : "false");
      for (const file of files) form.append("attachments[]", file, file.name);
      await api("POST", `/conversations/${state.selected}/messages`, form);
    } else {
      await api("POST", `/conversations/${state.selected}/messages`, { content: text, message_type: messageType, private: isPrivate });
    }
    $("composer-text").value = "";
    $("composer-files").value = "";
    $("file-names").textContent = "";
    await setTyping(false);
    await refreshMessages();
    renderMessages(true);
    refreshConversations();
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
    $("send-button").disabled = false;
  }
}

async function setTyping(on) {
  clearTimeout(state.typingTimer);
  if (state.selected === null || state.typing === on) return;
  state.typing = on;
  try {
    await api("POST", `/conversations/${state.selected}/toggle_typing_status`, { typing_status: on ? "on" : "off", is_private: mode() === "note" });
  } catch (error) {
    console.warn("typing", error);
  }
}

function onInput() {
  if (mode() === "contact") return;
  if ($("composer-text").value.trim()) {
    setTyping(true);
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => setTyping(false), 3000);
  } else {
    setTyping(false);
  }
}

async function setStatus(status) {
  if (state.selected === null) return;
  try {
    await api("POST", `/conversations/${state.selected}/toggle_status`, { status });
    const conversation = await api("GET", `/conversations/${state.selected}`);
    renderHeader(conversation);
    await refreshMessages();
    refreshConversations();
  } catch (error) {
    showError(error.message);
  }
}

async function deleteMessage(id) {
  if (!confirm("Delete this message?")) return;
  try {
    await api("DELETE", `/conversations/${state.selected}/messages/${id}`);
    await refreshMessages();
  } catch (error) {
    showError(error.message);
  }
}

/** The stand-in's "contact writes in their channel" (not a Chatwoot API call). */
async function contactMessage(body) {
  const response = await fetch("/console/contact-message", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ account: state.accountId, ...body }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || data.message || `HTTP ${response.status}`);
  return data;
}

/** A new contact writes into the inbox chosen beside the button (a WhatsApp inbox's bot answers at once). */
async function newTestConversation() {
  const inbox = Number($("inbox-select").value);
  if (!inbox) return showError("No inbox in this account");
  const name = prompt("Contact name for the test conversation", "Test Customer");
  if (!name) return;
  const first = prompt("Their first message", "Hello! Where is my order?");
  if (!first) return;
  try {
    const written = await contactMessage({ inbox, name, content: first });
    state.status = "all";
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.status === "all");
    await refreshConversations();
    await selectConversation(written.conversation_id);
  } catch (error) {
    showError(error.message);
  }
}

// ---------------------------------------------------------------- wiring

document.addEventListener("DOMContentLoaded", () => {
  $("composer").addEventListener("submit", send);
  $("composer-text").addEventListener("input", onInput);
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) send(event);
  });
  $("composer-text").addEventListener("blur", () => setTyping(false));
  $("composer-files").addEventListener("change", () => {
    $("file-names").textContent = [...$("composer-files").files].map((f) => f.name).join(", ");
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => {
      $("composer").classList.toggle("note", mode() === "note");
      $("composer-text").placeholder = mode() === "note" ? "Write a private note (only agents see it)…"
        : mode() === "contact" ? "Write as the contact, as if in their channel (WhatsApp, the widget…)"
        : "Type a reply… (Markdown is sent as typed; Enter sends, Shift+Enter adds a line)";
    });
  }
  $("resolve-button").addEventListener("click", () => setStatus("resolved"));
  $("reopen-button").addEventListener("click", () => setStatus("open"));
  $("new-conversation").addEventListener("click", newTestConversation);
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      state.status = tab.dataset.status;
      for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
      refreshConversations();
    });
  }
  bootstrap();
});
