// Small DOM and presentation helpers shared by every area: element
// creation, labels for the API's enums, dates and countdowns, the live
// region, toasts, dialogs and form error display.

import { ApiError } from './api.js';
import { t, has, lang } from './i18n.js';
import { COUNTRIES, countryName } from './countries.js';

/**
 * Creates an element. props: class, text, attributes (aria-*, data-*, id,
 * ...), properties (value, checked, hidden, disabled, ...), on<event>
 * handlers, `dataset`. Children: nodes, strings, arrays; null/false are
 * skipped. Text is always set as text, never parsed as HTML.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in PROPERTIES) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const PROPERTIES = {
  value: 1, checked: 1, selected: 1, hidden: 1, disabled: 1, required: 1,
  readOnly: 1, multiple: 1, open: 1, htmlFor: 1, tabIndex: 1, indeterminate: 1,
};

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function idOf(name) {
  return String(name || '').split('/').pop();
}

let uniqueCounter = 0;
export function uid(prefix = 'id') {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

// ---- enum labels ------------------------------------------------------------

export const ORGANISATION_TYPES = [
  'NATIONAL_STATISTICAL_OFFICE', 'CIVIL_SOCIETY', 'ACADEMIA', 'NATIONAL_HUMAN_RIGHTS_INSTITUTION',
  'REGIONAL_OR_INTERNATIONAL_ORGANISATION', 'UN_AGENCY', 'PHILANTHROPIC_ORGANISATION',
  'CITIZEN_SCIENCE_NETWORK', 'OTHER',
].map((v) => [`ORGANISATION_TYPE_${v}`, t(`orgType.${v}`)]);
const ORG_LABELS = new Map(ORGANISATION_TYPES);
export const orgTypeLabel = (v) => ORG_LABELS.get(v) || t('orgType.notStated');

export const ROLES = [
  'MEMBER', 'OBSERVER', 'SECRETARIAT', 'PARTNER',
].map((v) => [`ROLE_${v}`, t(`role.${v}`)]);
const ROLE_LABELS = new Map(ROLES);
export const roleLabel = (v) => ROLE_LABELS.get(v) || t('role.none');

export const COMMENT_TYPES = [
  'GENERAL', 'TECHNICAL', 'EDITORIAL',
].map((v) => [v, t(`commentType.${v}`), t(`commentType.${v}.hint`)]);
const TYPE_LABELS = new Map(COMMENT_TYPES.map(([v, l]) => [v, l]));
export const commentTypeLabel = (v) => TYPE_LABELS.get(v) || t('commentType.GENERAL');

export const OUTCOMES = [
  'ACCEPTED', 'PARTLY_ACCEPTED', 'NOTED', 'NOT_ACCEPTED',
].map((v) => [v, t(`outcome.${v}`)]);
const OUTCOME_LABELS = new Map(OUTCOMES);
export const outcomeLabel = (v) => OUTCOME_LABELS.get(v) || t('outcome.awaiting');

const CONSULTATION_STATES = {
  DRAFT: t('consultationState.DRAFT'),
  OPEN: t('consultationState.OPEN'),
  CLOSED: t('consultationState.CLOSED'),
  PUBLISHED: t('consultationState.PUBLISHED'),
};
export const consultationStateLabel = (c) => {
  if (c.state === 'OPEN' && !c.acceptingComments) {
    const opens = Date.parse(c.opensAt || '');
    if (opens && opens > Date.now()) return t('consultationState.SCHEDULED');
  }
  return CONSULTATION_STATES[c.state] || t('common.unknown');
};

const MEMBER_STATES = {
  PENDING: t('memberState.PENDING'),
  ACTIVE: t('memberState.ACTIVE'),
  REJECTED: t('memberState.REJECTED'),
  SUSPENDED: t('memberState.SUSPENDED'),
};
export const memberStateLabel = (v) => MEMBER_STATES[v] || t('common.unknown');

/** "EVENT_TYPE_COMMENT_REPLIED" -> "Comment replied" (or its translation). */
export function eventTypeLabel(v) {
  const key = `eventType.${String(v || '').replace(/^EVENT_TYPE_/, '')}`;
  if (has(key)) return t(key);
  const text = String(v || '').replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export { countryName };

export function countryOptions(selected = '', { placeholder = t('form.chooseCountry') } = {}) {
  return [
    h('option', { value: '', text: placeholder }),
    ...COUNTRIES.map(([code, name]) =>
      h('option', { value: code, selected: code === selected, text: `${name} (${code})` })),
  ];
}

export function organisationTypeOptions(selected = '', { placeholder = t('form.chooseType') } = {}) {
  return [
    h('option', { value: '', text: placeholder }),
    ...ORGANISATION_TYPES.map(([v, l]) => h('option', { value: v, selected: v === selected, text: l })),
  ];
}

// ---- numbers, dates and countdowns ------------------------------------------

/** proto3 JSON int64 values are strings; absent ones are 0. */
export const num = (v) => Number(v || 0);

const dateTimeFormat = new Intl.DateTimeFormat(lang, {
  dateStyle: 'medium',
  timeStyle: 'short',
});
const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'long' });

export function formatDateTime(ts) {
  const t = Date.parse(ts || '');
  return Number.isFinite(t) ? dateTimeFormat.format(new Date(t)) : '';
}

export function formatDate(ts) {
  const t = Date.parse(ts || '');
  return Number.isFinite(t) ? dateFormat.format(new Date(t)) : '';
}

/** A <time> element showing a date and time, with the exact time as title. */
export function timeEl(ts, { dateOnly = false } = {}) {
  if (!ts) return null;
  return h('time', {
    datetime: ts,
    title: new Date(ts).toString(),
    text: dateOnly ? formatDate(ts) : formatDateTime(ts),
  });
}

const relativeFormat = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
export function relativeTime(ts) {
  const t = Date.parse(ts || '');
  if (!Number.isFinite(t)) return '';
  const seconds = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relativeFormat.format(seconds, 'second');
  if (abs < 3600) return relativeFormat.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relativeFormat.format(Math.round(seconds / 3600), 'hour');
  if (abs < 86400 * 30) return relativeFormat.format(Math.round(seconds / 86400), 'day');
  return formatDate(ts);
}

/** 93784000 -> "1 day 2 h 3 min 4 s". */
export function durationText(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const parts = [];
  if (days) parts.push(t('duration.days', { n: days }));
  if (days || hours) parts.push(`${hours} h`);
  if (days || hours || minutes) parts.push(`${minutes} min`);
  parts.push(`${s} s`);
  return parts.join(' ');
}

/**
 * A live countdown to `ts`: "<prefix> 3 days 4 h 5 min 6 s". It updates
 * every second (role=timer, so screen readers do not announce each tick)
 * and calls onExpire once when it reaches zero.
 */
export function countdown(ts, { prefix = t('countdown.closesIn'), expired = t('consultationState.CLOSED'), onExpire } = {}) {
  const target = Date.parse(ts || '');
  const el = h('span', { class: 'countdown', role: 'timer', 'data-testid': 'countdown' });
  el.cdcCountdown = { target, prefix, expired, onExpire, done: false };
  updateCountdown(el);
  return el;
}

function updateCountdown(el) {
  const c = el.cdcCountdown;
  const left = c.target - Date.now();
  if (left <= 0) {
    el.textContent = c.expired;
    if (!c.done) {
      c.done = true;
      if (c.onExpire) setTimeout(c.onExpire, 500);
    }
    return;
  }
  el.textContent = `${c.prefix} ${durationText(left)}`;
}

setInterval(() => {
  for (const el of document.querySelectorAll('.countdown')) {
    if (el.cdcCountdown) updateCountdown(el);
  }
}, 1000);

// ---- announcements, toasts, errors ------------------------------------------

/** Says something to screen readers through the page's live region. */
export function announce(message, { assertive = false } = {}) {
  const region = document.getElementById(assertive ? 'announcer-assertive' : 'announcer');
  if (!region) return;
  region.textContent = '';
  // A separate task, so that repeating the same words is announced again.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** A short message in the corner, also announced. kind: info, success, error. */
export function toast(message, kind = 'info', { timeout = 5000 } = {}) {
  const area = document.getElementById('toasts');
  announce(message, { assertive: kind === 'error' });
  if (!area) return;
  const item = h('div', { class: `toast toast-${kind}`, 'data-testid': `toast-${kind}` },
    h('span', { text: message }),
    h('button', {
      type: 'button', class: 'toast-close', 'aria-label': t('common.dismiss'), text: '×',
      onclick: () => item.remove(),
    }));
  area.append(item);
  while (area.children.length > 3) area.firstElementChild.remove();
  setTimeout(() => item.remove(), timeout);
}

export function describeError(error) {
  if (error instanceof ApiError) return { title: error.title, message: error.message };
  return { title: t('common.somethingWrong'), message: (error && error.message) || String(error) };
}

/** A box explaining a failure; role=alert so that it is read out. */
export function errorBox(error, { retry } = {}) {
  const { title, message } = describeError(error);
  return h('div', { class: 'notice notice-error', role: 'alert', 'data-testid': 'error' },
    h('strong', { text: title }),
    h('p', { text: message }),
    retry ? h('button', { type: 'button', class: 'button secondary', text: t('common.tryAgain'), onclick: retry }) : null);
}

export function notice(text, kind = 'info', extra = {}) {
  return h('div', { class: `notice notice-${kind}`, ...extra }, ...(Array.isArray(text) ? text : [text]));
}

export function loading(text = t('common.loading')) {
  return h('p', { class: 'loading', role: 'status', text });
}

export function badge(text, kind = '', extra = {}) {
  return h('span', { class: ['badge', kind && `badge-${kind}`], text, ...extra });
}

export function stateBadge(consultation) {
  const label = consultationStateLabel(consultation);
  const kind = label === t('consultationState.SCHEDULED') ? 'scheduled' : {
    OPEN: 'open', CLOSED: 'closed', PUBLISHED: 'published', DRAFT: 'draft',
  }[consultation.state] || '';
  return badge(label, kind, { 'data-testid': 'state-badge' });
}

// ---- forms ---------------------------------------------------------------

/**
 * A labelled field: a <label>, the control, an optional hint, and a place
 * for its error. `control` is an input/select/textarea element; `field`
 * (snake_case, e.g. "member.country") ties server errors naming it here.
 */
export function field(label, control, { hint, field: fieldPath, optional = false } = {}) {
  const id = control.id || uid('f');
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  if (fieldPath) control.dataset.field = fieldPath;
  return h('div', { class: 'field' },
    h('label', { for: id }, label, optional ? h('span', { class: 'optional', text: ` ${t('form.optional')}` }) : null),
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    control,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
}

/** Clears the error marks of a form. */
export function clearFormErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  const summary = form.querySelector('.form-error');
  if (summary) summary.remove();
}

/**
 * Shows a failed submission: a summary at the top of the form (role=alert)
 * and, when the server's message names a field the form has, the message
 * by that field, which is marked invalid and focused.
 */
export function showFormError(form, error) {
  clearFormErrors(form);
  const { title, message } = describeError(error);
  let target = null;
  if (error instanceof ApiError && error.field) {
    const path = error.field;
    const candidates = [...form.querySelectorAll('[data-field]')];
    target = candidates.find((el) => el.dataset.field === path) ||
      candidates.find((el) => path.endsWith(`.${el.dataset.field}`) || el.dataset.field.endsWith(`.${path}`));
  }
  const summary = h('div', { class: 'notice notice-error form-error', role: 'alert', tabindex: '-1', 'data-testid': 'form-error' },
    h('strong', { text: title }),
    h('p', { text: message }));
  form.prepend(summary);
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    const errorEl = document.getElementById(`${target.id}-error`);
    if (errorEl) {
      errorEl.textContent = error.fieldMessage;
      errorEl.hidden = false;
    }
    target.focus();
  } else {
    summary.focus();
  }
}

/**
 * Runs `action` for a form submission: disables the submit button (with
 * aria-busy) while it runs, shows a failure with showFormError. Returns
 * the action's result, or undefined when it failed.
 */
export async function submitting(form, action, { button } = {}) {
  const submit = button || form.querySelector('[type="submit"]');
  clearFormErrors(form);
  if (submit) {
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
  }
  try {
    return await action();
  } catch (error) {
    if (error && error.name === 'AbortError') return undefined;
    showFormError(form, error);
    return undefined;
  } finally {
    if (submit) {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  }
}

/** Runs an action from a button (not a form): busy state, toast on failure. */
export async function withButton(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (error) {
    const { title, message } = describeError(error);
    toast(`${title}: ${message}`, 'error', { timeout: 10000 });
    return undefined;
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

// ---- dialogs ----------------------------------------------------------------

/**
 * A modal dialog (native <dialog>: focus moves in and stays there, Escape
 * closes). Resolves to false when cancelled, true when confirmed, or the
 * text typed when `input` is given ({label, required, multiline, hint}).
 */
export function confirmDialog({ title, message, confirmLabel = t('common.confirm'), danger = false, input, testid = 'dialog' }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    let control = null;
    if (input) {
      control = input.multiline
        ? h('textarea', { rows: 4, required: !!input.required, maxlength: input.maxLength || 1000, 'data-testid': `${testid}-input` })
        : h('input', { type: 'text', required: !!input.required, maxlength: input.maxLength || 1000, 'data-testid': `${testid}-input` });
      if (input.value) control.value = input.value;
    }
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { id: titleId, text: title }),
      message ? h('p', { text: message }) : null,
      control ? field(input.label, control, { hint: input.hint }) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button secondary', value: 'cancel', text: t('common.cancel'), onclick: () => dialog.close('cancel') }),
        h('button', { type: 'submit', class: ['button', danger ? 'danger' : 'primary'], value: 'ok', text: confirmLabel, 'data-testid': `${testid}-confirm` })));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': testid }, form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (control && input.required && !control.value.trim()) {
        control.setAttribute('aria-invalid', 'true');
        control.focus();
        return;
      }
      dialog.close('ok');
    });
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      dialog.remove();
      resolve(ok ? (control ? control.value.trim() : true) : false);
    });
    document.body.append(dialog);
    dialog.showModal();
    (control || form.querySelector('[type="submit"]')).focus();
  });
}

/** Offers `content` (a string) as a file download. */
export function download(filename, content, type) {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function prefersReducedMotion() {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Briefly highlights an element (a comment just posted or linked to). */
export function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth; // restart the animation
  el.classList.add('flash');
}

/** A page heading that route changes focus (tabindex -1). */
export function pageTitle(text, extra = {}) {
  return h('h1', { tabindex: '-1', class: 'page-title', ...extra }, text);
}

/** Local datetime-local value ("2026-11-25T14:00") for a Date. */
export function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value as an RFC 3339 UTC time, or '' when empty. */
export function fromLocalInput(value) {
  if (!value) return '';
  const t = new Date(value);
  return Number.isFinite(t.getTime()) ? t.toISOString() : '';
}

/** Splits plain text into paragraphs (blank lines) with line breaks kept. */
export function paragraphs(text, cls = '') {
  const blocks = String(text || '').split(/\n\s*\n/).filter((b) => b.trim());
  return blocks.map((block) => h('p', { class: cls || null }, ...block.split('\n').flatMap((line, i) => (i ? [h('br'), line] : [line]))));
}

/** A horizontal bar chart as a table: label, bar, count. rows: [label, n]. */
export function barChart(caption, rows, { testid, total } = {}) {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  const sum = total ?? rows.reduce((a, [, n]) => a + n, 0);
  return h('figure', { class: 'chart', 'data-testid': testid || null },
    h('figcaption', { text: caption }),
    rows.length
      ? h('table', { class: 'bars' },
        h('thead', { class: 'visually-hidden' }, h('tr', {}, h('th', { scope: 'col', text: t('chart.category') }), h('th', { scope: 'col', text: t('chart.comments') }))),
        h('tbody', {}, rows.map(([label, n]) =>
          h('tr', {},
            h('th', { scope: 'row', text: label }),
            h('td', {},
              h('span', { class: 'bar-track', 'aria-hidden': 'true' },
                h('span', { class: 'bar', style: { width: `${(100 * n) / max}%` } })),
              h('span', { class: 'bar-value', text: sum ? `${n} (${Math.round((100 * n) / sum)}%)` : String(n) }))))))
      : h('p', { class: 'muted', text: t('chart.empty') }));
}
