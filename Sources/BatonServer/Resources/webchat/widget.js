// Baton widget: one <script> tag puts a launcher and a chat panel on any page. Docs: docs/widget.md.
//
//   <script src="https://chat.example.com/widget.js" data-endpoint="support" async></script>
//
// The chat itself is Baton's webchat page in an iframe (?embed=1), so its code, styles and storage stay on
// Baton's origin and out of the host page's way. This file only draws the launcher, hosts the panel and
// offers the JavaScript API (window.Baton). It runs under a strict Content-Security-Policy: no inline
// script, no eval, no inline style attributes (styles go through constructable stylesheets or CSSOM, which
// CSP does not restrict; a <style> fallback carries the script's nonce). It writes nothing to cookies or
// storage until the user has interacted with the chat.
'use strict';
(() => {
  if (window.Baton && window.Baton.version) return; // loaded twice: the first copy stays in charge

  // ---- Configuration from the <script> tag -----------------------------------------------------------------
  const script = document.currentScript || document.querySelector('script[src*="widget.js"][data-endpoint]');
  if (!script) return;
  const data = script.dataset;
  const origin = new URL(script.src, location.href).origin;
  const endpoint = data.endpoint || 'demo';
  // Each endpoint's branding from its config, written into this file by the server that sends it; the script
  // tag's data- attributes win over it.
  const BRANDS = /*BATON_BRANDS*/{};
  const brand = (Object.prototype.hasOwnProperty.call(BRANDS, endpoint) && BRANDS[endpoint]) || {};
  const position = (data.position || brand.position) === 'left' ? 'left' : 'right';
  const FLAG = 'baton.widget.' + endpoint; // host-side memory: "this visitor has talked to us" (after interaction)

  const storage = (kind) => { try { return window[kind]; } catch { return null; } };
  const remember = {
    get(kind) { try { return storage(kind)?.getItem(FLAG); } catch { return null; } },
    set(kind, v) { try { storage(kind)?.setItem(FLAG, v); } catch { /* storage may be blocked */ } },
    clear() { for (const k of ['localStorage', 'sessionStorage']) try { storage(k)?.removeItem(FLAG); } catch { /* ignore */ } },
  };

  // ---- Styles: everything lives in a shadow root, so the host page's CSS cannot break it, nor it the page's ----
  const CSS = `
:host { all: initial; }
.launcher, .panel { position: fixed; z-index: 2147483000; }
.launcher {
  bottom: var(--baton-launcher-offset, 20px); right: var(--baton-launcher-offset, 20px);
  width: 60px; height: 60px; border-radius: 50%; border: 0; padding: 0; cursor: pointer;
  display: grid; place-items: center;
  background: var(--baton-accent, #2f6fed); color: var(--baton-on-accent, #fff);
  box-shadow: 0 6px 24px rgba(16, 24, 40, .25); transition: transform .15s;
}
.launcher:hover { transform: scale(1.05); }
.launcher:focus-visible { outline: 3px solid var(--baton-focus, #1b2230); outline-offset: 3px; }
.launcher svg { width: 28px; height: 28px; }
.launcher img { width: 100%; height: 100%; border-radius: 50%; object-fit: cover; }
.launcher .close-icon { display: none; }
:host([data-open]) .launcher .open-icon, :host([data-open]) .launcher img { display: none; }
:host([data-open]) .launcher .close-icon { display: block; }
:host([data-position=left]) .launcher { right: auto; left: var(--baton-launcher-offset, 20px); }
.badge {
  position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px;
  background: #c0262d; color: #fff; font: 700 12px/20px system-ui, sans-serif; text-align: center;
}
.panel {
  bottom: calc(var(--baton-launcher-offset, 20px) + 76px); right: var(--baton-launcher-offset, 20px);
  width: var(--baton-panel-width, 380px); height: min(var(--baton-panel-height, 620px), calc(100vh - 120px));
  border-radius: var(--baton-panel-radius, 16px); overflow: hidden; background: #fff;
  box-shadow: 0 12px 48px rgba(16, 24, 40, .28);
}
:host([data-position=left]) .panel { right: auto; left: var(--baton-launcher-offset, 20px); }
.panel[hidden] { display: none; }
iframe { display: block; width: 100%; height: 100%; border: 0; }
/* Phones: the panel takes the whole screen (its header has the close button); the launcher steps aside. */
@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }
  :host([data-open]) .launcher { display: none; }
}
@media (prefers-reduced-motion: reduce) { .launcher { transition: none; } }
`;

  const host = document.createElement('div');
  host.id = 'baton-widget';
  host.dataset.position = position;
  // Theme from data- attributes; CSS custom properties set by the host page on #baton-widget work too.
  const setVar = (name, value) => { if (value && CSS_SUPPORTS('color', value)) host.style.setProperty(name, value); };
  function CSS_SUPPORTS(prop, value) { return typeof CSS === 'undefined' || !CSS.supports || CSS.supports(prop, value); }
  setVar('--baton-accent', data.color || brand.color);
  setVar('--baton-on-accent', data.textColor || brand.textColor);
  const root = host.attachShadow({ mode: 'open' });
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    if (script.nonce) style.nonce = script.nonce; // allowed by a CSP that allowed this script by its nonce
    style.textContent = CSS;
    root.append(style);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function icon(cls, d) {
    const s = document.createElementNS(SVG, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('class', cls);
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('fill', 'currentColor');
    p.setAttribute('d', d);
    s.append(p);
    return s;
  }

  // The chat speaks the language asked for here (data-language, else the host page's `lang`), else the browser's,
  // else the endpoint's; webchat.js picks it the same way from what it is given. The launcher's own words:
  const LAUNCHER_WORDS = {
    en: { open: 'Open chat: {title}', close: 'Close chat: {title}', unread: '{count} new' },
    de: { open: 'Chat öffnen: {title}', close: 'Chat schließen: {title}', unread: '{count} neu' },
    es: { open: 'Abrir el chat: {title}', close: 'Cerrar el chat: {title}', unread: '{count} nuevos' },
    fr: { open: 'Ouvrir le chat\u00a0: {title}', close: 'Fermer le chat\u00a0: {title}', unread: '{count} nouveaux' },
    pt: { open: 'Abrir o chat: {title}', close: 'Fechar o chat: {title}', unread: '{count} novas' },
  };
  const askedLanguage = (data.language || document.documentElement.lang || '').trim();
  const wordsLanguage = [askedLanguage, ...(navigator.languages || [navigator.language]), brand.language]
    .filter((tag) => typeof tag === 'string' && tag)
    .map((tag) => tag.toLowerCase().replace(/_/g, '-'))
    .flatMap((tag) => [tag, tag.split('-')[0]])
    .find((tag) => LAUNCHER_WORDS[tag]) || 'en';
  const words = (key, values) => Object.entries(values).reduce((text, [name, value]) => text.split('{' + name + '}').join(value), LAUNCHER_WORDS[wordsLanguage][key]);

  const title = data.title || (typeof brand.title === 'string' && brand.title.trim()) || 'Chat';
  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = 'launcher';
  launcher.setAttribute('aria-label', words('open', { title }));
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', 'baton-panel');
  const avatar = data.avatar ? safeHttpUrl(data.avatar) : typeof brand.logo === 'string' ? safeHttpUrl(brand.logo) : null;
  if (avatar) {
    const img = document.createElement('img');
    img.src = avatar;
    img.alt = '';
    launcher.append(img);
  } else {
    launcher.append(icon('open-icon', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z'));
  }
  launcher.append(icon('close-icon', 'M18.3 5.7 12 12l6.3 6.3-1.4 1.4L12 13.4l-6.3 6.3-1.4-1.4L10.6 12 4.3 5.7l1.4-1.4L12 10.6l6.3-6.3z'));
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  launcher.append(badge);

  const panel = document.createElement('div');
  panel.className = 'panel';
  panel.id = 'baton-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', title);
  root.append(panel, launcher);

  function safeHttpUrl(s) {
    try { const u = new URL(s, location.href); return /^https?:$/.test(u.protocol) ? u.href : null; } catch { return null; }
  }

  // Why deleteConversation() was refused, for the Error's message (its `code` is the server's).
  const DELETE_REFUSALS = {
    handover_in_progress: 'An agent is handling this conversation; it can be deleted once they are done.',
    not_allowed: 'This chat does not let users delete their conversation (webchat.userCanDelete: false).',
    not_connected: 'The chat is not connected; try again in a moment.',
    interrupted: 'The connection dropped before the deletion was confirmed, and the conversation is still there.',
  };

  // ---- The chat frame: created on first use, so a visitor who never opens the chat costs one small script ----
  let frame = null, frameReady = false, isOpen = false, user = null;
  let deletion = null; // deleteConversation()'s promise and how to settle it, until the chat answers
  const unread = new Set();           // ids of the messages that came while the panel was closed
  const toFrame = []; // commands waiting for the frame to load

  function ensureFrame() {
    if (frame) return;
    const q = new URLSearchParams({ embed: '1', origin: location.origin });
    if (askedLanguage) q.set('lang', askedLanguage);
    if (data.title) q.set('title', data.title);
    if (data.color) q.set('accent', data.color);
    if (data.textColor) q.set('onAccent', data.textColor);
    if (avatar) q.set('avatar', avatar);
    const botAvatar = data.botAvatar ? safeHttpUrl(data.botAvatar) : null;
    if (botAvatar) q.set('botAvatar', botAvatar);
    frame = document.createElement('iframe');
    frame.title = title;
    frame.src = `${origin}/webchat/${encodeURIComponent(endpoint)}?${q}`;
    // Microphone, camera and the like are not needed; the chat may go full screen for videos.
    frame.allow = 'fullscreen';
    panel.append(frame);
    if (user) post({ type: 'setUser', user });
  }

  function post(msg) {
    if (!frame) return;
    if (!frameReady) { toFrame.push(msg); return; }
    frame.contentWindow.postMessage({ batonWidget: 1, ...msg }, origin);
  }

  addEventListener('message', (e) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    const m = e.data;
    if (!m || m.batonWidget !== 1) return;
    switch (m.type) {
      case 'loaded':
        frameReady = true;
        post({ type: 'visibility', open: isOpen });
        for (const c of toFrame.splice(0)) post(c);
        break;
      case 'ready': emit('connected', { resumed: !!m.resumed }); break;
      case 'interacted':
        // The user has written: now the widget may remember, for their next page, that a chat is going on.
        remember.set('localStorage', '1');
        remember.set('sessionStorage', isOpen ? 'open' : 'closed');
        break;
      case 'message':
        if (!isOpen && m.message && m.message.sender !== 'user') { unread.add(m.message.id); showBadge(); }
        emit('message', m.message);
        break;
      case 'retract':
        // A message taken back (deleted by the agent, or moved: its copy comes as a message) is no longer news.
        if (unread.delete(m.id)) showBadge();
        emit('retract', m.movedTo === undefined ? { id: m.id } : { id: m.id, movedTo: m.movedTo });
        break;
      case 'handover': emit('handover', { phase: m.phase ?? null, number: m.number || 0 }); break;
      case 'deleted':
        // The conversation was deleted (in the panel, or by deleteConversation()): its messages are no longer news.
        unread.clear();
        showBadge();
        deletion?.resolve();
        deletion = null;
        emit('deleted', {});
        break;
      case 'deleteFailed': {
        const error = new Error(DELETE_REFUSALS[m.code] || 'The conversation could not be deleted.');
        error.code = m.code;
        deletion?.reject(error);
        deletion = null;
        break;
      }
      case 'close': close(); break;
      default: break;
    }
  });

  function showBadge() {
    badge.hidden = unread.size === 0;
    badge.textContent = unread.size > 9 ? '9+' : String(unread.size);
    const label = words(isOpen ? 'close' : 'open', { title });
    launcher.setAttribute('aria-label', unread.size ? `${label} (${words('unread', { count: String(unread.size) })})` : label);
  }

  // ---- Opening and closing -----------------------------------------------------------------------------------
  function open() {
    ensureFrame();
    if (isOpen) return;
    isOpen = true;
    panel.hidden = false;
    host.setAttribute('data-open', '');
    launcher.setAttribute('aria-expanded', 'true');
    unread.clear();
    showBadge();
    post({ type: 'visibility', open: true });
    post({ type: 'focus' });
    if (remember.get('localStorage')) remember.set('sessionStorage', 'open');
    fitToViewport();
    emit('opened');
  }
  function close() {
    if (!isOpen) return;
    const hadFocus = host.matches(':focus-within') || document.activeElement === frame || document.activeElement === host;
    isOpen = false;
    panel.hidden = true;
    host.removeAttribute('data-open');
    launcher.setAttribute('aria-expanded', 'false');
    showBadge();
    post({ type: 'visibility', open: false });
    if (remember.get('localStorage')) remember.set('sessionStorage', 'closed');
    if (hadFocus) launcher.focus(); // keyboard users land where they started
    emit('closed');
  }
  const toggle = () => (isOpen ? close() : open());
  launcher.addEventListener('click', toggle);

  // On phones the on-screen keyboard shrinks the visual viewport, not the layout one: keep the panel inside
  // what is visible so the message box stays above the keyboard.
  function fitToViewport() {
    const vv = window.visualViewport;
    if (!vv || !isOpen || !matchMedia('(max-width: 480px)').matches) {
      panel.style.removeProperty('height');
      panel.style.removeProperty('top');
      return;
    }
    panel.style.setProperty('height', vv.height + 'px');
    panel.style.setProperty('top', vv.offsetTop + 'px');
  }
  window.visualViewport?.addEventListener('resize', fitToViewport);
  window.visualViewport?.addEventListener('scroll', fitToViewport);

  // ---- Events: Baton.on(name, fn) and DOM events "baton:<name>" on window ---------------------------------
  const handlers = new Map();
  let isReady = false;
  function emit(name, detail) {
    for (const fn of [...(handlers.get(name) || [])]) {
      try { fn(detail); } catch (err) { setTimeout(() => { throw err; }); } // a bad handler must not stop others
    }
    window.dispatchEvent(new CustomEvent('baton:' + name, { detail }));
  }
  function on(name, fn) {
    if (typeof fn !== 'function') return;
    if (!handlers.has(name)) handlers.set(name, new Set());
    handlers.get(name).add(fn);
    if (name === 'ready' && isReady) fn(); // late subscribers still hear it
  }
  const off = (name, fn) => handlers.get(name)?.delete(fn);

  // ---- The API ---------------------------------------------------------------------------------------------
  const methods = {
    open, close, toggle, on, off,
    /** Sends `text` as the user (it opens no panel; it does start the conversation). */
    sendMessage(text) {
      if (typeof text !== 'string' || !text.trim()) return;
      ensureFrame();
      post({ type: 'send', text });
    },
    /** Who the user is, for the agent: `id` (string), `attributes` ({name, email, …}), and `identifierHash`,
     * the HMAC-SHA256 of `id` with the endpoint's identity secret, computed by your server. */
    setUser(id, attributes, identifierHash) {
      if (id == null || String(id) === '') return;
      user = { id: String(id), attributes: attributes && typeof attributes === 'object' ? attributes : {},
        identifierHash: typeof identifierHash === 'string' ? identifierHash : null };
      post({ type: 'setUser', user });
    },
    /** Deletes the conversation on the server (as the panel's "Delete conversation" does, without asking): a
     * promise, resolved once it is gone and a new one has started, rejected with an `Error` whose `code` says why
     * not (`handover_in_progress`, `not_allowed`, `not_connected`, `interrupted`, `internal`). With no chat on
     * this page or remembered from an earlier one, there is nothing to delete: resolved at once. */
    deleteConversation() {
      if (!frame) return Promise.resolve();
      if (!deletion) {
        let settle;
        const promise = new Promise((resolve, reject) => { settle = { resolve, reject }; });
        deletion = { promise, ...settle };
        post({ type: 'delete' });
      }
      return deletion.promise;
    },
    /** Forgets the conversation and the user (e.g. on logout): the next chat starts afresh. */
    reset() {
      user = null;
      unread.clear();
      showBadge();
      remember.clear();
      post({ type: 'reset' });
    },
  };
  const api = function Baton(command, ...args) { return run(command, args); };
  Object.assign(api, methods, { version: 1 });
  Object.defineProperty(api, 'isOpen', { get: () => isOpen });
  function run(command, args) {
    const fn = methods[command];
    if (typeof fn === 'function') return fn(...args);
    console.warn('Baton: unknown command', command);
    return undefined;
  }

  // Calls made before this script loaded: `Baton('open')` through the stub snippet, or `BatonQueue.push([...])`.
  const queued = [];
  if (typeof window.Baton === 'function' && Array.isArray(window.Baton.q)) for (const a of window.Baton.q) queued.push([...a]);
  if (Array.isArray(window.BatonQueue)) queued.push(...window.BatonQueue);
  window.Baton = api;
  window.BatonQueue = { push: (...commands) => { for (const c of commands) if (Array.isArray(c)) run(c[0], c.slice(1)); } };

  function mount() {
    document.body.append(host);
    for (const c of queued) if (Array.isArray(c)) run(c[0], c.slice(1));
    // A visitor who has chatted before gets the frame at once (their unread count, their open panel).
    if (remember.get('localStorage')) {
      ensureFrame();
      if (remember.get('sessionStorage') === 'open') open();
    }
    isReady = true;
    emit('ready');
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();
