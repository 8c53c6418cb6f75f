// Baton's admin page: reads /admin/overview and /admin/outbox with the admin token (kept in sessionStorage, this
// tab only), puts dead jobs back in their queue, shows the SQLite database's copies and writes one on request
// (/admin/backups), and finds, downloads or erases one user's session (/admin/sessions). Everything shown is set as
// text, never as HTML.
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
    error.diagnostics = body?.error?.diagnostics;
    error.body = body;
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

// With PostgreSQL, the instances listening on the database: which machine and process each is, this one first.
function renderInstanceList(instances) {
  $("instances-card").hidden = !instances;
  if (!instances) return;
  const body = $("instances").tBodies[0];
  body.replaceChildren();
  for (const instance of instances) {
    const row = body.insertRow();
    const who = instance.host ? `${instance.host}, pid ${instance.pid}` : instance.instance;
    const name = cell(row, who);
    if (instance.here) name.append(" ", badge("This one", "none"));
    cell(row, instance.address, "mono");
    cell(row, time(instance.listeningSince));
  }
  $("instance-count").textContent = `(${instances.length})`;
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

// ---- Backups: the SQLite database's copies (no card with PostgreSQL, which has its own tools). ----

function code(text) {
  const element = document.createElement("code");
  element.textContent = text;
  return element;
}

function size(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function renderBackups(backups) {
  $("backups").hidden = !backups;
  if (!backups) return;
  const facts = $("backups-facts");
  facts.replaceChildren();
  $("backups-actions").hidden = !backups.scheduled;
  facts.hidden = !backups.scheduled;
  if (!backups.scheduled) {
    $("backups-schedule").replaceChildren("Baton writes no copies of its SQLite database by itself. Set ", code("storage.sqlite.backups"),
      " in its config, or run ", code("baton backup --to <folder>"), " (from cron, say).");
    $("backups-failure").textContent = "";
    return;
  }
  const hours = backups.everyHours === 1 ? "hour" : `${backups.everyHours} hours`;
  $("backups-schedule").replaceChildren(`A copy every ${hours} into `, code(backups.folder), `, the newest ${backups.keep} kept.`);
  $("backups-failure").textContent = backups.lastFailure
    ? `The last copy failed (${new Date(backups.lastFailure.at).toLocaleString()}): ${backups.lastFailure.reason}` : "";
  if (backups.newest) {
    const newest = document.createElement("span");
    const name = document.createElement("span");
    name.className = "mono";
    name.textContent = backups.newest.name;
    newest.append(name, " · ", time(backups.newest.at));
    fact(facts, "Newest copy", newest);
    fact(facts, "Size", size(backups.newest.bytes));
  } else {
    fact(facts, "Newest copy", "none yet");
  }
  fact(facts, "Copies kept", String(backups.copies));
}

async function backUp(button) {
  button.disabled = true;
  button.textContent = "Backing up…";
  $("backed-up").textContent = "";
  $("back-up-error").textContent = "";
  try {
    const written = await api("/admin/backups", { method: "POST" });
    $("backed-up").textContent = `Written: ${written.name} (${size(written.bytes)}, ${written.sessions} session${written.sessions === 1 ? "" : "s"}).`;
    await refresh();
  } catch (error) {
    $("back-up-error").textContent = `No copy was written: ${error.message}`;
  } finally {
    button.disabled = false;
    button.textContent = "Back up now";
  }
}

// ---- Reloading the flows: the config file read again, its errors listed as `baton check` prints them. ----

// With several instances on one database, each reloads its own file: a line for each, this one first.
function renderReloadInstances(instances) {
  const items = (instances || []).map((instance) => {
    const item = document.createElement("li");
    const who = instance.host ? `${instance.host}, pid ${instance.pid}` : instance.address || instance.instance;
    const names = (list) => (list || []).join(", ");
    const [label, kind, text] =
      instance.status === "reloaded" ? ["Reloaded", "ok", names(instance.reloaded) || "nothing changed"]
      : instance.status === "refused" ? ["Refused", "failed", "its config has errors (below); its running flows stay"]
      : ["No answer", "waiting", "did not answer in time; send it SIGHUP"];
    item.append(badge(label, kind), `${who}${instance.here ? " (this one)" : ""}: ${text}`);
    return item;
  });
  $("reload-instances").replaceChildren(...items);
}

async function reloadFlows(button) {
  button.disabled = true;
  button.textContent = "Reloading…";
  $("reloaded").textContent = "";
  $("reload-later").textContent = "";
  $("reload-error").replaceChildren();
  $("reload-instances").replaceChildren();
  const list = (names) => names.join(", ");
  try {
    const outcome = await api("/admin/reload", { method: "POST" });
    // With other instances, what changed may differ from one to the next: each has its line below.
    const changed = outcome.instances ? outcome.instances.flatMap((instance) => instance.reloaded || []) : outcome.reloaded;
    const where = outcome.instances ? " on the instances below" : `: ${list(outcome.reloaded)}`;
    $("reloaded").textContent = changed.length
      ? `Reloaded${where}. Conversations go on in the new flow from their next message.`
      : "Nothing changed: every flow is as it was.";
    if (outcome.restartNeeded.length) {
      const settings = outcome.restartNeeded.flatMap((name, index) => [index ? ", " : "", code(name)]);
      $("reload-later").replaceChildren("Also changed, taking effect at the next start: ", ...settings, ".");
    }
    renderReloadInstances(outcome.instances);
  } catch (error) {
    const instances = error.body?.instances;
    renderReloadInstances(instances);
    const intro = document.createElement("p");
    intro.textContent = !error.diagnostics
      ? `Nothing was reloaded: ${error.message}`
      : instances
        ? "Not reloaded everywhere: the config has errors on each instance marked Refused, whose running flows stay."
        : "Nothing was reloaded: the config has errors. The running flows stay.";
    const problems = document.createElement("ul");
    for (const line of error.diagnostics || []) {
      const item = document.createElement("li");
      item.className = "mono";
      item.textContent = line;
      problems.append(item);
    }
    $("reload-error").replaceChildren(intro, problems);
  } finally {
    button.disabled = false;
    button.textContent = "Reload flows";
  }
}

async function refresh() {
  try {
    const [overview, listing] = await Promise.all([api("/admin/overview"), api(`/admin/outbox?state=${outboxState}`)]);
    renderEndpoints(overview.endpoints);
    renderFindBy(overview.endpoints);
    renderHandovers(overview);
    renderOutboxTotals(overview.outbox);
    renderOutbox(listing);
    renderBackups(overview.backups);
    renderInstanceList(overview.instances);
    $("reload-actions").hidden = !overview.reloadable;
    showLoadError(null);
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    return true;
  } catch (error) {
    if (error.status === 401 || error.status === 404) { signOut(error.status === 404 ? "The admin API is off: set admin.token in Baton's config." : "That token is not the admin token."); return false; }
    showLoadError(error);
    return false;
  }
}

// ---- A user's data: find one session (by its id, or by a user's id on an endpoint), download it, erase it. ----

let found = null; // {path, data, url}: the admin API path that names the session shown, its export, its download's URL

function renderFindBy(endpoints) {
  const select = $("find-by");
  const wanted = endpoints.map((endpoint) => endpoint.id).join(",");
  if (select.dataset.endpoints === wanted) return; // refreshed every few seconds: keep what the operator chose
  const chosen = select.value;
  select.replaceChildren(new Option("Session id", ""));
  for (const endpoint of endpoints) select.append(new Option(`User id on ${endpoint.name}`, endpoint.id));
  select.value = endpoints.some((endpoint) => endpoint.id === chosen) ? chosen : "";
  select.dataset.endpoints = wanted;
}

function fact(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  if (value instanceof Node) dd.append(value); else dd.textContent = value ?? "—";
  list.append(dt, dd);
}

function showFound(path, data) {
  if (found?.url) URL.revokeObjectURL(found.url);
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  found = { path, data, url };
  const facts = $("facts");
  facts.replaceChildren();
  const session = document.createElement("span");
  session.className = "mono";
  session.textContent = data.sessionId;
  fact(facts, "Session", session);
  fact(facts, "Endpoint", data.endpoint);
  fact(facts, "User", data.userId);
  fact(facts, "Channel", data.channel);
  fact(facts, "Started", time(data.createdAt));
  fact(facts, "Last written", time(data.updatedAt));
  fact(facts, "Messages", String(data.messages.length));
  const profile = data.profile && typeof data.profile === "object" ? Object.keys(data.profile) : [];
  fact(facts, "Profile", profile.length ? profile.join(", ") : "—");
  const handover = data.handover;
  fact(facts, "Last handover", handover
    ? [`#${handover.number}, ${handover.status}`, handover.agentName, handover.conversationId ? `Chatwoot conversation ${handover.conversationId}` : null]
      .filter(Boolean).join(" · ")
    : "none");
  $("download").href = url;
  $("download").download = `baton-${data.sessionId}.json`;
  closeEraseConfirm();
  $("found").hidden = false;
}

function clearFound() {
  if (found?.url) URL.revokeObjectURL(found.url);
  found = null;
  $("found").hidden = true;
  closeEraseConfirm();
}

async function find(event) {
  event.preventDefault();
  const endpoint = $("find-by").value;
  const id = $("find-id").value.trim();
  $("find-error").textContent = "";
  $("erased").textContent = "";
  if (!id) return;
  const path = endpoint
    ? `/admin/sessions?endpoint=${encodeURIComponent(endpoint)}&userId=${encodeURIComponent(id)}`
    : `/admin/sessions/${encodeURIComponent(id)}`;
  try {
    showFound(path, await api(path));
  } catch (error) {
    clearFound();
    $("find-error").textContent = error.code === "session_not_found" ? "Baton keeps no session for that id." : `Could not look it up: ${error.message}`;
  }
}

function closeEraseConfirm() {
  $("erase-confirm").hidden = true;
  $("erase").setAttribute("aria-expanded", "false");
}

async function erase(button) {
  if (!found) return;
  button.disabled = true;
  try {
    await api(found.path, { method: "DELETE" });
    const id = found.data.sessionId;
    clearFound();
    $("erased").textContent = `Erased session ${id}.`;
    $("find-id").value = "";
    refresh();
  } catch (error) {
    closeEraseConfirm();
    $("find-error").textContent = error.code === "handover_in_progress"
      ? "A handover is in progress: an agent has this user. Resolve the conversation in Chatwoot, then erase it."
      : error.code === "session_not_found" ? "It was already deleted." : `Could not erase it: ${error.message}`;
  } finally {
    button.disabled = false;
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
  // A user's data stays on the page no longer than the token.
  clearFound();
  $("find-id").value = "";
  $("find-error").textContent = "";
  $("erased").textContent = "";
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
  $("find-form").addEventListener("submit", find);
  $("find-by").addEventListener("change", () => {
    $("find-id-label").textContent = $("find-by").value ? "User id" : "Session id";
  });
  $("erase").addEventListener("click", () => {
    const open = $("erase-confirm").hidden;
    $("erase-confirm").hidden = !open;
    $("erase").setAttribute("aria-expanded", String(open));
    if (open) $("erase-cancel").focus();
  });
  $("erase-cancel").addEventListener("click", () => { closeEraseConfirm(); $("erase").focus(); });
  $("erase-confirmed").addEventListener("click", (event) => erase(event.currentTarget));
  $("back-up").addEventListener("click", (event) => backUp(event.currentTarget));
  $("reload").addEventListener("click", (event) => reloadFlows(event.currentTarget));
  if (token()) start(); else showDashboard(false);
});
