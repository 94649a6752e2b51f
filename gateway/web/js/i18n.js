// The UI's strings, one dictionary per language (js/i18n/<lang>.js, English
// complete; a key missing from another language falls back to English),
// and t(key, params) to look them up: "{name}" in a string is replaced by
// params.name. The language comes from localStorage ("cdc.lang"), else from
// the browser's preferred languages, else English; changing it reloads the
// page, so modules may translate their constants when they load.

import en from './i18n/en.js';
import fr from './i18n/fr.js';

/** The languages offered, by code: their dictionary, own name and direction. */
export const LANGUAGES = {
  en: { strings: en, name: 'English', dir: 'ltr' },
  fr: { strings: fr, name: 'Français', dir: 'ltr' },
};
const RTL = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'dv', 'yi']);
const STORAGE_KEY = 'cdc.lang';

function pick() {
  let stored = '';
  try {
    stored = localStorage.getItem(STORAGE_KEY) || '';
  } catch {
    // Storage may be unavailable (private modes): use the browser's choice.
  }
  if (LANGUAGES[stored]) return stored;
  for (const tag of navigator.languages || [navigator.language || '']) {
    const code = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES[code]) return code;
  }
  return 'en';
}

export const lang = pick();
export const dir = LANGUAGES[lang].dir || (RTL.has(lang) ? 'rtl' : 'ltr');
const strings = LANGUAGES[lang].strings;

/** The string for `key` in the current language, with {params} filled in. */
export function t(key, params) {
  let text = strings[key] ?? en[key];
  if (text === undefined) {
    console.warn(`i18n: no string for "${key}"`);
    return key;
  }
  if (typeof text === 'function') return text(params || {});
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

/** Whether `key` has a string (in the current language or in English). */
export const has = (key) => key in strings || key in en;

/** Saves the choice and reloads the page in that language. */
export function setLanguage(code) {
  if (!LANGUAGES[code] || code === lang) return;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Not saved: the reload below still shows the browser's language.
  }
  location.reload();
}

/** Sets <html lang dir> and translates the static page (data-i18n="key", data-i18n-<attr>="key"). */
export function applyDocument(root = document) {
  document.documentElement.lang = lang;
  document.documentElement.dir = dir;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith('data-i18n-')) el.setAttribute(attr.slice('data-i18n-'.length), t(el.getAttribute(attr)));
    }
  }
}
