// cairn web UI: one page, three hash routes (#/playground, #/compare, #/dashboard).
// Plain ES2020, no framework, no build step. Every server string reaches the page through
// textContent or createElement, never innerHTML. Charts use the vendored uPlot (window.uPlot).
'use strict';

(() => {
  // ---------------------------------------------------------------- small helpers

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const NAME_RULE = /^[A-Za-z0-9_-]{1,64}$/;
  const NAME_HINT = 'use 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-", e.g. support-faq';
  const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'type']);

  /** Builds an element: h('p', {class: 'x', onclick: fn}, 'text', child, ...). */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (PROPS.has(k)) el[k] = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    el.append(...kidsOf(kids));
    return el;
  }

  const kidsOf = (kids) => kids.flat(Infinity).filter((k) => k !== undefined && k !== null && k !== false)
    .map((k) => (k instanceof Node ? k : String(k)));
  /** Replaces el's children (null, false and nested arrays allowed). */
  function put(el, ...kids) { el.replaceChildren(...kidsOf(kids)); }
  /** Appends to el (null, false and nested arrays allowed). */
  function add(el, ...kids) { el.append(...kidsOf(kids)); }

  /**
   * A data table in a scrolling wrapper. head: column titles; rows: arrays of cells, or
   * {attrs, cells}; opts.num: numeric column indexes; opts.rowHead: the first cell heads its row.
   */
  function table(head, rows, opts = {}) {
    const cls = (i) => ((opts.num || []).includes(i) ? 'num' : null);
    return h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-testid': opts.testid },
      h('thead', null, h('tr', null, head.map((t, i) => h('th', { scope: 'col', class: cls(i) }, t)))),
      h('tbody', null, rows.map((r) => h('tr', r.attrs || null, (r.cells || r).map((c, i) => (i === 0 && opts.rowHead
        ? h('th', { scope: 'row' }, c) : h('td', { class: cls(i) }, c))))))));
  }

  function storageGet(area, key) {
    try { return window[area].getItem(key); } catch (_) { return null; }
  }
  function storageSet(area, key, value) {
    try { window[area].setItem(key, value); } catch (_) { /* private mode: not remembered */ }
  }

  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Who is rating: made once, kept in localStorage. */
  function clientId() {
    let id = storageGet('localStorage', 'cairn.client');
    if (!id) {
      id = 'web-' + randomId();
      storageSet('localStorage', 'cairn.client', id);
    }
    return id;
  }

  // ---------------------------------------------------------------- formatting

  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  function pct(v, digits = 1) { return num(v) ? (v * 100).toFixed(digits) + '%' : '—'; }
  function interval(iv) {
    return Array.isArray(iv) && num(iv[0]) && num(iv[1]) ? `${pct(iv[0])} – ${pct(iv[1])}` : '';
  }
  function ms(v) {
    if (!num(v)) return '—';
    if (v >= 1000) return (v / 1000).toFixed(2) + ' s';
    if (v < 10) return v.toFixed(1) + ' ms';
    return Math.round(v) + ' ms';
  }
  function fixed(v, d = 3) { return num(v) ? v.toFixed(d) : '—'; }
  function general(v) {
    if (!num(v)) return '—';
    const a = Math.abs(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    return v.toFixed(3);
  }
  function signed(v) { return num(v) ? (v > 0 ? '+' : '') + general(v) : '—'; }
  function pp(v) { return num(v) ? (v > 0 ? '+' : '') + (v * 100).toFixed(1) + ' pp' : '—'; }
  function ppInterval(iv) {
    return Array.isArray(iv) && num(iv[0]) && num(iv[1]) ? `${pp(iv[0])} to ${pp(iv[1])}` : '—';
  }
  function pValue(p) { return num(p) ? (p < 0.001 ? '< 0.001' : p.toFixed(3)) : '—'; }
  function money(v, currency) {
    if (!num(v)) return '—';
    if (/^[A-Z]{3}$/.test(currency || '')) {
      try {
        return new Intl.NumberFormat('en', { style: 'currency', currency, maximumSignificantDigits: 3 }).format(v);
      } catch (_) { /* unknown code: plain number below */ }
    }
    return `${Number(v.toPrecision(3))}${currency ? ' ' + currency : ''}`;
  }
  function when(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso || '—');
    return d.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
  }
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function dayLabel(sec) {
    const d = new Date(sec * 1000);
    return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  }
  function truncate(text, n) {
    const chars = Array.from(text || '');
    return chars.length > n ? chars.slice(0, n).join('') + '…' : chars.join('');
  }
  const REASONS = {
    wrong: 'Wrong', incomplete: 'Incomplete', not_grounded: 'Not supported by the sources',
    irrelevant_sources: 'Irrelevant sources', other: 'Other',
  };

  // ---------------------------------------------------------------- errors

  class ApiError extends Error {
    constructor(message, hint, code, status) {
      super(message);
      this.name = 'ApiError';
      this.hint = hint || '';
      this.code = code || '';
      this.status = status || 0;
    }
  }

  const unreachable = () => new ApiError('cannot reach the cairn server',
    'check that the server is running and that this page was opened from it, then try again', 'network');

  /** The server's words from an error body `{"error": {"code", "message", "hint"}}`. */
  function errorFrom(status, statusText, text) {
    let body = null;
    try { body = JSON.parse(text); } catch (_) { /* not JSON */ }
    const e = body && body.error;
    if (e && typeof e.message === 'string') return new ApiError(e.message, e.hint, e.code, status);
    return new ApiError(`the server answered ${status}${statusText ? ' ' + statusText : ''}`, '', 'http', status);
  }

  const alerts = $('alerts');
  /** Shows an error in words in the alert area (role="alert"); never a stack. */
  function showError(err) {
    if (!err || err.name === 'AbortError') return;
    const message = (err && err.message) || String(err);
    const hint = err instanceof ApiError ? err.hint : '';
    for (const old of alerts.querySelectorAll('.alert')) {
      if (old.dataset.message === message) old.remove();
    }
    const box = h('div', { class: 'alert', 'data-message': message },
      h('div', { class: 'alert-body' },
        h('p', { class: 'alert-message', 'data-testid': 'error-message' }, message),
        hint ? h('p', { class: 'alert-hint', 'data-testid': 'error-hint' }, hint) : null),
      h('button', { type: 'button', 'aria-label': 'Dismiss this message', onclick: () => box.remove() }, '×'));
    alerts.append(box);
    while (alerts.children.length > 3) alerts.firstElementChild.remove();
  }
  function clearErrors() { put(alerts); }
  const needCollection = () => new ApiError('no collection is chosen',
    'create one with “New collection” at the top, or pick one from the list');

  // ---------------------------------------------------------------- the API: one place

  /**
   * The headers every request carries, fetch and XMLHttpRequest alike.
   * API keys: when sessionStorage['cairn.key'] holds a key, it is sent as a bearer token (this
   * is the one line that sends it). The key lives in this tab's session storage only.
   */
  function requestHeaders(extra) {
    const headers = Object.assign({ 'X-Client-Id': clientId() }, extra);
    const key = storageGet('sessionStorage', 'cairn.key'); if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  /**
   * Every request goes through here: JSON in, JSON out. A non-2xx answer throws an ApiError with
   * the server's message and hint. opts.raw returns the Response (for event streams);
   * opts.signal aborts; opts.accept sets Accept.
   */
  async function api(method, path, body, opts = {}) {
    try {
      return await apiOnce(method, path, body, opts);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      await askForKey(e.message);
      return apiOnce(method, path, body, opts);
    }
  }

  /**
   * The key dialog: one at a time, however many requests found they need a key. Resolves once
   * a key is saved to session storage.
   */
  let keyWanted = null;
  function askForKey(reason) {
    if (keyWanted) return keyWanted;
    const dialog = $('key-dialog');
    const input = $('key-input');
    $('key-reason').textContent = !reason ? 'Enter the API key to use in this tab.'
      : storageGet('sessionStorage', 'cairn.key') ? `The server refused the key (${reason}). Enter another one.`
        : 'Ask the person who runs it for the admin key or a query key.';
    input.value = '';
    keyWanted = new Promise((resolve) => {
      $('key-form').onsubmit = (event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        storageSet('sessionStorage', 'cairn.key', key);
        $('key-button').hidden = false;
        dialog.close();
        keyWanted = null;
        resolve();
      };
    });
    if (!dialog.open) dialog.showModal();
    input.focus();
    return keyWanted;
  }
  $('key-button').hidden = !storageGet('sessionStorage', 'cairn.key');
  $('key-button').addEventListener('click', () => { askForKey('').catch(showError); });

  async function apiOnce(method, path, body, opts) {
    const headers = requestHeaders({ Accept: opts.accept || 'application/json' });
    const init = { method, headers, signal: opts.signal };
    if (body !== undefined && body !== null) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw unreachable();
    }
    if (!res.ok) {
      let text = '';
      try { text = await res.text(); } catch (_) { /* body lost */ }
      throw errorFrom(res.status, res.statusText, text);
    }
    if (opts.raw) return res;
    if (res.status === 204) return null;
    const text = await res.text();
    if (!text) return null;
    try { return JSON.parse(text); } catch (_) {
      throw new ApiError('the server sent a reply this page cannot read', 'check that this page is served by cairn');
    }
  }

  /** GET with a query string built from the non-empty values of `params`. */
  function apiGet(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return api('GET', s ? `${path}?${s}` : path);
  }

  /** Uploads files as multipart `file` parts, asking for a key first if the server wants one. */
  async function uploadFiles(path, files, onProgress) {
    try {
      return await uploadFilesOnce(path, files, onProgress);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      await askForKey(e.message);
      return uploadFilesOnce(path, files, onProgress);
    }
  }

  /** One multipart upload with XMLHttpRequest (for its progress events). */
  function uploadFilesOnce(path, files, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const f of files) form.append('file', f, f.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      for (const [k, v] of Object.entries(requestHeaders({ Accept: 'application/json' }))) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener('progress', (e) => onProgress(e.lengthComputable ? e.loaded / e.total : null, false));
      xhr.upload.addEventListener('load', () => onProgress(null, true));
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try { resolve(JSON.parse(xhr.responseText)); } catch (_) {
            reject(new ApiError('the server sent a reply this page cannot read', ''));
          }
        } else {
          reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
        }
      });
      xhr.addEventListener('error', () => reject(unreachable()));
      xhr.addEventListener('abort', () => reject(new ApiError('the upload was cancelled', '')));
      xhr.send(form);
    });
  }

  /**
   * Reads a text/event-stream body: events are separated by blank lines; `event: X` names one
   * and `data: Y` lines (joined with newlines) carry it. Calls onEvent(name, data) for each.
   */
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let name = 'message';
    let data = [];
    const line = (l) => {
      if (l === '') {
        if (data.length) onEvent(name, data.join('\n'));
        name = 'message';
        data = [];
        return;
      }
      if (l.startsWith(':')) return; // a comment (keep-alive)
      const i = l.indexOf(':');
      const field = i < 0 ? l : l.slice(0, i);
      let value = i < 0 ? '' : l.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value || 'message';
      else if (field === 'data') data.push(value);
    };
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const m = /\r\n|\n|\r/.exec(buffer);
        if (!m) break;
        // A lone \r at the end may be the first half of \r\n.
        if (m[0] === '\r' && m.index === buffer.length - 1 && !done) break;
        line(buffer.slice(0, m.index));
        buffer = buffer.slice(m.index + m[0].length);
      }
      if (done) {
        if (buffer) line(buffer);
        line('');
        return;
      }
    }
  }

  // ---------------------------------------------------------------- shared state

  const state = {
    collection: '',
    collections: [],
    variants: [],
    route: '',
    ready: false, // collections loaded: pages may load their data
  };

  function fillSelect(select, options, keep) {
    const previous = keep === undefined ? select.value : keep;
    const fixedOpts = Array.from(select.querySelectorAll('option[data-fixed]'));
    put(select, ...fixedOpts);
    for (const o of options) select.append(h('option', { value: o.value }, o.label));
    if (Array.from(select.options).some((o) => o.value === previous)) select.value = previous;
  }

  // Collections ---------------------------------------------------------------

  const collectionSelect = $('collection-select');

  async function loadCollections(choose) {
    let list;
    try {
      const body = await api('GET', '/v1/collections');
      list = (body && body.collections) || [];
    } catch (e) {
      put(collectionSelect, h('option', { value: '' }, 'Unavailable'));
      showError(e);
      return;
    }
    state.collections = list;
    if (!list.length) {
      put(collectionSelect, h('option', { value: '' }, 'No collections yet'));
      setCollection('');
      return;
    }
    const wanted = choose || state.collection || storageGet('localStorage', 'cairn.collection');
    put(collectionSelect, ...list.map((c) =>
      h('option', { value: c.name }, `${c.name} (${Number(c.points || 0).toLocaleString('en')} chunks)`)));
    const name = list.some((c) => c.name === wanted) ? wanted : list[0].name;
    collectionSelect.value = name;
    setCollection(name);
  }

  function setCollection(name) {
    const changed = name !== state.collection;
    state.collection = name;
    if (name) storageSet('localStorage', 'cairn.collection', name);
    if (changed && state.ready) loadPage();
  }

  /** Loads the data of the page shown (after a route or collection change). */
  function loadPage() {
    if (state.route === 'dashboard') loadDashboard();
    if (state.route === 'compare') loadTally();
  }

  collectionSelect.addEventListener('change', () => setCollection(collectionSelect.value));

  const newCollectionForm = $('new-collection-form');
  const newCollectionInput = $('new-collection-name');
  newCollectionForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = newCollectionInput.value.trim();
    if (!NAME_RULE.test(name)) {
      showError(new ApiError(name ? `“${name}” is not a valid collection name` : 'type a name for the new collection', NAME_HINT));
      newCollectionInput.focus();
      return;
    }
    const button = newCollectionForm.querySelector('button');
    button.disabled = true;
    try {
      await api('PUT', `/v1/collections/${enc(name)}`);
      newCollectionInput.value = '';
      await loadCollections(name);
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  });

  // Variants and datasets -----------------------------------------------------

  async function loadVariants() {
    let names = ['default'];
    try {
      const body = await api('GET', '/v1/variants');
      if (body && Array.isArray(body.variants) && body.variants.length) names = body.variants.map(String);
    } catch (e) {
      if (e.status !== 404) showError(e); // a server without /v1/variants: just "default"
    }
    state.variants = names;
    const opts = names.map((v) => ({ value: v, label: v }));
    fillSelect($('variant-select'), opts);
    fillSelect($('dashboard-variant'), opts);
    const left = $('compare-left-variant');
    const right = $('compare-right-variant');
    fillSelect(left, opts, left.value || (names.includes('default') ? 'default' : names[0]));
    fillSelect(right, opts, right.value || names.find((n) => n !== left.value) || names[0]);
  }

  async function loadDatasets() {
    try {
      const body = await api('GET', '/v1/datasets');
      const list = (body && body.datasets) || [];
      put($('datasets-list'), ...list.map((d) =>
        h('option', { value: d.name }, `${d.name} (${d.items} items)`)));
    } catch (e) {
      showError(e);
    }
  }

  /** Adds a logged answer's question to a dataset; returns a sentence saying what happened. */
  async function addToDataset(name, answerId, corrected) {
    if (!NAME_RULE.test(name)) {
      throw new ApiError(name ? `“${name}” is not a valid dataset name` : 'type a dataset name', NAME_HINT);
    }
    const body = { answer_id: answerId };
    if (corrected && corrected.trim()) body.corrected_answer = corrected.trim();
    const ds = await api('POST', `/v1/datasets/${enc(name)}/items`, body);
    loadDatasets();
    const items = ds && Array.isArray(ds.items) ? ds.items.length : null;
    return `Added to “${(ds && ds.name) || name}”` +
      (items !== null ? `: ${items} item${items === 1 ? '' : 's'}` : '') +
      (ds && ds.version ? ` (version ${ds.version})` : '') + '.';
  }

  // ---------------------------------------------------------------- answer rendering

  const MARKER = /\[([\d ,]*\d[\d ,]*)\]/g;

  /** Appends `text`, each [n] or [1, 3] marker becoming one citation button (or label) per number. */
  function appendWithMarkers(parent, text, interactive) {
    let last = 0;
    for (const m of text.matchAll(MARKER)) {
      if (m.index > last) parent.append(text.slice(last, m.index));
      const numbers = m[1].split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
      for (const n of numbers) {
        parent.append(interactive
          ? h('button', { type: 'button', class: 'cite', 'data-testid': 'citation', 'data-n': n, title: `Show passage ${n}` }, `[${n}]`)
          : h('span', { class: 'marker' }, `[${n}]`));
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  function unsupportedNote(s) {
    const missing = Array.isArray(s.missing) && s.missing.length ? `; missing: ${s.missing.join(', ')}` : '';
    return `not supported by the passages${missing}`;
  }

  let noteCounter = 0;

  /**
   * Renders an answer's text into `target`: each grounding sentence's answer_span (code-point
   * offsets) becomes a supported/unsupported span; text outside is plain. When a sentence has no
   * usable span, the answer is plain and its sentences are listed after it. Returns the
   * elements to put after the answer (notes, sentence list).
   * opts: {interactive: citation buttons, testids: sentence test ids}.
   */
  function renderAnswerText(target, answer, opts) {
    const text = answer.answer || '';
    const chars = Array.from(text);
    const sentences = (answer.grounding && Array.isArray(answer.grounding.sentences)) ? answer.grounding.sentences : [];
    const prefix = `note-${++noteCounter}`;
    const spans = [];
    let inline = sentences.length > 0;
    sentences.forEach((s, i) => {
      const sp = s.answer_span;
      const ok = Array.isArray(sp) && Number.isInteger(sp[0]) && Number.isInteger(sp[1]) &&
        sp[0] >= 0 && sp[1] <= chars.length && sp[0] < sp[1];
      if (ok) spans.push({ a: sp[0], b: sp[1], s, i }); else inline = false;
    });
    spans.sort((x, y) => x.a - y.a);
    for (let k = 1; k < spans.length; k++) if (spans[k].a < spans[k - 1].b) inline = false;

    const sentenceEl = (s, i, content) => {
      const supported = !!s.supported;
      const el = h('span', {
        class: `sentence ${supported ? 'supported' : 'unsupported'}`,
        'data-testid': opts.testids ? (supported ? 'sentence-supported' : 'sentence-unsupported') : null,
        title: supported ? null : `Not supported by the passages${s.missing && s.missing.length ? '; missing: ' + s.missing.join(', ') : ''}`,
        'aria-describedby': supported ? null : `${prefix}-${i}`,
      });
      content(el);
      return el;
    };

    put(target);
    const after = [];
    if (inline) {
      let pos = 0;
      for (const { a, b, s, i } of spans) {
        if (a > pos) appendWithMarkers(target, chars.slice(pos, a).join(''), opts.interactive);
        target.append(sentenceEl(s, i, (el) => appendWithMarkers(el, chars.slice(a, b).join(''), opts.interactive)));
        pos = b;
      }
      if (pos < chars.length) appendWithMarkers(target, chars.slice(pos).join(''), opts.interactive);
    } else {
      appendWithMarkers(target, text, opts.interactive);
      if (sentences.length) {
        after.push(h('p', { class: 'help' }, 'Sentence by sentence:'));
        after.push(h('ul', { class: 'sentence-list' }, sentences.map((s, i) => h('li', null,
          sentenceEl(s, i, (el) => el.append(s.text || '')),
          s.supported ? null : h('span', { class: 'help' }, ` — ${unsupportedNote(s)}`)))));
      }
    }

    const unsupported = sentences.map((s, i) => ({ s, i })).filter(({ s }) => !s.supported);
    if (sentences.length && !answer.abstained) {
      const g = answer.grounding;
      const score = num(g.score) ? `, score ${g.score.toFixed(2)}` : '';
      const summary = unsupported.length
        ? `${unsupported.length} of ${sentences.length} sentence${sentences.length === 1 ? '' : 's'} not supported by the passages${score}.`
        : `Every sentence is supported by the passages${score}.`;
      after.push(h('p', { class: `grounding-summary ${unsupported.length ? 'bad' : 'good'}`, 'data-testid': opts.testids ? 'grounding-summary' : null }, summary));
      if (unsupported.length && inline) {
        after.push(h('ul', { class: 'grounding-notes' }, unsupported.map(({ s, i }) =>
          h('li', { id: `${prefix}-${i}` }, `“${s.text}” — ${unsupportedNote(s)}.`))));
      } else if (unsupported.length) {
        // the list above carries the notes; give the ids to its entries
        unsupported.forEach(({ i }) => after.push(h('span', { id: `${prefix}-${i}`, class: 'visually-hidden' }, unsupportedNote(sentences[i]))));
      }
    }
    return after;
  }

  function abstainReason(r) {
    if (!r) return 'The documents do not seem to answer this question.';
    const i = r.indexOf(':');
    const kind = (i < 0 ? r : r.slice(0, i)).trim();
    const detail = i < 0 ? '' : r.slice(i + 1).trim();
    const shapes = { duration: 'a duration', quantity: 'a number', price: 'a price', when: 'a date or time', reason: 'a reason', procedure: 'steps', yes_no: 'a yes or no' };
    switch (kind) {
      case 'no_relevant_passage': return 'No passage is close enough to the question.';
      case 'unknown_names': return `The question names something the documents never mention${detail ? ': ' + detail : ''}.`;
      case 'not_covered': return `The best passage does not cover the question${detail ? ' (missing: ' + detail + ')' : ''}.`;
      case 'no_answer_shape': return `The question asks for ${shapes[detail] || detail || 'a specific figure'}, and no retrieved sentence has one.`;
      case 'model_found_nothing': return 'The model found nothing in the passages that answers it.';
      default: return r;
    }
  }

  function passageItem(c, onOpen, testid) {
    return h('li', { 'data-testid': testid },
      h('div', { class: 'passage-head' },
        h('span', { class: 'passage-n' }, `[${c.n}]`),
        h('span', { class: 'passage-source' }, c.source || '(unknown source)'),
        c.heading ? h('span', { class: 'passage-heading' }, c.heading) : null,
        h('span', { class: 'passage-score' }, `score ${fixed(c.score)}`)),
      c.snippet ? h('p', { class: 'passage-snippet' }, c.snippet) : null,
      onOpen ? h('button', { type: 'button', 'data-testid': 'passage-open', onclick: (ev) => onOpen(c.n, ev.currentTarget) }, 'Show passage') : null);
  }

  // ---------------------------------------------------------------- playground: upload

  const uploadInput = $('upload-input');
  const dropZone = $('drop-zone');
  const progress = $('upload-progress');
  const uploadStatus = $('upload-status');
  const uploadSummary = $('upload-summary');

  async function upload(fileList) {
    const files = Array.from(fileList || []);
    if (!files.length) return;
    if (!state.collection) { showError(needCollection()); return; }
    const collection = state.collection;
    clearErrors();
    put(uploadSummary);
    uploadStatus.hidden = false;
    progress.value = 0;
    $('upload-progress-label').textContent = `Uploading ${files.length} file${files.length === 1 ? '' : 's'}…`;
    try {
      const summary = await uploadFiles(`/v1/collections/${enc(collection)}/documents`, files, (share, sent) => {
        if (sent) {
          progress.removeAttribute('value');
          $('upload-progress-label').textContent = 'Reading and embedding the files…';
        } else if (share !== null) {
          progress.value = share;
        }
      });
      renderSummary(summary, collection);
      loadCollections();
    } catch (e) {
      put(uploadSummary, h('p', { class: 'bad' }, `Upload failed: ${e.message}`));
      showError(e);
    } finally {
      uploadStatus.hidden = true;
    }
  }

  function renderSummary(s, collection) {
    const skipped = Array.isArray(s.skipped) ? s.skipped : [];
    const plan = s.plan || {};
    const listed = (label, arr) => Array.isArray(arr) && arr.length ? `${label}: ${arr.length}` : null;
    const planWords = [listed('new', plan.added), listed('changed', plan.changed), listed('unchanged', plan.unchanged)].filter(Boolean);
    put(uploadSummary, 
      h('h3', null, `Added to “${s.collection || collection}”`),
      h('p', null,
        h('strong', { 'data-testid': 'summary-files' }, String(s.files ?? 0)), ` file${s.files === 1 ? '' : 's'} · `,
        h('strong', { 'data-testid': 'summary-chunks' }, String(s.chunks ?? 0)), ` chunk${s.chunks === 1 ? '' : 's'} · `,
        h('strong', { 'data-testid': 'summary-seconds' }, num(s.seconds) ? s.seconds.toFixed(1) : '—'), ' s'),
      planWords.length ? h('p', { class: 'help' }, `Files ${planWords.join(', ')}.`) : null,
      skipped.length
        ? h('div', null, h('p', null, `Skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}:`),
          h('ul', null, skipped.map((k) => h('li', { 'data-testid': 'skipped-file' }, h('strong', null, k.source), `: ${k.reason}`))))
        : h('p', { class: 'help' }, 'No file was skipped.'));
  }

  uploadInput.addEventListener('change', () => {
    const files = Array.from(uploadInput.files || []);
    upload(files);
    uploadInput.value = '';
  });
  dropZone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
    dropZone.classList.add('over');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
  dropZone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    dropZone.classList.remove('over');
    upload(ev.dataTransfer ? ev.dataTransfer.files : []);
  });
  // A file dropped beside the zone must not replace the page.
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());

  // ---------------------------------------------------------------- playground: ask

  const askForm = $('ask-form');
  const questionInput = $('question-input');
  const answerArea = $('answer-area');
  const answerEl = $('answer');
  const answerStatus = $('answer-status');
  let current = null; // the question being answered or last answered

  questionInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      askForm.requestSubmit ? askForm.requestSubmit() : ask();
    }
  });
  askForm.addEventListener('submit', (ev) => { ev.preventDefault(); ask(); });

  function resetAnswer() {
    answerArea.hidden = false;
    put(answerEl);
    answerEl.classList.add('streaming');
    answerEl.setAttribute('aria-busy', 'true');
    put($('answer-extra'));
    put($('retrieved'), h('li', { class: 'empty' }, 'Retrieving…'));
    put($('latency'));
    put($('usage'));
    put($('answer-meta'));
    $('feedback').hidden = true;
    $('dataset-form').hidden = true;
    $('thumbs-up').setAttribute('aria-pressed', 'false');
    $('thumbs-down').setAttribute('aria-pressed', 'false');
    $('feedback-reason').value = '';
    $('feedback-comment').value = '';
    put($('feedback-status'));
    $('dataset-result').textContent = '';
    $('dataset-corrected').value = '';
    closeSource();
  }

  async function ask() {
    const question = questionInput.value.trim();
    if (!question) {
      showError(new ApiError('type a question first', 'the question box is empty'));
      questionInput.focus();
      return;
    }
    if (!state.collection) { showError(needCollection()); return; }
    if (current && current.controller) current.controller.abort();
    clearErrors();
    const run = {
      collection: state.collection,
      question,
      passages: new Map(),
      answer: null,
      rating: null,
      controller: new AbortController(),
      text: document.createTextNode(''),
      feedbackSeq: 0,
    };
    current = run;
    resetAnswer();
    answerEl.append(run.text);
    answerStatus.textContent = 'Retrieving passages…';
    const body = { question, stream: true };
    const variant = $('variant-select').value;
    if (variant) body.variant = variant;
    let finished = false;
    try {
      const res = await api('POST', `/v1/collections/${enc(run.collection)}/query`, body,
        { raw: true, signal: run.controller.signal, accept: 'text/event-stream' });
      const type = res.headers.get('content-type') || '';
      if (!type.includes('text/event-stream')) {
        const answer = JSON.parse(await res.text());
        finished = true;
        showPassages(run, (answer.citations || []).concat(answer.nearest || []));
        onDone(run, answer);
        return;
      }
      await readEvents(res, (event, data) => {
        if (current !== run) return;
        let payload;
        try { payload = JSON.parse(data); } catch (_) { return; }
        if (event === 'retrieval') {
          showPassages(run, payload.citations || []);
          answerStatus.textContent = 'Writing the answer…';
        } else if (event === 'token') {
          if (typeof payload.text === 'string') run.text.appendData(payload.text);
        } else if (event === 'done') {
          finished = true;
          onDone(run, payload);
        } else if (event === 'error') {
          finished = true;
          onStreamError(run, payload);
        }
      });
      if (!finished && current === run) {
        throw new ApiError('the answer stream ended before the answer was complete', 'ask again; if it keeps happening, look at the server log');
      }
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (current === run) {
        stopStreaming('Failed');
        if (!run.passages.size) put($('retrieved'), h('li', { class: 'empty' }, 'No passages.'));
      }
      showError(e);
    }
  }

  function stopStreaming(status) {
    answerEl.classList.remove('streaming');
    answerEl.removeAttribute('aria-busy');
    answerStatus.textContent = status;
  }

  function showPassages(run, citations) {
    for (const c of citations) if (c && num(c.n) && !run.passages.has(c.n)) run.passages.set(c.n, c);
    const list = $('retrieved');
    const sorted = Array.from(run.passages.values()).sort((a, b) => a.n - b.n);
    put(list, ...(sorted.length
      ? sorted.map((c) => passageItem(c, (n, el) => openSource(run, n, el), 'retrieved-passage'))
      : [h('li', { class: 'empty' }, 'No passages were retrieved.')]));
  }

  function onStreamError(run, body) {
    const e = body && body.error ? new ApiError(body.error.message, body.error.hint, body.error.code) : new ApiError('the answer failed', '');
    if (body && Array.isArray(body.citations)) showPassages(run, body.citations);
    stopStreaming('Failed');
    if (!run.passages.size) put($('retrieved'), h('li', { class: 'empty' }, 'No passages.'));
    showError(e);
  }

  function onDone(run, answer) {
    run.answer = answer;
    showPassages(run, (answer.citations || []).concat(answer.nearest || []));
    const extra = renderAnswerText(answerEl, answer, { interactive: true, testids: true });
    stopStreaming(answer.abstained ? 'Abstained' : `Answered in ${ms(answer.latency_ms && answer.latency_ms.total)}`);
    const box = $('answer-extra');
    put(box, ...extra);
    if (answer.citations_inferred) add(box, h('p', { class: 'help' }, 'The answer had no [n] markers; its citations were matched by shared words.'));
    if (answer.abstained) {
      const nearest = Array.isArray(answer.nearest) ? answer.nearest : [];
      add(box, h('div', { class: 'abstained-box', 'data-testid': 'abstained' },
        h('p', null, h('strong', null, 'No answer in the documents. '), h('span', { 'data-testid': 'abstain-reason' }, abstainReason(answer.abstain_reason))),
        nearest.length
          ? [h('p', null, 'The nearest passages, for a person to look at:'),
            h('ol', { class: 'passages' }, nearest.map((c) => passageItem(c, (n, el) => openSource(run, n, el), 'nearest-passage')))]
          : h('p', { class: 'help' }, 'No passage came close.')));
    }
    if (answer.disclaimer) add(box, h('p', { class: 'help' }, answer.disclaimer));
    renderLatency($('latency'), answer.latency_ms);
    const u = answer.usage || {};
    put($('usage'), 
      h('p', null, `Tokens: ${u.prompt_tokens ?? 0} prompt · ${u.completion_tokens ?? 0} completion`),
      answer.cost && num(answer.cost.amount)
        ? h('p', null, `Cost: ${money(answer.cost.amount, answer.cost.currency)}`)
        : h('p', { class: 'help' }, 'Cost: no prices configured ([pricing] in cairn.toml).'));
    renderMeta($('answer-meta'), answer);
    $('feedback').hidden = false;
    $('dataset-form').hidden = false;
  }

  function renderLatency(target, l) {
    l = l || {};
    const stages = ['embed', 'retrieve', 'generate', 'ground', 'total'];
    put(target, h('div', { class: 'table-wrap' }, h('table', null,
      h('caption', null, 'Latency per stage'),
      h('thead', null, h('tr', null, stages.map((s) => h('th', { scope: 'col', class: 'num' }, s)))),
      h('tbody', null, h('tr', null, stages.map((s) => h('td', { class: 'num', 'data-stage': s }, ms(l[s]))))))));
  }

  function renderMeta(dl, a) {
    const rows = [
      ['Model', a.model], ['Prompt version', a.prompt_version], ['Embedder', a.embedder],
      ['Config hash', a.config_hash], ['Variant', a.variant || 'default'],
      ['Experiment', a.experiment ? `${a.experiment.name} (arm ${a.experiment.arm})` : 'none'],
    ];
    const g = a.grounding;
    if (g) rows.push(['Grounding', `score ${fixed(g.score, 2)}${g.profile ? ', ' + g.profile + ' profile' : ''}${g.method ? ', ' + g.method : ''}`]);
    const ev = a.evidence;
    if (ev) rows.push(['Evidence', `similarity ${fixed(ev.similarity, 2)}, coverage ${fixed(ev.coverage, 2)}${ev.intent ? ', asks for ' + ev.intent : ''}`]);
    rows.push(['Answer id', a.answer_id]);
    put(dl, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', { class: k === 'Config hash' || k === 'Answer id' ? 'mono' : null }, v || '—')]));
  }

  // Citations in the answer open the source panel.
  answerEl.addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-testid="citation"]');
    if (button && current) openSource(current, Number(button.dataset.n), button);
  });

  // Feedback --------------------------------------------------------------------

  let feedbackChain = Promise.resolve();

  function sendFeedback() {
    const run = current;
    if (!run || !run.answer) return;
    const status = $('feedback-status');
    if (!run.rating) {
      put(status, h('span', { class: 'bad' }, 'Choose Helpful or Not helpful first.'));
      return;
    }
    const body = { rating: run.rating };
    const reason = $('feedback-reason').value;
    const comment = $('feedback-comment').value.trim();
    if (reason) body.reason = reason;
    if (comment) body.comment = comment;
    const seq = ++run.feedbackSeq;
    put(status, h('span', null, 'Saving…'));
    const id = run.answer.answer_id;
    feedbackChain = feedbackChain
      .then(() => api('POST', `/v1/answers/${enc(id)}/feedback`, body))
      .then(() => {
        if (current === run && seq === run.feedbackSeq) {
          put(status, h('span', { class: 'good', 'data-testid': 'feedback-saved' }, 'Feedback saved'));
        }
      }, (e) => {
        if (current === run && seq === run.feedbackSeq) put(status, h('span', { class: 'bad' }, 'Not saved.'));
        showError(e);
      });
  }

  function rate(rating) {
    if (!current || !current.answer) return;
    current.rating = rating;
    $('thumbs-up').setAttribute('aria-pressed', String(rating === 'up'));
    $('thumbs-down').setAttribute('aria-pressed', String(rating === 'down'));
    sendFeedback();
  }
  $('thumbs-up').addEventListener('click', () => rate('up'));
  $('thumbs-down').addEventListener('click', () => rate('down'));
  $('feedback-send').addEventListener('click', sendFeedback);

  $('dataset-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const run = current;
    if (!run || !run.answer) return;
    const result = $('dataset-result');
    const button = ev.currentTarget.querySelector('button[type="submit"]');
    button.disabled = true;
    result.textContent = 'Adding…';
    result.className = 'status';
    try {
      result.textContent = await addToDataset($('dataset-name').value.trim(), run.answer.answer_id, $('dataset-corrected').value);
      result.className = 'status good';
    } catch (e) {
      result.textContent = 'Not added.';
      result.className = 'status bad';
      showError(e);
    } finally {
      button.disabled = false;
    }
  });

  // Source panel ------------------------------------------------------------------

  const panel = $('source-panel');
  let panelReturn = null;
  let panelToken = 0;

  /** Code-point ranges [a, b) of `n`'s passage that support the answer's sentences, merged. */
  function supportSpans(answer, n) {
    const sentences = (answer && answer.grounding && answer.grounding.sentences) || [];
    const spans = sentences
      .filter((s) => s.source_chunk === n && Array.isArray(s.span) && num(s.span[0]) && num(s.span[1]) && s.span[0] < s.span[1])
      .map((s) => [s.span[0], s.span[1]])
      .sort((x, y) => x[0] - y[0]);
    const merged = [];
    for (const sp of spans) {
      const last = merged[merged.length - 1];
      if (last && sp[0] <= last[1]) last[1] = Math.max(last[1], sp[1]); else merged.push(sp.slice());
    }
    return merged;
  }

  function renderPassage(target, text, spans) {
    const chars = Array.from(text || '');
    put(target);
    let pos = 0;
    for (let [a, b] of spans) {
      a = Math.max(pos, Math.min(a, chars.length));
      b = Math.min(b, chars.length);
      if (b <= a) continue;
      if (a > pos) target.append(chars.slice(pos, a).join(''));
      target.append(h('mark', null, chars.slice(a, b).join('')));
      pos = b;
    }
    if (pos < chars.length) target.append(chars.slice(pos).join(''));
    return target.querySelector('mark');
  }

  async function openSource(run, n, trigger) {
    const token = ++panelToken;
    panelReturn = trigger || null;
    const c = run.passages.get(n);
    panel.hidden = false;
    $('source-title').textContent = `Passage [${n}]`;
    const text = $('source-text');
    const note = $('source-note');
    if (!c) {
      $('source-file').textContent = '—';
      $('source-heading').textContent = '—';
      $('source-score').textContent = '—';
      text.textContent = `Passage ${n} is not among the retrieved passages.`;
      note.textContent = '';
      panel.focus({ preventScroll: true });
      return;
    }
    $('source-file').textContent = c.title && c.title !== c.source ? `${c.source} — ${c.title}` : (c.source || '—');
    $('source-heading').textContent = c.heading || '—';
    $('source-score').textContent = fixed(c.score);
    text.textContent = c.snippet || '';
    note.textContent = 'Loading the full passage…';
    panel.focus({ preventScroll: true });
    const spans = supportSpans(run.answer, n);
    try {
      const chunk = await api('GET', `/v1/collections/${enc(run.collection)}/chunks/${enc(c.chunk_id)}`);
      if (token !== panelToken) return;
      if (Array.isArray(chunk.heading) && chunk.heading.length) $('source-heading').textContent = chunk.heading.join(' > ');
      const first = renderPassage(text, chunk.text || '', spans);
      note.textContent = spans.length
        ? 'Highlighted: what supports the answer’s sentences.'
        : 'No sentence of the answer was matched to this passage.';
      if (first) panel.scrollTop = Math.max(0, first.offsetTop - 80); // the panel only, not the page
    } catch (e) {
      if (token !== panelToken) return;
      note.textContent = `The full passage could not be loaded (${e.message}); this is its opening.`;
      showError(e);
    }
  }

  function closeSource() {
    if (panel.hidden) return;
    panelToken++;
    panel.hidden = true;
    const back = panelReturn;
    panelReturn = null;
    if (back && document.contains(back)) back.focus();
  }
  $('source-close').addEventListener('click', closeSource);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !panel.hidden) { ev.preventDefault(); closeSource(); }
  });

  // ---------------------------------------------------------------- compare

  const compareForm = $('compare-form');
  const compareToggle = $('compare-toggle');
  let comparison = null;

  function columnTitle(side, arm, cmp) {
    const label = side === 'left' ? 'Left' : 'Right';
    const hidden = cmp.blind && !cmp.revealed;
    return h('h2', null, `${label} answer`,
      hidden ? h('span', { class: 'badge', 'data-testid': 'variant-name' }, 'variant hidden')
        : h('span', { class: 'badge accent', 'data-testid': 'variant-name' }, arm.answer && arm.answer.variant ? arm.answer.variant : arm.variant));
  }

  function renderColumn(side, cmp) {
    const arm = cmp.shown[side === 'left' ? 0 : 1];
    const col = $(`compare-${side}`);
    const kids = [columnTitle(side, arm, cmp)];
    if (arm.error) {
      kids.push(h('p', { class: 'bad' }, `No answer: ${arm.error.message}`));
    } else if (!arm.answer) {
      kids.push(h('p', { class: 'status' }, 'Answering…'));
    } else {
      const a = arm.answer;
      const text = h('div', { class: 'answer' });
      const after = renderAnswerText(text, a, { interactive: false, testids: false });
      kids.push(text, ...after);
      if (a.abstained) kids.push(h('p', { class: 'abstained-box' }, `Abstained: ${abstainReason(a.abstain_reason)}`));
      const cites = Array.isArray(a.citations) ? a.citations : [];
      kids.push(h('h3', null, 'Cited passages'));
      kids.push(cites.length
        ? h('ol', { class: 'citations' }, cites.map((c) => h('li', { value: c.n }, h('strong', null, c.source), c.heading ? ` — ${c.heading}` : '', ` (score ${fixed(c.score)})`)))
        : h('p', { class: 'empty' }, 'No citations.'));
      kids.push(h('p', { class: 'help' },
        `Total latency ${ms(a.latency_ms && a.latency_ms.total)} · grounding score ${fixed(a.grounding && a.grounding.score, 2)}` +
        (a.grounding && a.grounding.hallucinated ? ' · has unsupported sentences' : '')));
    }
    put(col, ...kids);
  }

  function setPreferButtons(enabled) {
    for (const b of document.querySelectorAll('[data-prefer]')) b.disabled = !enabled;
  }

  $('compare-question').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      compareForm.requestSubmit();
    }
  });
  compareForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const question = $('compare-question').value.trim();
    if (!question) { showError(new ApiError('type a question first', 'the question box is empty')); return; }
    if (!state.collection) { showError(needCollection()); return; }
    clearErrors();
    const blind = compareToggle.checked;
    const arms = [{ variant: $('compare-left-variant').value || 'default' }, { variant: $('compare-right-variant').value || 'default' }];
    const swap = blind && (crypto.getRandomValues(new Uint8Array(1))[0] & 1) === 1;
    const cmp = { question, collection: state.collection, blind, revealed: !blind, voted: false, shown: swap ? [arms[1], arms[0]] : arms };
    comparison = cmp;
    $('compare-results').hidden = false;
    $('compare-reveal').textContent = '';
    setPreferButtons(false);
    renderColumn('left', cmp);
    renderColumn('right', cmp);
    $('compare-status').textContent = 'Asking both…';
    const button = $('compare-ask');
    button.disabled = true;
    await Promise.all(cmp.shown.map(async (arm, i) => {
      try {
        arm.answer = await api('POST', `/v1/collections/${enc(cmp.collection)}/query`, { question, variant: arm.variant, stream: false });
      } catch (e) {
        arm.error = e;
        if (comparison === cmp) showError(e);
      }
      if (comparison === cmp) renderColumn(i === 0 ? 'left' : 'right', cmp);
    }));
    button.disabled = false;
    if (comparison !== cmp) return;
    const both = cmp.shown.every((a) => a.answer);
    $('compare-status').textContent = both ? 'Both answers are in. Which is better?' : 'One of the answers failed.';
    setPreferButtons(both);
  });

  for (const b of document.querySelectorAll('[data-prefer]')) {
    b.addEventListener('click', async () => {
      const cmp = comparison;
      if (!cmp || cmp.voted || !cmp.shown.every((a) => a.answer)) return;
      const [l, r] = cmp.shown;
      const body = {
        collection: cmp.collection,
        question: cmp.question,
        left: { answer_id: l.answer.answer_id, variant: l.answer.variant || l.variant },
        right: { answer_id: r.answer.answer_id, variant: r.answer.variant || r.variant },
        preferred: b.dataset.prefer,
        blind: cmp.blind,
      };
      setPreferButtons(false);
      try {
        await api('POST', '/v1/preferences', body);
      } catch (e) {
        setPreferButtons(true);
        showError(e);
        return;
      }
      cmp.voted = true;
      cmp.revealed = true;
      renderColumn('left', cmp);
      renderColumn('right', cmp);
      const words = { left: 'You preferred the left answer.', right: 'You preferred the right answer.', tie: 'You called it a tie.' };
      put($('compare-reveal'), 
        h('span', { 'data-testid': 'preference-saved' }, `${words[body.preferred]} Saved. `),
        `Left was “${body.left.variant}”, right was “${body.right.variant}”.`);
      loadTally();
    });
  }

  async function loadTally() {
    const box = $('preference-tally');
    if (!state.collection) { put(box, h('p', { class: 'empty' }, 'Choose a collection to see its preferences.')); return; }
    try {
      const body = await apiGet('/v1/preferences', { collection: state.collection });
      const pairs = (body && body.pairs) || [];
      if (!pairs.length) { put(box, h('p', { class: 'empty' }, 'No preferences recorded yet for this collection.')); return; }
      put(box, num(body.total) ? h('p', { class: 'help' }, `${body.total} preference${body.total === 1 ? '' : 's'} recorded` +
        (num(body.blind) ? `, ${body.blind} of them blind.` : '.')) : null,
      table(['Variant A', 'Variant B', 'A wins', 'B wins', 'Ties', 'Total'],
        pairs.map((p) => [p.a, p.b, p.a_wins, p.b_wins, p.ties, p.n]), { num: [2, 3, 4, 5] }));
    } catch (e) {
      put(box, h('p', { class: 'bad' }, `Preferences could not be loaded: ${e.message}`));
      showError(e);
    }
  }

  // ---------------------------------------------------------------- dashboard

  const DAY = 86400;
  const charts = {};
  let dashboardGen = 0;

  function dashboardFilters() {
    const range = $('dashboard-range').value;
    const since = range === 'all' ? '' : new Date(Date.now() - Number(range) * DAY * 1000).toISOString();
    return { collection: state.collection, variant: $('dashboard-variant').value, since };
  }

  async function loadDashboard() {
    const gen = ++dashboardGen;
    const f = dashboardFilters();
    const status = $('dashboard-status');
    status.textContent = 'Loading…';
    await Promise.all([
      loadStats(gen, f), loadInsights(gen, f), loadQueue(gen, f), loadExperiments(gen), loadEvals(gen),
    ]);
    if (gen === dashboardGen) status.textContent = `Updated ${new Date().toLocaleTimeString('en', { timeStyle: 'short' })}`;
  }

  /** Runs a dashboard section loader; a failure is shown in the section and the alert area. */
  async function section(gen, box, what, work) {
    try {
      await work();
    } catch (e) {
      if (gen !== dashboardGen) return;
      put(box, h('p', { class: 'bad' }, `${what} could not be loaded: ${e.message}`));
      showError(e);
    }
  }

  function statCard(testid, label, value, detail) {
    return h('div', { class: 'stat', 'data-testid': testid },
      h('div', { class: 'stat-label' }, label),
      h('div', { class: 'stat-value' }, value),
      detail ? h('div', { class: 'stat-detail' }, detail) : null);
  }

  function loadStats(gen, f) {
    const headline = $('headline');
    return section(gen, headline, 'Statistics', async () => {
      const s = await apiGet('/v1/stats', f);
      if (gen !== dashboardGen) return;
      const fb = s.feedback || {};
      const lat = (s.latency_ms && s.latency_ms.total) || null;
      const cost = s.cost || {};
      const ratings = (fb.up || 0) + (fb.down || 0);
      const answered = (s.answers || 0) - (s.abstained || 0);
      put(headline, 
        statCard('stat-answers', 'Answers', (s.answers || 0).toLocaleString('en'), `${s.abstained || 0} abstained`),
        statCard('stat-thumbs', 'Thumbs-up rate', pct(fb.thumbs_up_rate),
          ratings ? `${interval(fb.thumbs_up_interval_95) ? '95% interval ' + interval(fb.thumbs_up_interval_95) + ' · ' : ''}${ratings} rating${ratings === 1 ? '' : 's'}` : 'no ratings yet'),
        statCard('stat-hallucination', 'Hallucination rate', pct(s.hallucination_rate),
          answered > 0 ? `${s.hallucinated || 0} of ${answered} answered` : 'nothing answered yet'),
        statCard('stat-abstention', 'Abstention rate', pct(s.abstention_rate), `${s.abstained || 0} of ${s.answers || 0}`),
        statCard('stat-latency', 'Latency p50 / p95', lat ? `${ms(lat.p50)} / ${ms(lat.p95)}` : '—', 'total, per answer'),
        statCard('stat-cost', 'Cost per answer', money(cost.per_answer, cost.currency),
          num(cost.total) && cost.total > 0 ? `${money(cost.total, cost.currency)} in total` : 'no cost recorded'));
      renderStageTable(s.latency_ms || {});
      let daily = Array.isArray(s.daily) ? s.daily.slice() : null;
      if (!daily && s.answers_per_day) {
        daily = Object.entries(s.answers_per_day).map(([day, answers]) => ({ day, answers }));
      }
      daily = (daily || []).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d.day)).sort((a, b) => (a.day < b.day ? -1 : 1));
      drawCharts(s.answers ? daily : []);
    });
  }

  function renderStageTable(latency) {
    const box = $('latency-table');
    const stages = ['embed', 'retrieve', 'generate', 'ground', 'total'].filter((st) => latency[st]);
    for (const st of Object.keys(latency)) if (!stages.includes(st)) stages.push(st);
    if (!stages.length) { put(box, h('p', { class: 'empty' }, 'No answers yet.')); return; }
    put(box, table(['Stage', 'p50', 'p95', 'p99'],
      stages.map((st) => [st, ms(latency[st].p50), ms(latency[st].p95), ms(latency[st].p99)]), { num: [1, 2, 3], rowHead: true }));
  }

  // Charts ------------------------------------------------------------------------

  const toSec = (day) => {
    const [y, m, d] = day.split('-').map(Number);
    return Date.UTC(y, m - 1, d) / 1000;
  };
  const asPct = (v) => (num(v) ? v * 100 : null);
  const lo = (iv) => (Array.isArray(iv) && num(iv[0]) ? iv[0] * 100 : null);
  const hi = (iv) => (Array.isArray(iv) && num(iv[1]) ? iv[1] * 100 : null);
  const val = (v) => (num(v) ? v : null);

  function chartSize(el) {
    const width = Math.max(200, Math.floor(el.clientWidth || (el.parentElement && el.parentElement.clientWidth) || 600));
    return { width, height: width < 480 ? 210 : 240 };
  }

  function baseOptions(xs, el, yAxes, series, bands) {
    const size = chartSize(el);
    const daySplits = (u) => {
      const room = Math.max(1, Math.floor((u.width || size.width) / 64));
      const step = Math.max(1, Math.ceil(xs.length / room));
      return xs.filter((_, i) => i % step === 0);
    };
    return {
      width: size.width,
      height: size.height,
      padding: [10, 8, 0, 4],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: Object.assign({
        // Half a day either side of the data (also with a single day, where min equals max).
        x: { time: true, range: () => [xs[0] - DAY / 2, xs[xs.length - 1] + DAY / 2] },
      }, yAxes.scales),
      axes: [{ splits: daySplits, values: (u, splits) => splits.map(dayLabel), size: 36, grid: { show: false } }].concat(yAxes.axes),
      series: [{ label: 'Day', value: (u, v) => (v == null ? '—' : dayLabel(v)) }].concat(series),
      bands: bands || [],
      // Without a cursor, the legend shows the latest day's values.
      hooks: { ready: [(u) => u.setLegend({ idx: xs.length - 1 })] },
    };
  }

  const pctScale = { range: () => [0, 100] };
  const pctAxis = (side) => ({ scale: 'pct', side: side || 3, size: 44, values: (u, splits) => splits.map((v) => `${v}%`) });
  const fmtPct = (u, v) => (v == null ? '—' : `${v.toFixed(1)}%`);
  const line = (label, scale, stroke, extra) => Object.assign({ label, scale, stroke, width: 2, points: { show: true, size: 6 }, value: fmtPct }, extra || {});
  const bound = (label, scale, stroke) => ({ label, scale, stroke, width: 1, dash: [4, 4], points: { show: false }, value: fmtPct });

  function drawChart(key, el, opts, data) {
    if (charts[key]) { charts[key].chart.destroy(); delete charts[key]; }
    put(el);
    if (!data) { el.append(h('p', { class: 'chart-empty' }, 'No answers yet')); return; }
    if (typeof window.uPlot !== 'function') {
      el.append(h('p', { class: 'chart-empty' }, 'Charts are unavailable: the chart library did not load.'));
      return;
    }
    charts[key] = { chart: new window.uPlot(opts, data, el), el };
  }

  function drawCharts(daily) {
    const ids = ['chart-thumbs', 'chart-hallucination', 'chart-latency'];
    if (!daily.length) { for (const id of ids) drawChart(id, $(id), null, null); return; }
    const xs = daily.map((d) => toSec(d.day));
    const barsPath = window.uPlot && window.uPlot.paths && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.6, 48] }) : undefined;

    const tEl = $('chart-thumbs');
    drawChart('chart-thumbs', tEl, baseOptions(xs, tEl,
      {
        scales: { pct: pctScale, n: { range: (u, min, max) => [0, Math.max(1, Math.ceil((max || 0) * 1.15))] } },
        axes: [pctAxis(3), { scale: 'n', side: 1, size: 40, grid: { show: false } }],
      },
      [
        { label: 'Answers', scale: 'n', stroke: '#9db3e3', fill: 'rgba(36,87,197,0.18)', width: 1, paths: barsPath, points: { show: false }, value: (u, v) => (v == null ? '—' : String(v)) },
        line('Thumbs-up rate', 'pct', '#2457c5'),
        bound('95% low', 'pct', 'rgba(36,87,197,0.45)'),
        bound('95% high', 'pct', 'rgba(36,87,197,0.45)'),
      ],
      [{ series: [4, 3], fill: 'rgba(36,87,197,0.12)' }]),
    [xs, daily.map((d) => val(d.answers)), daily.map((d) => asPct(d.thumbs_up_rate)),
      daily.map((d) => lo(d.thumbs_up_interval_95)), daily.map((d) => hi(d.thumbs_up_interval_95))]);

    const gEl = $('chart-hallucination');
    drawChart('chart-hallucination', gEl, baseOptions(xs, gEl,
      { scales: { pct: pctScale }, axes: [pctAxis(3)] },
      [
        line('Hallucination', 'pct', '#b42318'),
        bound('95% low', 'pct', 'rgba(180,35,24,0.4)'),
        bound('95% high', 'pct', 'rgba(180,35,24,0.4)'),
        line('Abstention', 'pct', '#a15c00'),
        bound('95% low', 'pct', 'rgba(161,92,0,0.4)'),
        bound('95% high', 'pct', 'rgba(161,92,0,0.4)'),
      ],
      [{ series: [3, 2], fill: 'rgba(180,35,24,0.10)' }, { series: [6, 5], fill: 'rgba(161,92,0,0.10)' }]),
    [xs, daily.map((d) => asPct(d.hallucination_rate)), daily.map((d) => lo(d.hallucination_interval_95)), daily.map((d) => hi(d.hallucination_interval_95)),
      daily.map((d) => asPct(d.abstention_rate)), daily.map((d) => lo(d.abstention_interval_95)), daily.map((d) => hi(d.abstention_interval_95))]);

    const lEl = $('chart-latency');
    const fmtMs = (u, v) => (v == null ? '—' : ms(v));
    drawChart('chart-latency', lEl, baseOptions(xs, lEl,
      {
        scales: { ms: { range: (u, min, max) => [0, num(max) && max > 0 ? max * 1.15 : 1] } },
        axes: [{ scale: 'ms', size: 56, values: (u, splits) => splits.map((v) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`)) }],
      },
      [
        line('p50', 'ms', '#2457c5', { value: fmtMs }),
        line('p95', 'ms', '#6b3fa0', { value: fmtMs, dash: [6, 3] }),
      ]),
    [xs, daily.map((d) => val(d.latency_p50_ms)), daily.map((d) => val(d.latency_p95_ms))]);
  }

  let resizeQueued = false;
  window.addEventListener('resize', () => {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(() => {
      resizeQueued = false;
      resizeCharts();
    });
  });
  function resizeCharts() {
    for (const { chart, el } of Object.values(charts)) {
      if (!el.clientWidth) continue;
      const size = chartSize(el);
      if (size.width !== chart.width || size.height !== chart.height) chart.setSize(size);
    }
  }

  // Insights ----------------------------------------------------------------------

  function loadInsights(gen, f) {
    const box = $('insights');
    return section(gen, box, 'Insights', async () => {
      const ins = await apiGet('/v1/insights', f);
      if (gen !== dashboardGen) return;
      const topics = (ins && ins.topics) || [];
      if (!topics.length) {
        put(box, h('p', { class: 'empty' }, 'No recurring problems: no answer was rated down or flagged as not supported.'));
        return;
      }
      const shown = topics.slice(0, 8);
      const lists = shown.map(() => h('div'));
      put(box, 
        h('p', { class: 'help' }, `${ins.answers} answer${ins.answers === 1 ? '' : 's'} rated down or not supported, in ${topics.length} topic${topics.length === 1 ? '' : 's'}.`),
        h('ol', { class: 'topics' }, shown.map((t, i) => h('li', { 'data-testid': 'topic' },
          h('p', null, h('span', { class: 'badge accent' }, `${t.size} question${t.size === 1 ? '' : 's'}`), h('strong', null, t.representative_question)),
          lists[i]))),
        topics.length > shown.length ? h('p', { class: 'help' }, `${topics.length - shown.length} smaller topics not shown.`) : null);
      await Promise.all(shown.map(async (t, i) => {
        const ids = (t.answer_ids || []).slice(0, 2);
        const found = await Promise.all(ids.map((id) => api('GET', `/v1/answers/${enc(id)}`).catch(() => null)));
        if (gen !== dashboardGen) return;
        lists[i].replaceChildren(...found.filter(Boolean).map((la) => h('div', { class: 'example' },
          h('p', null, h('strong', null, 'Q: '), la.question),
          h('p', null, h('strong', null, 'A: '), truncate(la.answer && la.answer.answer, 400)))));
      }));
    });
  }

  // Review queue ------------------------------------------------------------------

  let reviewCounter = 0;

  function loadQueue(gen, f) {
    const box = $('review-queue');
    return section(gen, box, 'The review queue', async () => {
      const page = await apiGet('/v1/answers', Object.assign({ needs_review: 'true', limit: 10 }, f));
      if (gen !== dashboardGen) return;
      const answers = (page && page.answers) || [];
      if (!answers.length) {
        put(box, h('p', { class: 'empty' }, 'Nothing to review: no answer rated down or flagged as not supported is waiting.'));
        return;
      }
      put(box, 
        h('ul', { class: 'queue' }, answers.map(reviewItem)),
        page.next_cursor != null ? h('p', { class: 'help' }, 'More answers are waiting; review these first, then refresh.') : null);
    });
  }

  function reviewItem(la) {
    const id = `r${++reviewCounter}`;
    const a = la.answer || {};
    const fb = Array.isArray(la.feedback) ? la.feedback : [];
    const sources = (Array.isArray(a.citations) && a.citations.length) ? a.citations : (a.nearest || []);
    let verdict = null;
    const status = h('p', { class: 'status', role: 'status' });
    const correct = h('button', { type: 'button', 'aria-pressed': 'false', 'data-testid': 'review-correct' }, 'Correct');
    const incorrect = h('button', { type: 'button', 'aria-pressed': 'false', 'data-testid': 'review-incorrect' }, 'Incorrect');
    const pick = (v) => {
      verdict = v;
      correct.setAttribute('aria-pressed', String(v === 'correct'));
      incorrect.setAttribute('aria-pressed', String(v === 'incorrect'));
    };
    correct.addEventListener('click', () => pick('correct'));
    incorrect.addEventListener('click', () => pick('incorrect'));
    const corrected = h('textarea', { id: `${id}-corrected`, rows: 2, 'data-testid': 'review-corrected' });
    const note = h('input', { id: `${id}-note`, type: 'text', 'data-testid': 'review-note' });
    const dataset = h('input', { id: `${id}-dataset`, type: 'text', list: 'datasets-list', 'data-testid': 'review-dataset', placeholder: 'regressions', autocomplete: 'off', spellcheck: 'false' });
    const item = h('li', { class: 'review-item', 'data-testid': 'review-item' });
    const save = h('button', { type: 'button', class: 'primary', 'data-testid': 'review-save' }, 'Save review');
    save.addEventListener('click', async () => {
      if (!verdict) { status.className = 'status bad'; status.textContent = 'Choose Correct or Incorrect first.'; return; }
      const body = { verdict };
      if (corrected.value.trim()) body.corrected_answer = corrected.value.trim();
      if (note.value.trim()) body.note = note.value.trim();
      save.disabled = true;
      status.className = 'status';
      status.textContent = 'Saving…';
      try {
        const res = await api('POST', `/v1/answers/${enc(a.answer_id)}/review`, body);
        const r = (res && res.review) || body;
        status.className = 'status good';
        put(status, h('span', { 'data-testid': 'review-saved' }, `Review saved: ${r.verdict}${r.reviewer ? ', by ' + r.reviewer : ''}.`));
        item.classList.add('reviewed');
      } catch (e) {
        status.className = 'status bad';
        status.textContent = 'Not saved.';
        showError(e);
      } finally {
        save.disabled = false;
      }
    });
    const addButton = h('button', { type: 'button', 'data-testid': 'review-add-dataset' }, 'Add to dataset');
    addButton.addEventListener('click', async () => {
      addButton.disabled = true;
      status.className = 'status';
      status.textContent = 'Adding…';
      try {
        status.textContent = await addToDataset(dataset.value.trim(), a.answer_id, corrected.value);
        status.className = 'status good';
      } catch (e) {
        status.className = 'status bad';
        status.textContent = 'Not added.';
        showError(e);
      } finally {
        addButton.disabled = false;
      }
    });
    const answerBox = h('div', { class: 'review-answer' });
    appendWithMarkers(answerBox, a.answer || '', false);
    add(item,
      h('h3', null, la.question || '(no question)'),
      h('p', null,
        a.grounding && a.grounding.hallucinated ? h('span', { class: 'badge bad', 'data-testid': 'review-hallucinated' }, 'not supported by its passages') : null,
        a.abstained ? h('span', { class: 'badge' }, 'abstained') : null,
        a.variant ? h('span', { class: 'badge' }, `variant ${a.variant}`) : null,
        h('span', { class: 'help' }, `${la.collection || ''} · ${when(la.created_at)}`)),
      answerBox,
      fb.length
        ? h('ul', { class: 'small-list' }, fb.map((x) => h('li', { 'data-testid': 'review-feedback' },
          h('strong', null, x.rating === 'up' ? 'Rated helpful' : 'Rated not helpful'),
          x.reason ? ` — ${REASONS[x.reason] || x.reason}` : '',
          x.comment ? `: “${x.comment}”` : '')))
        : h('p', { class: 'help' }, 'No ratings.'),
      sources.length
        ? [h('p', { class: 'help' }, Array.isArray(a.citations) && a.citations.length ? 'Cited sources:' : 'Nearest passages:'),
          h('ul', { class: 'small-list' }, sources.map((c) => h('li', null,
            h('strong', null, `[${c.n}] ${c.source}`), c.heading ? ` — ${c.heading}` : '',
            c.snippet ? h('div', { class: 'help' }, c.snippet) : null)))]
        : h('p', { class: 'help' }, 'No sources cited.'),
      h('div', { class: 'review-controls' },
        h('div', { class: 'row', role: 'group', 'aria-label': 'Verdict' }, correct, incorrect),
        h('div', { class: 'field grow' }, h('label', { for: corrected.id }, 'Corrected answer'), corrected),
        h('div', { class: 'field' }, h('label', { for: note.id }, 'Note'), note),
        save),
      h('div', { class: 'review-controls' },
        h('div', { class: 'field' }, h('label', { for: dataset.id }, 'Dataset'), dataset),
        addButton),
      status);
    return item;
  }

  // Experiments -------------------------------------------------------------------

  const TESTS = { two_proportion_z: 'two-proportion z-test', fisher_exact: 'Fisher’s exact test', none: 'no test yet' };

  function loadExperiments(gen) {
    const box = $('experiments');
    return section(gen, box, 'Experiments', async () => {
      const body = await api('GET', '/v1/experiments');
      if (gen !== dashboardGen) return;
      const list = (body && body.experiments) || [];
      if (!list.length) { put(box, h('p', { class: 'empty' }, 'No experiments are configured.')); return; }
      const details = await Promise.all(list.map((x) => api('GET', `/v1/experiments/${enc(x.name)}`).catch((e) => ({ ...x, loadError: e }))));
      if (gen !== dashboardGen) return;
      put(box, ...details.map(experimentView));
    });
  }

  function experimentView(x) {
    const arms = Array.isArray(x.arms) ? x.arms : [];
    const total = arms.reduce((s, a) => s + (num(a.weight) ? a.weight : 0), 0);
    const r = x.results;
    const kids = [
      h('h3', null, x.name, ' ',
        h('span', { class: `badge ${x.state === 'running' ? 'good' : ''}`, 'data-testid': 'experiment-state' }, x.state || 'unknown'),
        h('span', { class: 'badge' }, x.collection ? `collection ${x.collection}` : 'all collections'),
        x.source ? h('span', { class: 'badge' }, `from ${x.source}`) : null),
      h('p', null, 'Arms: ', arms.map((a, i) => [i ? ' · ' : '', h('strong', null, a.variant),
        ` ${total > 0 ? Math.round((a.weight / total) * 100) + '%' : a.weight}`])),
    ];
    if (x.loadError) {
      kids.push(h('p', { class: 'bad' }, `Results could not be loaded: ${x.loadError.message}`));
    } else if (!r) {
      kids.push(h('p', { class: 'empty' }, 'No results yet.'));
    } else {
      const rarms = Array.isArray(r.arms) ? r.arms : [];
      kids.push(rarms.length ? table(['Arm', 'Answers', 'Ratings', 'Thumbs-up', 'Hallucination', 'Abstention', 'p50', 'p95', 'Cost/answer'],
        rarms.map((a) => [a.variant, a.answers ?? 0, a.ratings ?? 0,
          [pct(a.thumbs_up_rate), interval(a.thumbs_up_interval_95) ? h('div', { class: 'help' }, interval(a.thumbs_up_interval_95)) : null],
          pct(a.hallucination_rate), pct(a.abstention_rate), ms(a.latency_p50_ms), ms(a.latency_p95_ms), money(a.cost_per_answer, '')]),
        { num: [1, 2, 3, 4, 5, 6, 7, 8], rowHead: true, testid: 'experiment-arms' }) : h('p', { class: 'empty' }, 'No answers yet.'));
      const comps = Array.isArray(r.comparisons) ? r.comparisons : [];
      if (comps.length) {
        const rows = [];
        for (const c of comps) {
          for (const [key, label] of [['thumbs_up', 'Thumbs-up rate'], ['hallucination', 'Hallucination rate'], ['abstention', 'Abstention rate']]) {
            const m = c[key];
            if (!m) continue;
            rows.push([`${c.arm} vs ${c.control}`, label, pp(m.difference), ppInterval(m.interval_95), pValue(m.p_value), TESTS[m.test] || m.test || '—']);
          }
        }
        kids.push(h('h4', null, 'Against the control'), table(['Arms', 'Metric', 'Difference', '95% interval', 'p-value', 'Test'],
          rows, { num: [2, 3, 4], testid: 'experiment-comparisons' }));
      }
      const guards = Array.isArray(r.guardrails) ? r.guardrails : [];
      if (guards.length) {
        kids.push(h('h4', null, 'Guardrails'), h('ul', { class: 'guardrails' }, guards.map((g) => h('li', {
          class: g.worse ? 'worse' : '', 'data-testid': 'guardrail', 'data-worse': String(!!g.worse),
        }, g.worse ? '⚠ Worse: ' : '✓ OK: ', `${g.arm}, ${g.metric}`, g.detail ? ` — ${g.detail}` : ''))));
      }
      if (num(r.needed_per_arm)) kids.push(h('p', { class: 'help' }, `About ${Math.ceil(r.needed_per_arm).toLocaleString('en')} rated answers per arm are needed to detect a difference reliably.`));
      if (r.verdict) kids.push(h('p', { class: 'verdict', 'data-testid': 'experiment-verdict' }, r.verdict));
    }
    return h('div', { class: 'experiment', 'data-testid': 'experiment' }, kids);
  }

  // Evaluation runs ---------------------------------------------------------------

  let selectedEval = null;

  function loadEvals(gen) {
    const box = $('evals');
    return section(gen, box, 'Evaluation runs', async () => {
      const body = await api('GET', '/v1/evals');
      if (gen !== dashboardGen) return;
      const runs = Array.isArray(body) ? body : (body && body.runs) || [];
      if (!runs.length) {
        put(box, h('p', { class: 'empty' }, 'No evaluation runs yet. Start one with POST /v1/evals or cairn eval.'));
        put($('eval-detail'));
        return;
      }
      put(box, table(['Run', 'Dataset', 'Collection', 'Started', 'Status', 'Variants'], runs.map((r) => {
        const variants = r.variants || (r.result && r.result.run && r.result.run.variant_order) || null;
        return {
          attrs: { class: r.id === selectedEval ? 'selected' : null, 'data-testid': 'eval-run' },
          cells: [h('button', { type: 'button', 'data-testid': 'eval-open', title: r.id, onclick: () => openEval(r.id) }, String(r.id).slice(0, 8)),
            r.dataset, r.collection, when(r.created_at || r.started),
            h('span', { class: `badge ${r.status === 'done' ? 'good' : r.status === 'failed' ? 'bad' : ''}` }, r.status),
            Array.isArray(variants) ? variants.join(', ') : '—'],
        };
      })));
    });
  }

  async function openEval(id) {
    selectedEval = id;
    for (const tr of document.querySelectorAll('[data-testid="eval-run"]')) {
      tr.classList.toggle('selected', tr.querySelector('button').title === id);
    }
    const box = $('eval-detail');
    put(box, h('p', { class: 'status' }, 'Loading the run…'));
    try {
      const rec = await api('GET', `/v1/evals/${enc(id)}`);
      if (selectedEval !== id) return;
      put(box, evalView(rec));
    } catch (e) {
      put(box, h('p', { class: 'bad' }, `The run could not be loaded: ${e.message}`));
      showError(e);
    }
  }

  function evalView(rec) {
    const res = rec.result;
    const kids = [h('h3', null, `Run ${rec.id}`)];
    kids.push(h('p', null, h('span', { class: 'badge' }, rec.status), `${rec.dataset} on ${rec.collection}, started ${when(rec.created_at)}`));
    if (rec.error) kids.push(h('p', { class: 'bad' }, rec.error));
    if (!res) {
      kids.push(h('p', { class: 'empty' }, rec.status === 'running' ? 'Still running; refresh to see its result.' : 'This run has no result.'));
      return h('div', { class: 'eval-detail-box' }, kids);
    }
    const run = res.run || {};
    const order = Array.isArray(run.variant_order) && run.variant_order.length ? run.variant_order : Object.keys(res.metrics || {});
    kids.push(h('p', { class: 'help' }, `Dataset ${run.dataset || rec.dataset}${run.dataset_version ? ' version ' + run.dataset_version : ''}, ${(res.items || []).length} item results, variants ${order.join(', ')} (the first is the baseline).`));
    for (const w of res.warnings || []) kids.push(h('p', { class: 'bad' }, w));
    const metricNames = [];
    for (const v of order) for (const m of Object.keys((res.metrics || {})[v] || {})) if (!metricNames.includes(m)) metricNames.push(m);
    if (metricNames.length) {
      kids.push(h('h4', null, 'Metrics'), table(['Metric'].concat(order), metricNames.map((m) => [m.replace(/_/g, ' ')].concat(order.map((v) => {
        const x = ((res.metrics || {})[v] || {})[m];
        if (!x) return '—';
        const ci = Array.isArray(x.ci95) ? `[${general(x.ci95[0])}, ${general(x.ci95[1])}] ` : '';
        return [general(x.value), h('div', { class: 'help' }, `${ci}n=${x.n}`)];
      }))), { num: order.map((_, i) => i + 1), rowHead: true }));
    }
    for (const c of res.comparisons || []) {
      const metrics = Object.entries(c.metrics || {});
      kids.push(h('div', { class: 'eval-comparison', 'data-testid': 'eval-comparison' },
        h('h4', null, `${c.candidate} against ${c.baseline}`),
        (c.summary || []).length ? h('ul', { class: 'small-list' }, c.summary.map((s) => h('li', null, s))) : null,
        metrics.length ? table(['Metric', 'Delta', '95% interval', 'p-value', 'n', 'Test'], metrics.map(([name, d]) => {
          const iv = d.ci95 || d.interval_95;
          return [name.replace(/_/g, ' '), signed(d.delta), Array.isArray(iv) ? `${signed(iv[0])} to ${signed(iv[1])}` : '—',
            pValue(d.p_value), d.n ?? '—', String(d.test || '—').replace(/_/g, ' ')];
        }), { num: [1, 2, 3, 4], rowHead: true }) : null,
        h('p', null, h('strong', null, 'Regressed items: '), (c.regressed || []).length ? c.regressed.join(', ') : 'none'),
        h('p', null, h('strong', null, 'Improved items: '), (c.improved || []).length ? c.improved.join(', ') : 'none')));
    }
    if (!(res.comparisons || []).length) kids.push(h('p', { class: 'help' }, 'One variant only: nothing to compare.'));
    return h('div', { class: 'eval-detail-box' }, kids);
  }

  const dashFilters = $('dashboard-filters');
  dashFilters.addEventListener('submit', (ev) => { ev.preventDefault(); loadDashboard(); });
  $('dashboard-variant').addEventListener('change', loadDashboard);
  $('dashboard-range').addEventListener('change', loadDashboard);

  // ---------------------------------------------------------------- routing

  const ROUTES = ['playground', 'compare', 'dashboard'];
  const TITLES = { playground: 'Playground', compare: 'Compare', dashboard: 'Dashboard' };

  function route(initial) {
    const hash = location.hash || '';
    if (hash && !hash.startsWith('#/')) {
      if (state.route) return; // an in-page anchor such as the skip link
    }
    const name = hash.startsWith('#/') ? hash.slice(2).split(/[/?]/)[0] : '';
    const next = ROUTES.includes(name) ? name : 'playground';
    if (next === state.route) return;
    state.route = next;
    for (const page of document.querySelectorAll('.page')) page.hidden = page.dataset.page !== next;
    for (const a of document.querySelectorAll('.nav a')) {
      if (a.dataset.route === next) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    document.title = `${TITLES[next]} · cairn`;
    if (next !== 'playground') closeSource();
    if (!initial) {
      const title = document.querySelector(`[data-page="${next}"] .page-title`);
      if (title) title.focus({ preventScroll: true });
    }
    if (state.ready) loadPage();
  }

  window.addEventListener('hashchange', () => route(false));

  // ---------------------------------------------------------------- start

  async function start() {
    clientId();
    route(true);
    await loadCollections();
    state.ready = true;
    loadPage();
    loadVariants();
    loadDatasets();
  }

  start();
})();
