// Baton's admin page: reads /admin/overview and /admin/outbox with the admin token (kept in sessionStorage, this
// tab only) and puts dead jobs back in their queue. Everything shown is set as text, never as HTML.
"use strict";

const TOKEN_KEY = "baton-admin-token";
const REFRESH_MS = 10000;
let outboxState = "dead";
// What each kind of job does, for people; the kind itself is shown beside it.
const JOB_LABELS = {
  open: "Open a handover", post: "Message to the agents", note: "Note for the agents", close: "Close the conversation",
  reply: "Bot reply in a Chatwoot inbox", survey: "Survey answer", release: "Hand back", bot: "Bot turn", event: "Notification to the callback",
};
let timer = null;

const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
    cache: "no-store",
  });
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const error = new Error(body?.error?.message || `HTTP ${response.status}`);
    error.status = response.status;
    error.code = body?.error?.code;
    throw error;
  }
  return body;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  if (text instanceof Node) td.append(text); else td.textContent = text ?? "—";
  if (className) td.className = className;
  row.append(td);
  return td;
}

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge badge-${kind}`;
  span.textContent = text;
  return span;
}

function time(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  const element = document.createElement("time");
  element.dateTime = iso;
  element.textContent = date.toLocaleString();
  return element;
}

/// Only http(s) links are ever made.
function link(href, text) {
  try {
    const url = new URL(href);
    if (url.protocol !== "http:" && url.protocol !== "https:") return document.createTextNode(text);
  } catch (_) { return document.createTextNode(text); }
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function renderEndpoints(endpoints) {
  const body = $("endpoints").tBodies[0];
  body.replaceChildren();
  for (const endpoint of endpoints) {
    const row = body.insertRow();
    const name = document.createElement("div");
    const strong = document.createElement("strong");
    strong.textContent = endpoint.name;
    const id = document.createElement("span");
    id.className = "muted";
    id.textContent = ` ${endpoint.id}`;
    name.append(strong, id);
    cell(row, name);
    cell(row, endpoint.channels.join(", ") || "none");
    const desk = document.createElement("div");
    desk.className = "health";
    const kind = endpoint.status === "ok" ? "ok" : endpoint.status === "failed" ? "failed" : "none";
    desk.append(badge(kind === "ok" ? "Healthy" : kind === "failed" ? "Failing" : "No desk", kind));
    const detail = document.createElement("span");
    detail.textContent = endpoint.detail;
    desk.append(detail);
    if (endpoint.fix) {
      const fix = document.createElement("span");
      fix.className = "fix";
      fix.textContent = `Fix: ${endpoint.fix}`;
      desk.append(fix);
    }
    cell(row, desk);
    cell(row, String(endpoint.liveHandovers), "number");
  }
}

function renderHandovers(overview) {
  const body = $("handovers").tBodies[0];
  body.replaceChildren();
  for (const handover of overview.handovers) {
    const row = body.insertRow();
    cell(row, handover.session, "mono");
    cell(row, handover.endpoint);
    cell(row, badge(handover.phase === "opening" ? "Opening" : handover.agent ? "With an agent" : "Queued", handover.phase === "opening" ? "none" : handover.agent ? "ok" : "waiting"));
    cell(row, handover.agent);
    cell(row, handover.link ? link(handover.link, `#${handover.conversation}`) : handover.conversation ? `#${handover.conversation}` : "—");
    cell(row, time(handover.openedAt));
  }
  $("handover-count").textContent = overview.handoversTruncated ? `(${overview.handovers.length}+)` : `(${overview.handovers.length})`;
  $("handovers-empty").hidden = overview.handovers.length > 0;
  $("handovers").hidden = overview.handovers.length === 0;
}

function renderOutboxTotals(outbox) {
  const parts = [`${outbox.pending} pending`, `${outbox.dead} dead`];
  if (outbox.oldestPendingAt) parts.push(`oldest pending since ${new Date(outbox.oldestPendingAt).toLocaleString()}`);
  $("outbox-totals").textContent = parts.join(" · ");
}

async function retry(id, button) {
  button.disabled = true;
  button.textContent = "Retrying…";
  try {
    await api(`/admin/outbox/${encodeURIComponent(id)}/retry`, { method: "POST" });
    await refresh();
  } catch (error) {
    showLoadError(error);
    button.disabled = false;
    button.textContent = "Retry";
  }
}

function renderOutbox(listing) {
  const body = $("outbox").tBodies[0];
  body.replaceChildren();
  for (const item of listing.items) {
    const row = body.insertRow();
    row.dataset.job = String(item.id);
    const job = document.createElement("div");
    const kind = document.createElement("strong");
    kind.textContent = JOB_LABELS[item.kind] || item.kind;
    const id = document.createElement("span");
    id.className = "muted";
    id.textContent = ` ${item.kind} #${item.id}`;
    job.append(kind, id);
    cell(row, job);
    cell(row, item.session, "mono");
    cell(row, String(item.attempts), "number");
    cell(row, time(item.createdAt));
    cell(row, item.lastError, "error-text");
    const action = cell(row, "");
    if (outboxState === "dead") {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Retry";
      button.setAttribute("aria-label", `Retry job ${item.id}`);
      button.addEventListener("click", () => retry(item.id, button));
      action.append(button);
    }
  }
  $("outbox-empty").textContent = outboxState === "dead" ? "No dead letters: every job was delivered or is still being tried." : "Nothing is waiting.";
  $("outbox-empty").hidden = listing.items.length > 0;
  $("outbox").hidden = listing.items.length === 0;
}

function showLoadError(error) {
  $("load-error").textContent = error ? `Could not load: ${error.message}` : "";
  $("load-error").hidden = !error;
}

async function refresh() {
  try {
    const [overview, listing] = await Promise.all([api("/admin/overview"), api(`/admin/outbox?state=${outboxState}`)]);
    renderEndpoints(overview.endpoints);
    renderHandovers(overview);
    renderOutboxTotals(overview.outbox);
    renderOutbox(listing);
    showLoadError(null);
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    return true;
  } catch (error) {
    if (error.status === 401 || error.status === 404) { signOut(error.status === 404 ? "The admin API is off: set admin.token in Baton's config." : "That token is not the admin token."); return false; }
    showLoadError(error);
    return false;
  }
}

function showDashboard(visible) {
  $("dashboard").hidden = !visible;
  $("session-actions").hidden = !visible;
  $("sign-in").hidden = visible;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(timer);
  showDashboard(false);
  $("sign-in-error").textContent = message || "";
  $("token").focus();
}

async function start() {
  showDashboard(true);
  if (await refresh()) {
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }
}

function selectTab(state) {
  outboxState = state;
  for (const [id, value] of [["tab-dead", "dead"], ["tab-pending", "pending"]]) $(id).setAttribute("aria-selected", String(value === state));
  $("outbox-panel").setAttribute("aria-labelledby", state === "dead" ? "tab-dead" : "tab-pending");
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    $("sign-in-error").textContent = "";
    start();
  });
  $("refresh").addEventListener("click", refresh);
  $("sign-out").addEventListener("click", () => signOut(""));
  $("tab-dead").addEventListener("click", () => selectTab("dead"));
  $("tab-pending").addEventListener("click", () => selectTab("pending"));
  $("load-error").hidden = true;
  if (token()) start(); else showDashboard(false);
});
