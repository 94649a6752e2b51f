// The HTTP/JSON API of the cdc gateway, on the same origin under /v1/.
//
// Every call sends the session token (kept in localStorage) as
// `authorization: Bearer <token>`. Errors come back from the gateway as
// {"code": <gRPC code>, "message": "...", "details": []}; they are thrown as
// ApiError, whose `title` and `message` are meant to be shown to people as
// they are. Streams: jsonLines() for the JSON-lines methods (the record
// export), EventStream for the server-sent notification stream (fetch and a
// stream reader rather than EventSource, which cannot send the token).

import { t } from './i18n.js';

const TOKEN_KEY = 'cdc.token';

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the session lasts as long as the page.
  }
}

export const CODE_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED',
  'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

// What each kind of failure means to the person using the page.
const TITLES = {
  1: t('error.1'),
  2: t('error.2'),
  3: t('error.3'),
  4: t('error.4'),
  5: t('error.5'),
  6: t('error.6'),
  7: t('error.7'),
  8: t('error.8'),
  9: t('error.9'),
  10: t('error.10'),
  11: t('error.11'),
  12: t('error.12'),
  13: t('error.13'),
  14: t('error.14'),
  15: t('error.15'),
  16: t('error.16'),
};

// The gRPC code grpc-gateway's HTTP statuses stand for, for answers that are
// not the gateway's JSON error (a proxy's page, say).
const STATUS_CODES = {
  400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 408: 4, 409: 10, 413: 3,
  429: 8, 431: 3, 499: 1, 501: 12, 503: 14, 504: 4,
};

export class ApiError extends Error {
  constructor({ code = 2, message = '', status = 0, details = [] } = {}) {
    super(message || TITLES[code] || t('error.unknown'));
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  get codeName() {
    return CODE_NAMES[this.code] || `code ${this.code}`;
  }

  /** A short headline for the kind of failure. */
  get title() {
    // A wrong field (a wrong current password, say) is a matter of input,
    // not of signing in.
    if (this.code === 16 && this.field) return TITLES[3];
    return TITLES[this.code] || t('error.unknown');
  }

  /**
   * The request field the message names ("member.country: must be ...")
   * in snake_case, or ''. Forms use it to mark the field.
   */
  get field() {
    const m = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)(?:\[\d+\])?: /i.exec(this.message);
    return m ? m[1] : '';
  }

  /** The message without its leading field path, for showing by the field. */
  get fieldMessage() {
    const field = this.field;
    return field ? this.message.slice(this.message.indexOf(': ') + 2) : this.message;
  }
}

// Listeners told when a call made with a token comes back UNAUTHENTICATED:
// the session has ended (expired, revoked, signed out elsewhere).
const sessionEndedListeners = new Set();
export function onSessionEnded(listener) {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

/** "consultations/x/sections/y" -> "/v1/consultations/x/sections/y[:verb]". */
export function apiPath(name, verb) {
  const path = String(name)
    .split('/')
    // Resource ids are URL-safe; ':' stays raw, for the custom verbs
    // ("members:signIn") the gateway reads after the last raw ':'.
    .map((segment) => encodeURIComponent(segment).replace(/%3A/gi, ':'))
    .join('/');
  return `/v1/${path}${verb ? `:${verb}` : ''}`;
}

/** The query string: arrays repeat their key; empty values are left out. */
export function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    if (Array.isArray(value)) {
      for (const v of value) params.append(key, String(v));
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function errorFrom(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (data && typeof data.code === 'number') {
    return new ApiError({
      code: data.code,
      message: data.message,
      status: response.status,
      details: data.details || [],
    });
  }
  const code = STATUS_CODES[response.status] || (response.status >= 500 ? 13 : 2);
  let message = t('error.serverAnswered', { status: response.status, text: response.statusText || '' }).trim();
  if (response.status === 429) {
    const after = response.headers.get('retry-after');
    message = t('error.tooMany', { after });
  }
  return new ApiError({ code, message, status: response.status });
}

function unreachable(error) {
  return new ApiError({
    code: 14,
    message:
      t('error.unreachable') +
      (error && error.message ? ` (${error.message})` : ''),
  });
}

/**
 * One call. `path` is a resource name or collection ("members:signIn",
 * "consultations/x"), or an absolute "/v1/..." path. Options: query, body
 * (sent as JSON), signal, auth (default true: send the token),
 * sessionCheck (default true: a 401 with a token ends the session).
 */
export async function api(method, path, options = {}) {
  const { query, body, signal, auth = true, sessionCheck = true, verb } = options;
  const url = (path.startsWith('/') ? path : apiPath(path, verb)) + queryString(query);
  const headers = { accept: 'application/json' };
  const token = auth ? getToken() : '';
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw unreachable(error);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (error.code === 16 && token && sessionCheck) {
      for (const listener of sessionEndedListeners) listener(error);
    }
    throw error;
  }
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError({ code: 13, message: t('error.notJson') });
  }
}

export const get = (path, query, options = {}) => api('GET', path, { ...options, query });
export const post = (path, body = {}, options = {}) => api('POST', path, { ...options, body });
export const patch = (path, body, query, options = {}) =>
  api('PATCH', path, { ...options, body, query });
export const del = (path, query, options = {}) => api('DELETE', path, { ...options, query });

/**
 * Every item of a list method: follows next_page_token until the end or
 * `max` items. `key` is the response's repeated field ("comments").
 */
export async function listAll(path, query, key, { max = 5000, signal, pageSize = 200 } = {}) {
  const items = [];
  let pageToken = '';
  do {
    const page = await get(path, { ...query, page_size: pageSize, page_token: pageToken }, { signal });
    items.push(...(page[key] || []));
    pageToken = page.nextPageToken || '';
  } while (pageToken && items.length < max);
  return items;
}

/** A fresh id for a create's request_id, so that a retry does not duplicate. */
export function requestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0')).join('');
}

/**
 * A JSON-lines stream ({"result": ...} per line, a last {"error": ...} if
 * it fails midway), as an async iterator of the results.
 */
export async function* jsonLines(path, query, { signal } = {}) {
  const headers = { accept: 'application/x-ndjson' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(apiPath(path) + queryString(query), { headers, signal, cache: 'no-store' });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw unreachable(error);
  }
  if (!response.ok) throw await errorFrom(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const parse = (line) => {
    let item;
    try {
      item = JSON.parse(line);
    } catch {
      throw new ApiError({ code: 13, message: t('error.exportNotJson') });
    }
    if (item.error) throw new ApiError({ ...item.error, status: response.status });
    return item.result;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield parse(line);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) yield parse(buffer.trim());
}

/**
 * A server-sent event stream read with fetch(), so that it can carry the
 * bearer token, reconnecting with exponential backoff (1 s doubling to 30 s,
 * with jitter) and sending `last-event-id` so that the server resumes after
 * the last event seen.
 *
 *   const stream = new EventStream('notifications:stream', {
 *     onEvent(type, data, id) {}, onState(state, error) {} });
 *   stream.start(); ... stream.stop();
 *
 * States: 'connecting', 'open', 'retrying' (with the error), 'stopped'
 * (after stop(), or for good after 401/403: with the error).
 */
export class EventStream {
  constructor(path, { onEvent, onState, lastEventId = '', idleTimeoutMs = 45000 } = {}) {
    this.path = path;
    this.onEvent = onEvent || (() => {});
    this.onState = onState || (() => {});
    this.lastEventId = lastEventId;
    this.idleTimeoutMs = idleTimeoutMs;
    this.stopped = true;
    this.controller = null;
    this.retryTimer = 0;
    this.retryDelay = 1000;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.controller) this.controller.abort();
    this.onState('stopped');
  }

  async run() {
    while (!this.stopped) {
      let fatal = null;
      let lastError = null;
      this.controller = new AbortController();
      this.onState('connecting');
      try {
        const headers = { accept: 'text/event-stream' };
        const token = getToken();
        if (token) headers.authorization = `Bearer ${token}`;
        if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
        const response = await fetch(apiPath(this.path), {
          headers,
          signal: this.controller.signal,
          cache: 'no-store',
        });
        if (!response.ok) {
          const error = await errorFrom(response);
          if (error.code === 16 || error.code === 7) fatal = error;
          else if (error.code === 3 && this.lastEventId) this.lastEventId = '';
          throw error;
        }
        this.onState('open');
        await this.read(response.body);
        lastError = new ApiError({ code: 14, message: t('error.liveEnded') });
      } catch (error) {
        if (this.stopped) return;
        lastError = error;
      }
      if (this.stopped) return;
      if (fatal) {
        this.stopped = true;
        this.onState('stopped', fatal);
        return;
      }
      this.onState('retrying', lastError);
      const delay = this.retryDelay * (0.75 + Math.random() * 0.5);
      this.retryDelay = Math.min(this.retryDelay * 2, 30000);
      await new Promise((resolve) => {
        this.retryTimer = setTimeout(resolve, delay);
      });
    }
  }

  async read(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let idle = 0;
    const armIdle = () => {
      clearTimeout(idle);
      // Heartbeats come every 15 s of silence: a longer quiet means a dead
      // connection that TCP has not noticed.
      idle = setTimeout(() => this.controller && this.controller.abort(), this.idleTimeoutMs);
    };
    armIdle();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        armIdle();
        buffer += decoder.decode(value, { stream: true });
        // Frames end with a blank line (LF, CRLF or CR line endings).
        let match;
        while ((match = /\r\n\r\n|\n\n|\r\r/.exec(buffer))) {
          const frame = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          this.dispatch(frame);
        }
      }
    } finally {
      clearTimeout(idle);
    }
  }

  dispatch(frame) {
    let type = 'message';
    let id = null;
    const data = [];
    for (const line of frame.split(/\r\n|\n|\r/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryDelay = Number(value);
    }
    if (id !== null) this.lastEventId = id;
    if (!data.length) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    // A frame that arrived means the connection works: reset the backoff.
    this.retryDelay = 1000;
    // The gateway ends a failing stream with an `error` frame. A resume
    // point the server refuses (INVALID_ARGUMENT) is dropped, so that the
    // next attempt starts afresh instead of failing the same way.
    if (type === 'error' && parsed && parsed.code === 3) this.lastEventId = '';
    this.onEvent(type, parsed, id);
  }
}
