// Baton webchat client. Protocol: docs/webchat-protocol.md.
// No dependencies and nothing inline, so it runs under a strict CSP (default-src 'self').
// Security rule for this file: message content only ever reaches the DOM through
// createElement + textContent/append; never through an HTML parser.
'use strict';
(() => {
  const MAX_TEXT = 4000;              // server limit on `text`, in characters
  const BACKOFF_MIN = 500, BACKOFF_MAX = 10000;
  const TYPING_HIDE_MS = 30000;       // hide a peer's typing dots if no update arrives
  const BOT_TYPING_MS = 6000;         // the bot's dots, shown while it works on an answer, give up after this
  const NEAR_BOTTOM_PX = 80;          // "at the bottom" tolerance for auto-scroll
  const WATCHDOG_MS = 15000;          // give up on a socket that never reaches `ready`
  // A dropped network often leaves the socket half-open: no close event, just silence. After this much
  // silence the page sends a `ping`; with no frame back in PONG_TIMEOUT_MS it gives the socket up.
  const PING_AFTER_MS = 20000, PONG_TIMEOUT_MS = 10000;

  // ---- Endpoint and storage ------------------------------------------------
  const seg = /^\/webchat\/([^/]+)/.exec(location.pathname);
  const rawToken = seg ? seg[1] : '';
  let urlToken = rawToken;
  try { urlToken = decodeURIComponent(rawToken); } catch { /* keep raw */ }
  const KEY_SESSION = 'baton.session.' + urlToken;
  const KEY_LAST = 'baton.lastId.' + urlToken;

  // Embedded by widget.js (docs/widget.md): ?embed=1&origin=<host page origin>&title=&accent=&onAccent=&avatar=
  const params = new URLSearchParams(location.search);
  const embed = params.get('embed') === '1' && window.parent !== window;
  const hostOrigin = embed ? params.get('origin') : null;

  // localStorage throws in some privacy modes; the chat must still work, just without memory.
  // Embedded, nothing is written until the user first interacts (a site's visitors must not get storage
  // for a chat they never used); until then writes wait in memory. A stored session means they did before.
  const held = new Map();
  const store = {
    persist: !embed,
    get(k) { try { return localStorage.getItem(k); } catch { return null; } },
    set(k, v) {
      if (!this.persist) { held.set(k, v); return; }
      try { localStorage.setItem(k, v); } catch { /* ignore */ }
    },
    remove(k) { held.delete(k); try { localStorage.removeItem(k); } catch { /* ignore */ } },
  };
  if (store.get(KEY_SESSION)) store.persist = true;

  // ---- Words: the page's own (webchat-texts.js), in the user's language ----------------------------------
  // Picked as Baton picks its notices': the language asked for (the widget's data-language, or its host page's
  // `lang`), else the browser's, each by its base too (`pt` for `pt-BR`); when the page knows none of them (its own
  // five, and those the endpoint's `texts` add, which `ready` brings), the endpoint's language, else English. The
  // same tag goes to the server in `hello`, so notices and page agree.
  const TEXTS = window.BatonWebchatTexts || { en: {} };
  function knownLanguage(tags) {
    for (const tag of tags) {
      if (typeof tag !== 'string' || !tag.trim()) continue;
      const normal = tag.trim().toLowerCase().replace(/_/g, '-');
      if (TEXTS[normal]) return normal;
      const base = normal.split('-')[0];
      if (TEXTS[base]) return base;
    }
    return null;
  }
  const askedLanguage = params.get('lang') || null;
  const userLanguage = askedLanguage || navigator.language || null;
  const userLanguages = [askedLanguage, ...(navigator.languages || [navigator.language])];
  let language = knownLanguage(userLanguages) || 'en';
  // `t('tooLong', {max: 4000})`: the text in the page's language (English where a language lacks one).
  function t(key, values) {
    let text = (TEXTS[language] && TEXTS[language][key]) || (TEXTS.en && TEXTS.en[key]) || key;
    for (const [name, value] of Object.entries(values || {})) text = text.split('{' + name + '}').join(String(value));
    return text;
  }
  // The words written in index.html: `data-text` (the text), `data-label` (aria-label), `data-tip` (title),
  // `data-placeholder`.
  function applyTexts() {
    document.documentElement.lang = language;
    for (const node of document.querySelectorAll('[data-text]')) node.textContent = t(node.dataset.text);
    for (const node of document.querySelectorAll('[data-label]')) node.setAttribute('aria-label', t(node.dataset.label));
    for (const node of document.querySelectorAll('[data-tip]')) node.title = t(node.dataset.tip);
    for (const node of document.querySelectorAll('[data-placeholder]')) node.placeholder = t(node.dataset.placeholder);
  }
  applyTexts();

  const $ = (id) => document.getElementById(id);
  const ui = {
    title: $('baton-title'), avatar: $('baton-avatar'), status: $('baton-status'),
    statusText: $('baton-status-text'), scroll: $('baton-scroll'), content: $('baton-content'),
    log: $('baton-log'), typing: $('baton-typing'), typingLabel: $('baton-typing-label'),
    jump: $('baton-jump'), notice: $('baton-notice'), form: $('baton-composer'),
    input: $('baton-input'), send: $('baton-send'), close: $('baton-close'),
    attach: $('baton-attach'), file: $('baton-file'), deleteButton: $('baton-delete'), confirm: $('baton-confirm'),
    confirmCancel: $('baton-confirm-cancel'), confirmDelete: $('baton-confirm-delete'),
  };

  // ---- State -------------------------------------------------------------
  let session = store.get(KEY_SESSION) || null;
  // The stored lastId belongs to a previous page; this page has shown nothing yet, so the
  // first hello asks for everything (after=0) and the transcript re-renders from the backlog.
  const storedLastId = Number(store.get(KEY_LAST)) || 0;
  let lastId = 0;                     // highest message id shown in this page
  let ws = null, isReady = false, everReady = false, attempt = 0, reconnectTimer = 0;
  const byId = new Map();             // message id -> row element
  const retracted = new Set();        // ids retracted before/after they were shown
  const outbox = new Map();           // clientMessageId -> {frame, el}; insertion-ordered = send order
  const surveyOutbox = new Map();     // clientMessageId -> frame: survey answers not acknowledged yet
  let qrRow = null;                   // row currently showing quick replies
  let user = null;                    // set by the embedding page: {id, attributes, identifierHash}
  let handoverPhase = null;           // from `handover` frames: null, opening, active, resolved, cancelled, failed, inactive
  let agentName = null;               // the name on the current handover's latest agent message
  const agentAvatars = new Map();     // agent name → picture, from `handover` frames (names shown only when allowed)
  let brandName = t('title');         // the chat's title while the bot has the user
  let brandAvatar = null;             // the header's picture: the widget's data-avatar, else the endpoint's logo
  let botAvatar = null;               // beside the bot's messages: data-bot-avatar, else the endpoint's botAvatar, else the logo
  let agentHere = false;              // an agent took the handover (assigned, or wrote): until then the user is queued
  let handoverNumber = 0;             // which handover the three above belong to
  let subtitle = '';                  // the endpoint's line under the title while the bot has the user
  let liveAfter = Infinity;           // messages above this id are new to this page (not the backlog)
  const announced = new Set();        // ids of messages told to the embedding page
  const announcedRetractions = new Set(); // ids of those it was told were taken back
  let newestAgentId = 0;              // the newest agent message shown
  let seenSent = 0;                   // the newest one the server was told the user saw
  let panelOpen = !embed;             // embedded, the widget says when its panel shows
  let backlogEnd = 0;                 // while > 0, the first backlog is still arriving
  let stick = true;                   // keep the view pinned to the newest message

  // ---- Small DOM helpers -----------------------------------------------------
  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  function svg(paths, cls) {
    const NS = 'http://www.w3.org/2000/svg';
    const s = document.createElementNS(NS, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    if (cls) s.setAttribute('class', cls);
    for (const d of paths) {
      const p = document.createElementNS(NS, 'path');
      p.setAttribute('d', d);
      s.append(p);
    }
    return s;
  }
  // Only absolute http(s) URLs become links/media. Attachments may be relative to Baton itself.
  function safeUrl(s, base) {
    if (typeof s !== 'string') return null;
    try {
      const u = base ? new URL(s, base) : new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch { return null; }
  }
  function link(href, text, cls) {
    const a = el('a', cls || 'baton-link', text);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    return a;
  }

  // ---- Markdown subset: **bold**, *italic*, _italic_, [label](url), bare URLs, line breaks ----
  const LINK_RE = /\[([^[\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/y;
  const URL_RE = /https?:\/\/[^\s<>"'`]+/iy;
  const WORD = /[\p{L}\p{N}]/u;

  // Drop trailing punctuation that is almost never part of a pasted URL ("see https://x.com.").
  function trimUrl(u) {
    for (;;) {
      const last = u[u.length - 1];
      if (/[.,;:!?*]/.test(last)) { u = u.slice(0, -1); continue; }
      if (last === ')' && u.split('(').length < u.split(')').length) { u = u.slice(0, -1); continue; }
      return u;
    }
  }

  // Finds emphasis starting at s[i]; returns {strong, inner, end} or null.
  function emphasis(s, i) {
    const c = s[i];
    if (c === '*' && s[i + 1] === '*') {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2 && !/\s/.test(s[i + 2]) && !/\s/.test(s[end - 1])) {
        return { strong: true, inner: s.slice(i + 2, end), end: end + 2 };
      }
      return null;
    }
    // Single markers only open/close at word boundaries, so snake_case_names and 2*3*4
    // stay literal; `__` is not part of the subset.
    if (s[i + 1] === c || WORD.test(s[i - 1] || '')) return null;
    let j = i + 1;
    while ((j = s.indexOf(c, j)) !== -1) {
      if (s[j + 1] === c) { j += 2; continue; } // a nested **bold** inside *italic*
      if (WORD.test(s[j + 1] || '')) { j++; continue; }
      break;
    }
    if (j === -1 || j === i + 1 || /\s/.test(s[i + 1]) || /\s/.test(s[j - 1])) return null;
    return { strong: false, inner: s.slice(i + 1, j), end: j + 1 };
  }

  function renderInline(s, parent, depth) {
    let buf = '';
    const flush = () => { if (buf) { parent.append(buf); buf = ''; } };
    for (let i = 0; i < s.length;) {
      const c = s[i];
      if (c === '[') {
        LINK_RE.lastIndex = i;
        const m = LINK_RE.exec(s);
        const href = m && safeUrl(m[2]);
        if (href) { flush(); parent.append(link(href, m[1])); i += m[0].length; continue; }
      } else if ((c === 'h' || c === 'H') && !WORD.test(s[i - 1] || '')) {
        URL_RE.lastIndex = i;
        const m = URL_RE.exec(s);
        const raw = m && trimUrl(m[0]);
        const href = raw && safeUrl(raw);
        if (href) { flush(); parent.append(link(href, raw)); i += raw.length; continue; }
      } else if ((c === '*' || c === '_') && depth < 4) {
        const r = emphasis(s, i);
        if (r) {
          flush();
          const node = el(r.strong ? 'strong' : 'em');
          renderInline(r.inner, node, depth + 1);
          parent.append(node);
          i = r.end;
          continue;
        }
        // An unmatched run of markers is literal as a whole ("**" must not become "*" + italic).
        let k = i;
        while (s[k] === c) k++;
        buf += s.slice(i, k);
        i = k;
        continue;
      }
      buf += c;
      i++;
    }
    flush();
  }

  function renderText(text, parent) {
    text.split(/\r\n|\r|\n/).forEach((line, k) => {
      if (k) parent.append(el('br'));
      renderInline(line, parent, 0);
    });
  }

  // ---- Attachments -----------------------------------------------------------
  function fileName(href, name) {
    if (name) return name;
    try {
      const last = new URL(href).pathname.split('/').filter(Boolean).pop();
      if (last) return decodeURIComponent(last);
    } catch { /* fall through */ }
    return 'file';
  }
  // "980 bytes", "14 KB", "2.4 MB": what a file card says of a file's size.
  function formatSize(bytes) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) return '';
    if (bytes < 1000) return bytes + (bytes === 1 ? ' byte' : ' bytes');
    const [value, unit] = bytes < 1e6 ? [bytes / 1e3, 'KB'] : bytes < 1e9 ? [bytes / 1e6, 'MB'] : [bytes / 1e9, 'GB'];
    return (value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value))) + ' ' + unit;
  }
  function fileCard(href, name, size) {
    const a = link(href, null, 'baton-att baton-file');
    a.download = name; // honoured for same-origin files; cross-origin ones just open in a new tab
    const icon = el('span', 'baton-file-icon');
    icon.append(svg(['M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z', 'M14 2v6h6', 'M12 12v6m-3-3 3 3 3-3']));
    const ext = /\.([a-z0-9]{1,5})$/i.exec(name);
    const info = el('span', 'baton-file-info');
    const sub = [ext ? ext[1].toUpperCase() : '', formatSize(size), t('download')].filter(Boolean).join(' · ');
    info.append(el('span', 'baton-file-name', name), el('span', 'baton-file-sub', sub));
    a.append(icon, info);
    return a;
  }
  function player(tag, href, att, name) {
    const m = el(tag, 'baton-att baton-' + tag);
    m.controls = true;
    m.preload = 'metadata';
    if (tag === 'video') m.playsInline = true;
    m.title = name;
    const src = el('source');
    src.src = href;
    if (typeof att.mimeType === 'string' && att.mimeType) src.type = att.mimeType;
    m.append(src);
    return m;
  }
  function renderAttachment(att) {
    if (!att || typeof att !== 'object') return null;
    const href = safeUrl(att.url, location.href);
    const given = typeof att.name === 'string' ? att.name.trim() : '';
    if (!href) return el('div', 'baton-att baton-att-invalid', t('unavailable', { name: given || t('attachment') }));
    switch (att.kind) {
      case 'image':
      case 'gif': {
        const a = link(href, null, 'baton-att baton-image');
        const img = el('img');
        img.alt = given || 'image';
        img.loading = 'lazy';
        img.decoding = 'async';
        img.referrerPolicy = 'no-referrer';
        img.addEventListener('load', () => img.classList.add('is-loaded'));
        // A broken image is still reachable as a plain link.
        img.addEventListener('error', () => a.replaceWith(fileCard(href, fileName(href, given))));
        img.src = href;
        a.append(img);
        return a;
      }
      case 'video': return player('video', href, att, fileName(href, given));
      case 'audio': return player('audio', href, att, fileName(href, given));
      default: return fileCard(href, fileName(href, given), att.size);
    }
  }

  // ---- Message rows ----------------------------------------------------------
  const SENDERS = ['user', 'bot', 'agent', 'system'];
  const pad = (n) => String(n).padStart(2, '0');

  function setTime(row, iso) {
    const meta = row.querySelector('.baton-meta');
    const d = iso ? new Date(iso) : new Date();
    meta.replaceChildren();
    if (isNaN(d)) return;
    const t = el('time', null, pad(d.getHours()) + ':' + pad(d.getMinutes()));
    t.dateTime = d.toISOString();
    t.title = d.toLocaleString();
    meta.append(t);
    row.dataset.time = '1';
    row.dataset.at = String(d.getTime());
  }

  function fillBubble(bubble, m) {
    const text = typeof m.text === 'string' ? m.text : '';
    const atts = Array.isArray(m.attachments) ? m.attachments.map(renderAttachment).filter(Boolean) : [];
    if (text) {
      const t = el('div', 'baton-text');
      renderText(text, t);
      bubble.append(t);
    }
    if (atts.length) {
      const box = el('div', 'baton-attachments');
      box.append(...atts);
      bubble.append(box);
      bubble.classList.toggle('is-media-only', !text);
      bubble.classList.toggle('has-player', atts.some((a) => a.tagName === 'VIDEO' || a.tagName === 'AUDIO'));
    }
  }

  // ---- Cards: a card, a carousel of them, or a row of link buttons under the text --------------------------------
  function buildCards(cards) {
    const items = cards.map(buildCard).filter(Boolean);
    if (!items.length) return null;
    const list = el('ul', 'baton-cards');
    if (items.length > 1) {
      // A carousel scrolls sideways: reachable by keyboard, and named with how many cards it holds.
      list.classList.add('is-carousel');
      list.tabIndex = 0;
      list.setAttribute('aria-label', t('cards', { count: items.length }));
      items.forEach((item, i) => item.setAttribute('aria-label', t('cardOf', { index: i + 1, count: items.length })));
    }
    list.append(...items);
    return list;
  }
  function buildCard(c) {
    if (!c || typeof c !== 'object') return null;
    const card = el('li', 'baton-card');
    const image = typeof c.imageUrl === 'string' ? safeUrl(c.imageUrl) : null;
    if (image) {
      const img = el('img', 'baton-card-image');
      img.alt = '';
      img.loading = 'lazy';
      // A picture that does not load leaves the card as it would be without one, not a broken-image frame.
      img.addEventListener('error', () => img.remove(), { once: true });
      img.src = image;
      card.append(img);
    }
    if (typeof c.title === 'string' && c.title) card.append(el('div', 'baton-card-title', c.title));
    if (typeof c.subtitle === 'string' && c.subtitle) card.append(el('div', 'baton-card-subtitle', c.subtitle));
    const buttons = el('div', 'baton-card-buttons');
    for (const b of Array.isArray(c.buttons) ? c.buttons : []) {
      if (!b || typeof b.title !== 'string' || !b.title) continue;
      const url = typeof b.url === 'string' ? safeUrl(b.url) : null;
      if (url) {
        const a = el('a', 'baton-card-button', b.title);
        a.href = url;
        a.target = '_blank';
        a.rel = 'noopener noreferrer nofollow';
        a.append(el('span', 'baton-sr-only', ' (opens in a new tab)'));
        buttons.append(a);
      } else if (typeof b.payload === 'string') {
        const button = el('button', 'baton-card-button', b.title);
        button.type = 'button';
        button.addEventListener('click', () => sendUser(b.title, b.payload));
        buttons.append(button);
      }
    }
    if (buttons.childElementCount) card.append(buttons);
    if (!card.childElementCount) return null;
    // Buttons alone are links under the text, not a card.
    if (card.childElementCount === 1 && buttons.childElementCount) card.classList.add('is-buttons');
    return card;
  }

  // ---- Satisfaction survey (sent by Chatwoot when an agent resolves), shown as Chatwoot's own widget shows it --
  const RATINGS = [
    { value: 1, emoji: '😞' }, { value: 2, emoji: '😑' }, { value: 3, emoji: '😐' }, { value: 4, emoji: '😀' }, { value: 5, emoji: '😍' },
  ];

  function buildSurvey(row, m) {
    const card = el('div', 'baton-survey');
    const question = el('p', 'baton-survey-question', typeof m.text === 'string' && m.text ? m.text : t('surveyQuestion'));
    question.id = 'baton-survey-q-' + m.id;
    const isStars = m.survey.displayType === 'star';
    const group = el('div', 'baton-survey-ratings' + (isStars ? ' is-stars' : ''));
    group.setAttribute('role', 'group');
    group.setAttribute('aria-labelledby', question.id);
    for (const r of RATINGS) {
      const b = el('button', 'baton-survey-rating', isStars ? '★' : r.emoji);
      b.type = 'button';
      b.dataset.rating = String(r.value);
      b.setAttribute('aria-label', t('surveyRating', { value: r.value, label: t('rating' + r.value) }));
      b.setAttribute('aria-pressed', 'false');
      b.addEventListener('click', () => answerSurvey(row, r.value, null));
      group.append(b);
    }
    const form = el('form', 'baton-survey-feedback');
    form.hidden = true;
    const label = el('label', 'baton-sr-only', t('surveyMore'));
    const box = el('textarea', 'baton-survey-text');
    box.id = label.htmlFor = 'baton-survey-text-' + m.id;
    box.rows = 2;
    box.maxLength = 2000;
    box.placeholder = t('surveyMore');
    const send = el('button', 'baton-survey-send', t('surveySend'));
    send.type = 'submit';
    form.append(label, box, send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = box.value.trim();
      if (text && row.dataset.rating) answerSurvey(row, Number(row.dataset.rating), text);
    });
    const status = el('p', 'baton-survey-status');
    status.setAttribute('role', 'status');
    card.append(question, group, form, status);
    return card;
  }

  // Shows the survey as answered with `rating` (from our own click, an ack, or the stored answer after a reload).
  function showSurveyAnswer(row, rating, feedbackSent) {
    if (!row) return;
    row.dataset.rating = String(rating);
    // Stars fill up to the rating; an emoji stands alone.
    const isStars = !!row.querySelector('.baton-survey-ratings.is-stars');
    for (const b of row.querySelectorAll('.baton-survey-rating')) {
      const on = isStars ? Number(b.dataset.rating) <= rating : Number(b.dataset.rating) === rating;
      b.classList.toggle('is-selected', on);
      b.setAttribute('aria-pressed', String(Number(b.dataset.rating) === rating));
    }
    const form = row.querySelector('.baton-survey-feedback');
    const status = row.querySelector('.baton-survey-status');
    if (feedbackSent) {
      form.hidden = true;
      status.textContent = t('surveyThanks');
    } else {
      form.hidden = false;
      status.textContent = t('surveyRated', { rating });
    }
  }

  function answerSurvey(row, rating, feedback) {
    interacted();
    const frame = { type: 'survey', messageId: Number(row.dataset.messageId), rating, clientMessageId: randomId() };
    if (feedback) frame.feedback = feedback;
    surveyOutbox.set(frame.clientMessageId, frame);
    showSurveyAnswer(row, rating, !!feedback);
    flushOutbox();
  }

  function buildRow(m) {
    const sender = SENDERS.includes(m.sender) ? m.sender : 'bot';
    const row = el('div', 'baton-message baton-message--' + sender);
    row.dataset.sender = sender;
    if (m.id != null) row.dataset.messageId = String(m.id);
    if (typeof m.clientMessageId === 'string') row.dataset.clientMessageId = m.clientMessageId;
    // What "Send again" sends, should the agents never get it.
    if (sender === 'user' && typeof m.text === 'string' && m.text) row.dataset.text = m.text;
    if (sender === 'agent' && typeof m.agentName === 'string' && m.agentName) {
      row.dataset.agentName = m.agentName;
      row.append(el('div', 'baton-name', m.agentName));
    }
    if (sender === 'system' && m.survey && typeof m.survey === 'object' && m.id != null) {
      row.classList.add('baton-message--survey');
      row.append(buildSurvey(row, m), el('div', 'baton-meta'));
      return row;
    }
    const bubble = el('div', 'baton-bubble');
    fillBubble(bubble, m);
    if (sender !== 'bot' && sender !== 'agent') {
      row.append(bubble, el('div', 'baton-meta'));
      return row;
    }
    // The bubble and its cards, beside the author's picture; a message of cards alone has no empty bubble.
    const stack = el('div', 'baton-stack');
    const cards = Array.isArray(m.cards) ? buildCards(m.cards) : null;
    if (bubble.childElementCount || !cards) stack.append(bubble);
    if (cards) stack.append(cards);
    row.append(withFace(stack, row), el('div', 'baton-meta'));
    return row;
  }

  // Consecutive messages from the same author within a few minutes are a group: they sit closer together, show
  // the name once (on the first) and the time once (on the last).
  const GROUP_GAP_MS = 5 * 60 * 1000;
  function regroup(row) {
    if (!row) return;
    const prev = row.previousElementSibling;
    const same = prev && row.dataset.sender !== 'system' && prev.dataset.sender === row.dataset.sender &&
      prev.dataset.agentName === row.dataset.agentName &&
      !(Number(row.dataset.at) - Number(prev.dataset.at) > GROUP_GAP_MS);
    row.classList.toggle('is-continued', !!same);
    if (prev) prev.classList.toggle('is-followed', !!same);
  }

  // Keeps the log ordered: confirmed rows by id, then pending/failed user bubbles in send order.
  function place(row, id) {
    let ref = null;
    for (let n = ui.log.lastElementChild; n; n = n.previousElementSibling) {
      if (n === row) continue;
      if (n.dataset.pending === 'true' || n.dataset.failed === 'true' || Number(n.dataset.messageId) > id) ref = n;
      else break;
    }
    if (row.parentNode !== ui.log || row.nextElementSibling !== ref) ui.log.insertBefore(row, ref);
    regroup(row);
    regroup(row.nextElementSibling);
  }

  // Baton's notice that the agents never got one of the user's messages: that bubble says so, and the notice offers
  // to send its text again (a file has to be chosen again).
  function showUndelivered(notice, userRow) {
    if (!userRow || userRow.dataset.sender !== 'user') return;
    userRow.classList.add('is-failed');
    const meta = userRow.querySelector('.baton-meta');
    if (!meta.querySelector('.baton-failed')) meta.append(el('span', 'baton-failed', t('notDelivered')));
    const text = userRow.dataset.text;
    if (!text || userRow.dataset.deleted) return;
    const box = el('div', 'baton-quick-replies');
    const again = el('button', 'baton-quick-reply', t('sendAgain'));
    again.type = 'button';
    again.addEventListener('click', () => { box.remove(); sendUser(text); });
    box.append(again);
    notice.append(box);
  }

  function markDeleted(row) {
    const bubble = row.querySelector('.baton-bubble');
    bubble.className = 'baton-bubble';
    bubble.replaceChildren(el('span', 'baton-deleted', t('messageDeleted')));
    row.classList.add('is-deleted');
    row.dataset.deleted = 'true';
    if (qrRow === row) hideQuickReplies();
  }

  function showQuickReplies(row, replies) {
    hideQuickReplies();
    const box = el('div', 'baton-quick-replies');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', t('suggested'));
    for (const qr of replies) {
      if (!qr || typeof qr.title !== 'string' || !qr.title) continue;
      const b = el('button', 'baton-quick-reply', qr.title);
      b.type = 'button';
      b.addEventListener('click', () => sendUser(qr.title, typeof qr.payload === 'string' ? qr.payload : qr.title));
      box.append(b);
    }
    if (!box.childElementCount) return;
    row.append(box);
    qrRow = row;
  }
  function hideQuickReplies() {
    if (qrRow) qrRow.querySelector('.baton-quick-replies')?.remove();
    qrRow = null;
  }

  // ---- Incoming frames -----------------------------------------------------
  function onReady(f) {
    // A draft's stream ended with the old connection; the stored answer (or nothing) comes with the backlog.
    dropDraft();
    if (typeof f.session === 'string' && f.session) {
      session = f.session;
      store.set(KEY_SESSION, session);
    }
    if (!f.resumed) {
      // A new session: whatever this page showed belongs to a conversation the server forgot.
      for (const row of [...ui.log.children]) if (!row.dataset.pending && !row.dataset.failed) row.remove();
      byId.clear();
      retracted.clear();
      // Its ids start at 1 again: the embedding page is to hear of its messages too (after `reset`, say), and the
      // server of what the user sees.
      announced.clear();
      announcedRetractions.clear();
      newestAgentId = seenSent = 0;
      qrRow = null;
      lastId = 0;
      store.set(KEY_LAST, '0');
    }
    const brand = f.endpoint && typeof f.endpoint === 'object' ? f.endpoint : {};
    // The endpoint's own words (channels.webchat.texts) over the shipped ones: a language only there is one more the
    // page speaks. Then the user's language again, else the endpoint's, which its notices fall back to too.
    if (brand.texts && typeof brand.texts === 'object') {
      for (const [tag, words] of Object.entries(brand.texts)) {
        if (!words || typeof words !== 'object') continue;
        const own = Object.fromEntries(Object.entries(words).filter(([, text]) => typeof text === 'string'));
        TEXTS[tag] = Object.assign({}, TEXTS[tag], own);
      }
    }
    const spoken = knownLanguage(userLanguages) || knownLanguage([brand.language]) || 'en';
    if (spoken !== language || brand.texts) { language = spoken; applyTexts(); }
    const text = (v) => (typeof v === 'string' ? v.trim() : '');
    const name = fixedTitle || text(brand.title) || text(brand.name) || t('title');
    brandName = name;
    applyBranding(brand);
    subtitle = f.endpoint && typeof f.endpoint.subtitle === 'string' ? f.endpoint.subtitle.trim() : '';
    ui.deleteButton.hidden = f.canDelete !== true;
    if (ui.deleteButton.hidden) closeConfirm();
    if (deleting) {
      // The socket dropped before the deletion's answer: a new session says it was done, the old one that it was not.
      deleting = false;
      ui.confirmDelete.disabled = false;
      if (!f.resumed) {
        announceDeleted();
      } else {
        toHost({ type: 'deleteFailed', code: 'interrupted' });
      }
    }
    paintHeader();
    paintFaces();
    document.title = name;
    // Do not read the whole re-rendered transcript aloud on page load; new messages still are.
    if (!everReady && Number(f.lastId) > lastId) {
      ui.log.setAttribute('aria-busy', 'true');
      backlogEnd = Number(f.lastId);
      setTimeout(() => ui.log.removeAttribute('aria-busy'), 5000);
    }
    if (liveAfter === Infinity) liveAfter = Number(f.lastId) || 0;
    isReady = everReady = true;
    reportSeen();
    attempt = 0;
    setState('online');
    flushOutbox();
    if (hostDeleteWaits) { hostDeleteWaits = false; deleteForHost(); }
    toHost({ type: 'ready', resumed: !!f.resumed });
  }
  function onMessage(m) {
    const id = Number(m.id);
    if (!Number.isSafeInteger(id) || id <= 0) return;
    if (Number.isSafeInteger(Number(m.movedTo))) {
      // Stored again further down (as `movedTo`) to keep the agent's order: the copy shows it, this one goes.
      dropMoved(id);
      if (id > lastId) { lastId = id; store.set(KEY_LAST, String(lastId)); }
      return;
    }
    if (m.sender === 'user' && m.surveyAnswer && typeof m.surveyAnswer === 'object') {
      // An answer shows on its survey, not as a bubble of its own.
      showSurveyAnswer(byId.get(Number(m.surveyAnswer.messageId)), Number(m.surveyAnswer.rating), typeof m.text === 'string' && m.text !== '');
      if (typeof m.clientMessageId === 'string') surveyOutbox.delete(m.clientMessageId);
    } else {
      showMessage(m, id);
    }
    // Tell the embedding page about each new message once (an `ack` may have shown the user's own already).
    if (id > liveAfter && !announced.has(id)) {
      announced.add(id);
      toHost({ type: 'message', message: m });
    }
    if (id > lastId) {
      lastId = id;
      store.set(KEY_LAST, String(lastId));
    }
    if (backlogEnd && lastId >= backlogEnd) { backlogEnd = 0; ui.log.removeAttribute('aria-busy'); }
  }

  // Shows message `id` in the log, or updates its row when it is there already.
  function showMessage(m, id) {
    const wasNewest = id > lastId;
    let row = byId.get(id);
    if (row) {
      // Already shown (backlog overlap, or our own message confirmed earlier by `ack`).
      if (!row.dataset.time && m.createdAt) setTime(row, m.createdAt);
    } else {
      row = m.sender === 'user' && typeof m.clientMessageId === 'string' && confirmPending(m.clientMessageId, id, m.createdAt);
      if (!row) {
        row = buildRow(m);
        setTime(row, m.createdAt);
        byId.set(id, row);
        place(row, id);
      }
      if (retracted.has(id) || m.retracted === true) markDeleted(row);
      if (m.sender === 'system' && Number.isSafeInteger(Number(m.undelivered))) showUndelivered(row, byId.get(Number(m.undelivered)));
      const replies = Array.isArray(m.quickReplies) ? m.quickReplies : [];
      if (replies.length && wasNewest && !row.dataset.deleted) showQuickReplies(row, replies);
      else if (m.sender === 'user' && qrRow && id > Number(qrRow.dataset.messageId)) hideQuickReplies();
      if (m.sender === 'bot' || m.sender === 'agent') setTyping(m.sender, false);
      if (m.sender === 'bot' && wasNewest) dropDraft();
      if (m.sender === 'agent' && id > newestAgentId) {
        newestAgentId = id;
        reportSeen();
      }
      if (m.sender === 'agent' && handoverPhase === 'active' && id >= lastId) {
        // An agent who writes is here, assigned or not.
        agentHere = true;
        if (typeof m.agentName === 'string' && m.agentName) agentName = m.agentName;
        paintHeader();
        if (isReady) setState('online');
      }
      if (m.sender !== 'user') noteNew();
    }
  }

  // Turns a pending bubble into the stored message `id`. Returns the row, or null if unknown.
  function confirmPending(cid, id, createdAt) {
    const item = outbox.get(cid);
    if (!item) return null;
    const row = item.el;
    outbox.delete(cid);
    delete row.dataset.pending;
    row.dataset.messageId = String(id);
    byId.set(id, row);
    setTime(row, createdAt);
    place(row, id);
    return row;
  }

  function onAck(f) {
    const id = Number(f.id);
    if (typeof f.clientMessageId !== 'string' || !Number.isSafeInteger(id)) return;
    if (surveyOutbox.delete(f.clientMessageId)) return;
    // `ack` does not move lastId: only `message` frames do, so a reconnect never skips one.
    if (byId.has(id)) outbox.delete(f.clientMessageId);
    else confirmPending(f.clientMessageId, id, null);
  }

  function dropMoved(id) {
    const row = byId.get(id);
    if (row) row.remove();
    byId.delete(id);
  }

  function onRetract(f) {
    const id = Number(f.id);
    if (!Number.isSafeInteger(id)) return;
    const movedTo = Number(f.movedTo);
    // The embedding page hears of it once, and only of a message it was told of (a page that reconnects is sent
    // every retraction of the messages it has again).
    if (announced.has(id) && !announcedRetractions.has(id)) {
      announcedRetractions.add(id);
      toHost(Number.isSafeInteger(movedTo) ? { type: 'retract', id, movedTo } : { type: 'retract', id });
    }
    if (Number.isSafeInteger(movedTo)) return dropMoved(id);
    retracted.add(id);
    const row = byId.get(id);
    if (row) markDeleted(row);
  }

  // Typing dots: shown while any peer says it is typing; each peer times out on its own.
  const typingTimers = new Map();
  function setTyping(sender, on, hideAfter = TYPING_HIDE_MS) {
    clearTimeout(typingTimers.get(sender));
    typingTimers.delete(sender);
    if (on) typingTimers.set(sender, setTimeout(() => setTyping(sender, false), hideAfter));
    const who = typingTimers.has('agent') ? 'agent' : typingTimers.has('bot') ? 'bot' : null;
    ui.typing.hidden = !who;
    if (who) ui.typingLabel.textContent = t(who === 'agent' ? 'agentTyping' : 'typing');
  }

  // A bot's answer while it is being written (streamed): shown growing below the log, outside the live region
  // (screen readers hear the stored answer once, not every piece), never stored; the bot's message replaces it.
  let draftRow = null;
  function showDraft(text) {
    if (!draftRow) {
      draftRow = el('div', 'baton-message baton-message--bot baton-draft');
      draftRow.setAttribute('aria-hidden', 'true');
      draftRow.append(withFace(el('div', 'baton-bubble'), draftRow));
      ui.typing.before(draftRow);
    }
    draftRow.querySelector('.baton-bubble').textContent = text;
    setTyping('bot', false);
  }
  function dropDraft() {
    if (draftRow) draftRow.remove();
    draftRow = null;
  }

  let retryTimer = 0;
  function onError(f) {
    const code = f.code;
    // A "Delete conversation" that failed (e.g. `internal`) may be tried again.
    ui.confirmDelete.disabled = false;
    if ((code === 'handover_in_progress' || code === 'not_allowed' || code === 'internal') && deleting) {
      deleting = false;
      toHost({ type: 'deleteFailed', code });
    }
    if (code === 'hello_required') { ws?.close(); return; } // reconnect starts with a fresh hello
    if (code === 'too_many_conversations') {
      // This network started its share of new conversations this minute: the reconnect's hello tries again.
      notify(t('tooManyConversations'));
      ws?.close();
      return;
    }
    if (code === 'handover_in_progress' || code === 'not_allowed') {
      // A refused "Delete conversation" (an agent took the conversation meanwhile): it stays as it was.
      closeConfirm();
      notify(t(code === 'handover_in_progress' ? 'agentHasIt' : 'cannotDelete'));
      return;
    }
    if (code === 'session_not_found' && deleting) {
      // Our own "Delete conversation": the server told every page of the session, this one too, maybe before `deleted`.
      onDeleted();
      return;
    }
    if (code === 'session_not_found') {
      // The conversation was deleted (erased by the user on another page or by an operator, or kept past its
      // retention): the reconnect's hello opens a new one, and unacknowledged messages are sent again there.
      notify(t('sessionGone'));
      ws?.close();
      return;
    }
    // A survey answer the server cannot take would be refused again on every reconnect.
    if (code === 'not_a_survey' || code === 'invalid_rating') surveyOutbox.clear();
    if (code === 'rate_limited' && !retryTimer) {
      // The refused frame changed nothing; re-send unacknowledged messages a bit later.
      retryTimer = setTimeout(() => { retryTimer = 0; flushOutbox(); }, 3000 + Math.random() * 2000);
    }
    if (code === 'text_too_long') {
      // The error does not say which message; the longest unacknowledged one is the culprit
      // (the composer already refuses > 4,000 characters, so this means the server counts differently).
      let worst = null;
      for (const item of outbox.values()) if (item.sent && (!worst || item.frame.text.length > worst.frame.text.length)) worst = item;
      if (worst) fail(worst);
    }
    const key = { text_too_long: 'tooLong', rate_limited: 'rateLimited', invalid_frame: 'notSendable', internal: 'internal' }[code];
    const text = key ? t(key, { max: MAX_TEXT.toLocaleString(language) }) : (typeof f.message === 'string' && f.message) || t('failed');
    notify(text);
  }

  // A refused message is never stored, so stop re-sending it and say so on the bubble.
  function fail(item) {
    outbox.delete(item.frame.clientMessageId);
    const row = item.el;
    delete row.dataset.pending;
    row.dataset.failed = 'true';
    row.classList.add('is-failed');
    row.querySelector('.baton-meta').replaceChildren(el('span', 'baton-failed', t('notSent')));
  }

  function onFrame(f) {
    switch (f.type) {
      case 'ready': onReady(f); break;
      case 'message': if (f.message && typeof f.message === 'object') onMessage(f.message); break;
      case 'ack': onAck(f); break;
      case 'retract': onRetract(f); break;
      case 'typing': if (f.sender === 'bot' || f.sender === 'agent') setTyping(f.sender, !!f.on); break;
      case 'draft': if (typeof f.text === 'string') showDraft(f.text); else { dropDraft(); setTyping('bot', false); } break;
      case 'error': onError(f); break;
      case 'pong': break; // only proves the connection alive (see the heartbeat)
      case 'handover': onHandover(f); break;
      case 'deleted': onDeleted(); break;
      default: break; // unknown frames are ignored so the server can add types later
    }
  }

  // ---- Connection ------------------------------------------------------------
  // Online, the status line says who has the user: the bot, a queue, or a named agent (it is role=status,
  // so screen readers hear the change too).
  function setState(s) {
    ui.status.dataset.state = s;
    let text = t(s);
    const queued = handoverPhase === 'opening' || (handoverPhase === 'active' && !agentHere);
    if (s === 'online' && queued) text = t('waiting');
    // A named agent is the header's title; the line under it says whose team they are on.
    else if (s === 'online' && handoverPhase === 'active') text = headerAgent() ? brandName : t('withAgent');
    else if (s === 'online' && subtitle) text = subtitle;
    ui.status.dataset.handover = handoverPhase === 'active' && !agentHere ? 'queued' : handoverPhase || 'none';
    if (ui.statusText.textContent !== text) {
      ui.statusText.textContent = text;
      ui.statusText.title = text;
    }
  }

  // Tells the server the user saw the agents' messages so far, when the page is where they can see it; the server
  // passes it on to the agents when the endpoint asks (Chatwoot then shows them read).
  function reportSeen() {
    if (newestAgentId <= seenSent || !panelOpen || document.visibilityState !== 'visible') return;
    if (sendFrame({ type: 'seen', id: newestAgentId })) seenSent = newestAgentId;
  }

  function sendFrame(obj) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    if (ws) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let sock;
    try {
      sock = new WebSocket(`${scheme}//${location.host}/webchat/${rawToken}/socket`);
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    isReady = false;
    // A socket that hangs before `ready` (half-open network) is closed so backoff can retry.
    const watchdog = setTimeout(() => { if (ws === sock && !isReady) sock.close(); }, WATCHDOG_MS);
    sock.addEventListener('open', () => {
      const hello = { type: 'hello', session: session || null, after: lastId, handoverUpdates: true, language: userLanguage };
      if (user) hello.user = user;
      sock.send(JSON.stringify(hello));
    });
    sock.addEventListener('message', (e) => {
      if (ws !== sock || typeof e.data !== 'string') return;
      lastHeardAt = Date.now();
      pingSentAt = 0;
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      if (f && typeof f.type === 'string') onFrame(f);
    });
    sock.addEventListener('close', () => {
      clearTimeout(watchdog);
      abandon(sock);
    });
  }

  // Stops using `sock` now and reconnects. Its close event may come much later, or never, on a dead network;
  // frames it still delivers are ignored (every handler checks `ws === sock`).
  function abandon(sock) {
    if (!sock || ws !== sock) return;
    ws = null;
    isReady = false;
    pingSentAt = 0;
    setState('reconnecting');
    setTyping('bot', false);
    setTyping('agent', false);
    typingSent = false;
    try { sock.close(); } catch { /* already closing */ }
    scheduleReconnect();
  }

  // Heartbeat: any frame from the server proves the connection alive; silence earns a ping.
  let lastHeardAt = 0, pingSentAt = 0;
  setInterval(() => {
    if (!ws || !isReady) return;
    const now = Date.now();
    if (pingSentAt && now - pingSentAt > PONG_TIMEOUT_MS) abandon(ws);
    else if (!pingSentAt && now - lastHeardAt > PING_AFTER_MS && sendFrame({ type: 'ping' })) pingSentAt = now;
  }, 2000);

  // Exponential backoff with jitter so many clients do not reconnect in lock-step after a restart.
  function scheduleReconnect() {
    if (reconnectTimer) return;
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt);
    attempt = Math.min(attempt + 1, 10);
    reconnectTimer = setTimeout(connect, base / 2 + Math.random() * base / 2);
  }
  // Coming back online or to the foreground: do not wait out the remaining backoff.
  addEventListener('online', () => { if (!ws) connect(); });
  // The browser knows the network is gone: do not wait for the heartbeat to find out.
  addEventListener('offline', () => abandon(ws));
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !ws) connect();
    reportSeen();
  });

  // ---- Sending ---------------------------------------------------------------
  function randomId() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    return 'c_' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // Sends every unacknowledged message in order. Safe to repeat: the server ignores a
  // clientMessageId it has already stored.
  function flushOutbox() {
    if (!isReady) return;
    for (const item of outbox.values()) if (sendFrame(item.frame)) item.sent = true;
    for (const frame of surveyOutbox.values()) sendFrame(frame);
  }

  // The user's first message or click: from now on the page may remember the session (see `store`).
  function interacted() {
    if (store.persist) return;
    store.persist = true;
    for (const [k, v] of held) store.set(k, v);
    held.clear();
    toHost({ type: 'interacted' });
  }

  function sendUser(text, payload) {
    interacted();
    const frame = { type: 'message', text, clientMessageId: randomId() };
    if (payload !== undefined) frame.payload = payload;
    const row = buildRow({ sender: 'user', text, clientMessageId: frame.clientMessageId });
    row.dataset.pending = 'true';
    row.querySelector('.baton-meta').append(el('span', 'baton-sending', t('sending')));
    ui.log.append(row);
    regroup(row);
    outbox.set(frame.clientMessageId, { frame, el: row, sent: false });
    hideQuickReplies();
    stopTyping();
    flushOutbox();
    // While the bot has the user, it answers every message: show it working until its answer arrives.
    if (handoverPhase !== 'active' && handoverPhase !== 'opening') setTyping('bot', true, BOT_TYPING_MS);
    scrollToBottom();
  }

  // Tell agents the user is typing: once when it starts, refreshed every 10 s, off after 5 s idle.
  let typingSent = false, typingLastOn = 0, typingIdle = 0;
  function noteTyping() {
    clearTimeout(typingIdle);
    if (!ui.input.value.trim()) { stopTyping(); return; }
    if (isReady && (!typingSent || Date.now() - typingLastOn > 10000)) {
      typingSent = sendFrame({ type: 'typing', on: true });
      typingLastOn = Date.now();
    }
    typingIdle = setTimeout(stopTyping, 5000);
  }
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingSent) sendFrame({ type: 'typing', on: false });
    typingSent = false;
  }

  // Without CSS `field-sizing`, grow the textarea by its line count (capped; it scrolls beyond).
  const autoSizes = typeof CSS !== 'undefined' && CSS.supports && CSS.supports('field-sizing', 'content');
  function onInput() {
    ui.send.disabled = !ui.input.value.trim();
    if (!autoSizes) ui.input.rows = Math.min(5, ui.input.value.split('\n').length);
  }

  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    if ([...text].length > MAX_TEXT) {
      notify(t('tooLong', { max: MAX_TEXT.toLocaleString(language) }));
      return;
    }
    sendUser(text);
    ui.input.value = '';
    onInput();
    ui.input.focus();
  });
  ui.input.addEventListener('keydown', (e) => {
    // Enter sends; Shift+Enter is a newline; never interrupt an IME composition.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      ui.form.requestSubmit();
    }
  });
  ui.input.addEventListener('input', () => { onInput(); noteTyping(); });

  // ---- Files for the agent ---------------------------------------------------------
  const MAX_FILE_BYTES = 10 * 1024 * 1024; // the server's default; it answers 413 with its own limit otherwise
  ui.attach.addEventListener('click', () => ui.file.click());
  ui.file.addEventListener('change', () => {
    const file = ui.file.files && ui.file.files[0];
    ui.file.value = '';
    if (file) sendFile(file);
  });
  async function sendFile(file) {
    if (!session) return;
    if (file.size > MAX_FILE_BYTES) { notify(t('fileTooLarge', { name: file.name })); return; }
    store.persist = true;
    ui.attach.disabled = true;
    try {
      const res = await fetch(`/webchat/${encodeURIComponent(urlToken)}/sessions/${encodeURIComponent(session)}/files`, {
        method: 'POST',
        body: file,
        headers: {
          'Content-Type': file.type || 'application/octet-stream',
          'X-File-Name': encodeURIComponent(file.name),
          'X-Client-Message-Id': randomId(),
        },
      });
      if (!res.ok) {
        let message = t('fileFailed', { name: file.name });
        try { const body = await res.json(); if (body && body.error && body.error.message) message = t('fileRefused', { name: file.name, reason: body.error.message }); } catch { /* keep */ }
        notify(message);
      }
      // The message itself arrives over the socket like any other.
    } catch {
      notify(t('fileOffline', { name: file.name }));
    } finally {
      ui.attach.disabled = false;
    }
  }

  // ---- Deleting the conversation ----------------------------------------------
  // The header's button opens a small confirmation; the server erases the session (not while an agent has it:
  // the agents must end it first) and answers `deleted`, and the page starts over as after a reset.
  let deleting = false; // a `delete` frame is on its way: its answer is `deleted`, or the session's `session_not_found`
  let hostDeleteWaits = false; // the host page's `Baton.deleteConversation()` came before the socket was ready
  function openConfirm() {
    if (handoverPhase === 'opening' || handoverPhase === 'active') { notify(t('agentHasIt')); return; }
    ui.confirm.hidden = false;
    ui.deleteButton.setAttribute('aria-expanded', 'true');
    ui.confirmDelete.disabled = false;
    ui.confirmCancel.focus();
  }
  function closeConfirm(returnFocus) {
    if (ui.confirm.hidden) return;
    ui.confirm.hidden = true;
    ui.deleteButton.setAttribute('aria-expanded', 'false');
    if (returnFocus) ui.deleteButton.focus();
  }
  // Sends the `delete` frame; false when the socket cannot take it now.
  function sendDelete() {
    if (!isReady || !sendFrame({ type: 'delete' })) return false;
    deleting = true;
    return true;
  }
  function confirmDelete() {
    if (!sendDelete()) { notify(t('notConnected')); return; }
    ui.confirmDelete.disabled = true;
  }
  // The host page's `Baton.deleteConversation()`: the same deletion, confirmed by the host page itself; its answer
  // goes back as `deleted` or `deleteFailed` with the server's code.
  function deleteForHost() {
    if (deleting) return;
    if (!isReady) { hostDeleteWaits = true; return; }
    if (!sendDelete()) toHost({ type: 'deleteFailed', code: 'not_connected' });
  }
  // Once: the page then leaves the socket, whose frames after it (the other of the two answers) are ignored.
  function onDeleted() {
    deleting = false;
    resetConversation();
    announceDeleted();
  }
  // The user, and the host page, hear that the conversation is gone.
  function announceDeleted() {
    closeConfirm();
    notify(t('deleted'));
    toHost({ type: 'deleted' });
  }
  ui.deleteButton.addEventListener('click', () => { if (ui.confirm.hidden) openConfirm(); else closeConfirm(true); });
  ui.confirmCancel.addEventListener('click', () => closeConfirm(true));
  ui.confirmDelete.addEventListener('click', confirmDelete);
  // Escape closes the confirmation, not the widget's panel (which listens on the document).
  ui.confirm.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); closeConfirm(true); } });

  // ---- Notices ---------------------------------------------------------------
  let noticeTimer = 0;
  function notify(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { ui.notice.hidden = true; }, 6000);
  }
  ui.notice.addEventListener('click', () => { ui.notice.hidden = true; });

  // ---- Scrolling ---------------------------------------------------------------
  function scrollToBottom() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
    stick = true;
    ui.jump.hidden = true;
  }
  function noteNew() {
    if (!stick) ui.jump.hidden = false;
  }
  // Only the reader moving *up* unpins the view. Content growing under a pinned view also
  // fires scroll events that look "not at bottom" for a moment, and must not unpin it.
  let lastTop = 0;
  ui.scroll.addEventListener('scroll', () => {
    const s = ui.scroll;
    if (s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX) {
      stick = true;
      ui.jump.hidden = true;
    } else if (s.scrollTop < lastTop) {
      stick = false;
    }
    lastTop = s.scrollTop;
  }, { passive: true });
  ui.jump.addEventListener('click', () => { scrollToBottom(); ui.input.focus(); });
  // Any growth (new rows, images loading, typing dots, keyboard resizing the view) keeps a
  // pinned view at the bottom; a reader who scrolled up is left alone.
  if (typeof ResizeObserver === 'function') {
    const ro = new ResizeObserver(() => { if (stick) scrollToBottom(); });
    ro.observe(ui.content);
    ro.observe(ui.scroll);
  }

  // ---- Read-only hooks for tests/embedders -----------------------------------
  Object.defineProperty(window, 'BatonWebchat', {
    value: Object.freeze({
      version: 1,
      urlToken,
      storedLastId,
      get state() { return ui.status.dataset.state; },
      get lastId() { return lastId; },
      get pending() { return outbox.size; },
    }),
  });

  // ---- Handover state ----------------------------------------------------------------------------------------
  function onHandover(f) {
    handoverPhase = typeof f.phase === 'string' ? f.phase : null;
    // A new handover (a reconnect may skip the frames that ended the last one) starts with nobody there.
    const number = Number(f.number) || 0;
    if (number !== handoverNumber || handoverPhase !== 'active') { agentHere = false; agentName = null; }
    handoverNumber = number;
    if (handoverPhase === 'active' && f.agentJoined === true) agentHere = true;
    if (handoverPhase === 'active' && typeof f.agentName === 'string' && f.agentName) {
      agentName = f.agentName;
      const picture = typeof f.agentAvatar === 'string' ? safeUrl(f.agentAvatar) : null;
      if (picture && agentAvatars.get(agentName) !== picture) {
        agentAvatars.set(agentName, picture);
        paintFaces();
      }
    }
    paintHeader();
    // While an agent has the user the conversation cannot be deleted: the button says so (and, pressed, why).
    const agentHasIt = handoverPhase === 'opening' || handoverPhase === 'active';
    if (agentHasIt) closeConfirm();
    ui.deleteButton.setAttribute('aria-disabled', String(agentHasIt));
    ui.deleteButton.title = t(agentHasIt ? 'deleteLater' : 'delete');
    // Files are for agents: the button shows while one has (or is about to have) the conversation.
    ui.attach.hidden = handoverPhase !== 'active' && handoverPhase !== 'opening';
    // An agent who resolved the conversation mid-sentence sends no "stopped typing".
    if (handoverPhase !== 'active' && handoverPhase !== 'opening') setTyping('agent', false);
    if (isReady) setState('online');
    toHost({ type: 'handover', phase: handoverPhase, number });
  }

  // ---- Theme from the URL (the widget's data- attributes) -------------------------------------------------------
  // The widget's data- attributes come in the URL; the endpoint's own branding (its config) comes with `ready`
  // and fills in what the URL left out.
  const isColor = (v) => typeof v === 'string' && v !== '' && typeof CSS !== 'undefined' && CSS.supports('color', v);
  const rootStyle = document.documentElement.style; // CSSOM: allowed under the page's CSP, unlike style=""
  function setAccent(color) {
    if (!isColor(color)) return;
    rootStyle.setProperty('--baton-accent', color);
    rootStyle.setProperty('--baton-accent-hover', color);
    rootStyle.setProperty('--baton-accent-text', color);
  }
  function setOnAccent(color) { if (isColor(color)) rootStyle.setProperty('--baton-on-accent', color); }
  const webUrl = (v) => (typeof v === 'string' && v ? safeUrl(v) : null);
  function applyTheme() {
    setAccent(params.get('accent'));
    setOnAccent(params.get('onAccent'));
    brandAvatar = webUrl(params.get('avatar'));
    botAvatar = webUrl(params.get('botAvatar'));
  }
  function applyBranding(brand) {
    if (!params.get('accent')) setAccent(brand.color);
    if (!params.get('onAccent')) setOnAccent(brand.textColor);
    brandAvatar = brandAvatar || webUrl(brand.logo);
    botAvatar = botAvatar || webUrl(brand.botAvatar) || brandAvatar;
  }

  // ---- Pictures: the header's (the endpoint's, or the agent's who has the user) and each author's ---------------
  const initial = (name) => ([...(name || '').trim()][0] || '?').toUpperCase();
  // Shows `url` in `node`, or the name's initial when there is none or it does not load (an agent's picture may
  // be gone from Chatwoot).
  function paintAvatar(node, url, name) {
    const letter = initial(name);
    if (url && node.dataset.src === url) return;
    if (!url && !node.dataset.src && node.textContent === letter) return;
    node.dataset.src = url || '';
    if (!url) {
      node.classList.remove('has-image');
      node.textContent = letter;
      return;
    }
    const img = el('img');
    img.alt = '';
    img.addEventListener('error', () => {
      node.classList.remove('has-image');
      node.textContent = letter;
    }, { once: true });
    img.src = url;
    node.replaceChildren(img);
    node.classList.add('has-image');
  }
  // The header is the agent's while a named one has the user, the endpoint's otherwise.
  // The agent the header names: one who took the user and whose name users may see.
  function headerAgent() { return handoverPhase === 'active' && agentHere && agentName ? agentName : null; }
  function paintHeader() {
    const agent = headerAgent();
    ui.title.textContent = agent || brandName;
    paintAvatar(ui.avatar, agent ? agentAvatars.get(agent) || null : brandAvatar, agent || brandName);
  }
  function paintFace(face, row) {
    if (row.dataset.sender === 'agent') {
      const name = row.dataset.agentName || '';
      paintAvatar(face, (name && agentAvatars.get(name)) || null, name || t('agent'));
    } else {
      paintAvatar(face, botAvatar, brandName);
    }
  }
  function paintFaces() {
    for (const face of ui.log.querySelectorAll('.baton-message-avatar')) paintFace(face, face.closest('.baton-message'));
  }
  // The bubble on a line with its author's picture, which lines up with the bubble's bottom.
  function withFace(bubble, row) {
    const face = el('div', 'baton-message-avatar');
    face.setAttribute('aria-hidden', 'true');
    const line = el('div', 'baton-line');
    line.append(face, bubble);
    paintFace(face, row);
    return line;
  }
  const fixedTitle = (params.get('title') || '').trim();

  // ---- Embedded: talk to the widget in the host page -------------------------------------------------------------
  function toHost(msg) {
    if (embed && hostOrigin) {
      try { window.parent.postMessage({ batonWidget: 1, ...msg }, hostOrigin); } catch { /* bad origin: stay quiet */ }
    }
  }
  function resetConversation() {
    store.remove(KEY_SESSION);
    store.remove(KEY_LAST);
    session = null;
    user = null;
    store.persist = !embed;
    for (const row of [...ui.log.children]) row.remove();
    byId.clear();
    retracted.clear();
    outbox.clear();
    qrRow = null;
    lastId = 0;
    liveAfter = Infinity;
    everReady = false;
    if (ws) abandon(ws); else connect();
  }
  if (embed) {
    document.documentElement.classList.add('is-embedded');
    ui.close.hidden = false;
    ui.close.addEventListener('click', () => toHost({ type: 'close' }));
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape') toHost({ type: 'close' }); });
    ui.input.addEventListener('input', interacted, { once: true });
    addEventListener('message', (e) => {
      if (e.source !== window.parent || e.origin !== hostOrigin) return;
      const m = e.data;
      if (!m || m.batonWidget !== 1) return;
      switch (m.type) {
        case 'send': if (typeof m.text === 'string' && m.text.trim()) sendUser(m.text.trim().slice(0, MAX_TEXT)); break;
        case 'focus': ui.input.focus(); break;
        case 'visibility':
          panelOpen = !!m.open;
          if (m.open) scrollToBottom();
          reportSeen();
          break;
        case 'setUser':
          // Sent with the next hello: the server puts it in the profile and, with a verified hash, finds the
          // user's own session (docs/widget.md).
          user = m.user && typeof m.user.id === 'string' ? m.user : null;
          break;
        case 'reset': resetConversation(); break;
        case 'delete': deleteForHost(); break;
        default: break;
      }
    });
    toHost({ type: 'loaded' });
  }

  applyTheme();
  onInput();
  connect();
})();
