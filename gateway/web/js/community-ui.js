// Pieces shared by the community pages (spaces, conversations, the library,
// the initiative map, search): the community's tab bar, the member
// directory used to name members and to pick them, a filterable checkbox
// picker (countries, members), the SDG goals, list fields typed as text,
// labels of the community's enums, and where a resource name leads.

import { listAll } from './api.js';
import { session } from './session.js';
import { COUNTRIES } from './countries.js';
import { h, replace, uid, idOf, badge } from './ui.js';
import { t } from './i18n.js';

// ---- who may see what -------------------------------------------------------

/** Spaces, topics and conversations are for members and the secretariat. */
export const mayUseSpaces = () => session.role === 'ROLE_MEMBER' || session.role === 'ROLE_SECRETARIAT';

/** Members, partners and the secretariat share resources and register initiatives. */
export const mayContribute = () => ['ROLE_MEMBER', 'ROLE_PARTNER', 'ROLE_SECRETARIAT'].includes(session.role);

/** The community's first page for the signed-in person. */
export const communityHome = () => (mayUseSpaces() ? '#/spaces' : '#/library');

/** The community's sections as tabs, `active` being one of their keys. */
export function communityTabs(active) {
  const tabs = [
    mayUseSpaces() && ['spaces', '#/spaces', t('community.tab.spaces')],
    mayUseSpaces() && ['messages', '#/messages', t('community.tab.messages')],
    ['library', '#/library', t('community.tab.library')],
    ['map', '#/map', t('community.tab.map')],
    ['search', '#/search', t('community.tab.search')],
  ].filter(Boolean);
  return h('nav', { class: 'tabs community-tabs', 'aria-label': t('community.tabs') },
    tabs.map(([key, href, label]) => h('a', {
      href, 'aria-current': key === active ? 'page' : null, 'data-testid': `community-tab-${key}`, text: label,
    })));
}

// ---- the member directory ----------------------------------------------------

let directory = null;
let directoryTime = 0;

/**
 * The ACTIVE members (the directory every member may list), by name:
 * "members/x" -> Member. Kept for five minutes: the community pages name
 * participants and offer members to pick from it.
 */
export async function memberDirectory({ signal } = {}) {
  if (!directory || Date.now() - directoryTime > 300000) {
    const members = await listAll('members', {}, 'members', { signal, max: 5000 });
    directory = new Map(members.map((m) => [m.name, m]));
    directoryTime = Date.now();
  }
  return directory;
}

/** A member's display name from the directory, else their id. */
export function memberName(dir, name) {
  if (name === session.member) return session.principal.displayName || t('nav.me');
  const m = dir && dir.get(name);
  return m ? m.displayName : idOf(name);
}

// ---- a filterable checkbox picker ----------------------------------------------

/**
 * A fieldset to choose several values from many: the chosen ones as
 * removable chips, a search box, and the options matching it as
 * checkboxes. options: [[value, label, searchText?]]. With `needQuery`,
 * options show only once something is typed (a directory of thousands).
 * `field` ties server errors to the search box. testid names the parts:
 * <testid>-search, <testid>-option (value in data-value), <testid>-chip.
 */
export function multiPicker({ legend, hint, options, selected = [], testid, field, needQuery = false, max = 60, required = false }) {
  const chosen = new Set(selected);
  const labelOf = new Map(options.map(([v, l]) => [v, l]));
  const searchId = uid('pick');
  const chips = h('ul', { class: 'chips', 'aria-label': t('picker.chosen', { legend }), 'data-testid': `${testid}-chosen` });
  const list = h('ul', { class: 'picker-options', 'data-testid': `${testid}-options` });
  const status = h('p', { class: 'hint', role: 'status' });
  const search = h('input', {
    type: 'search', id: searchId, autocomplete: 'off', 'data-testid': `${testid}-search`,
    'aria-describedby': `${searchId}-error`,
  });
  if (field) search.dataset.field = field;
  const changeListeners = new Set();

  const renderChips = () => {
    replace(chips, [...chosen].map((v) => h('li', { class: 'chip', 'data-testid': `${testid}-chip`, 'data-value': v },
      h('span', { text: labelOf.get(v) || v }),
      h('button', {
        type: 'button', class: 'chip-remove', 'aria-label': t('picker.remove', { name: labelOf.get(v) || v }), text: '×',
        onclick: () => {
          chosen.delete(v);
          update();
          search.focus();
        },
      }))));
    chips.hidden = !chosen.size;
  };
  const renderOptions = () => {
    const q = search.value.trim().toLowerCase();
    if (needQuery && !q) {
      replace(list);
      status.textContent = t('picker.typeToFind');
      return;
    }
    const matching = options.filter(([v, l, extra]) => !q || `${l} ${v} ${extra || ''}`.toLowerCase().includes(q));
    const shown = matching.slice(0, max);
    replace(list, shown.map(([v, l]) => {
      const id = uid('opt');
      return h('li', { class: 'checkbox' },
        h('input', {
          type: 'checkbox', id, value: v, checked: chosen.has(v), 'data-testid': `${testid}-option`, 'data-value': v,
          onchange: (event) => {
            if (event.target.checked) chosen.add(v);
            else chosen.delete(v);
            renderChips();
            for (const listener of changeListeners) listener();
          },
        }),
        h('label', { for: id, text: l }));
    }));
    status.textContent = matching.length > shown.length
      ? t('picker.more', { shown: shown.length, n: matching.length })
      : matching.length ? '' : t('picker.none');
  };
  const update = () => {
    renderChips();
    renderOptions();
    for (const listener of changeListeners) listener();
  };
  search.addEventListener('input', renderOptions);
  // Enter in the search box must not submit the form: it picks the only match.
  search.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    const boxes = list.querySelectorAll('input[type="checkbox"]');
    if (boxes.length === 1 && !boxes[0].checked) boxes[0].click();
  });
  update();
  const element = h('fieldset', { class: 'picker', 'data-testid': testid },
    h('legend', {}, legend, required ? null : h('span', { class: 'optional', text: ` ${t('form.optional')}` })),
    hint ? h('p', { class: 'hint', text: hint }) : null,
    chips,
    h('div', { class: 'field' },
      h('label', { for: searchId, text: t('picker.find') }),
      search,
      h('p', { class: 'field-error', id: `${searchId}-error`, hidden: true })),
    status,
    list);
  return {
    element,
    values: () => [...chosen],
    set(values) {
      chosen.clear();
      for (const v of values) chosen.add(v);
      update();
    },
    onChange: (listener) => changeListeners.add(listener),
  };
}

/** The countries as picker options. */
export const countryPickerOptions = () => COUNTRIES.map(([code, name]) => [code, `${name} (${code})`]);

/** The directory's members (but the caller) as picker options. */
export function memberPickerOptions(dir) {
  return [...dir.values()]
    .filter((m) => m.name !== session.member)
    .sort((a, b) => a.displayName.localeCompare(b.displayName))
    .map((m) => [m.name, [m.displayName, m.organisation].filter(Boolean).join(' · '), `${m.email || ''} ${idOf(m.name)}`]);
}

// ---- SDG goals ------------------------------------------------------------------

export const SDG_GOALS = Array.from({ length: 17 }, (_, i) => i + 1);
export const sdgLabel = (n) => t('sdg.goal', { n, name: t(`sdg.${n}`) });

/** A checkbox group of the 17 goals. */
export function sdgFieldset(selected = [], { testid = 'sdg-goals', legend = t('sdg.legend'), field } = {}) {
  const chosen = new Set(selected.map(Number));
  const group = h('fieldset', { class: 'checkbox-group sdg-goals', 'data-testid': testid },
    h('legend', {}, legend, h('span', { class: 'optional', text: ` ${t('form.optional')}` })),
    h('div', { class: 'sdg-grid' }, SDG_GOALS.map((n) => {
      const id = uid('sdg');
      const box = h('input', { type: 'checkbox', id, value: String(n), checked: chosen.has(n), 'data-testid': `${testid}-${n}` });
      if (field && n === 1) box.dataset.field = field;
      return h('div', { class: 'checkbox' }, box, h('label', { for: id, text: sdgLabel(n) }));
    })));
  return {
    element: group,
    values: () => [...group.querySelectorAll('input:checked')].map((el) => Number(el.value)),
  };
}

/** <option>s for one SDG goal, "any" first. */
export function sdgOptions(selected = 0) {
  return [h('option', { value: '', text: t('filter.anyGoal') }),
    ...SDG_GOALS.map((n) => h('option', { value: String(n), selected: Number(selected) === n, text: sdgLabel(n) }))];
}

// ---- lists typed as text ----------------------------------------------------------

/** "a, b; c" -> ["a", "b", "c"] (commas, semicolons or new lines). */
export function splitList(text) {
  return [...new Set(String(text || '').split(/[,;\n]/).map((s) => s.trim()).filter(Boolean))];
}

/** One item per line (partners, links: they may hold commas). */
export function splitLines(text) {
  return [...new Set(String(text || '').split('\n').map((s) => s.trim()).filter(Boolean))];
}

/** Tags as the server keeps them: lower case. */
export const splitTags = (text) => splitList(text).map((tag) => tag.toLowerCase());

export function tagList(tags, hrefOf) {
  if (!tags || !tags.length) return null;
  return h('ul', { class: 'tag-list', 'aria-label': t('community.tags') },
    tags.map((tag) => h('li', {}, hrefOf
      ? h('a', { class: 'tag', href: hrefOf(tag), 'data-testid': 'tag', text: `#${tag}` })
      : h('span', { class: 'tag', text: `#${tag}` }))));
}

// ---- enums ------------------------------------------------------------------------

const enumLabel = (prefix) => (v) => (v && !/_UNSPECIFIED$/.test(v) ? t(`${prefix}.${v}`) : t('common.unknown'));

export const RESOURCE_TYPES = ['GUIDELINE', 'TOOLKIT', 'CASE_STUDY', 'DATASET', 'TRAINING', 'OTHER'];
export const resourceTypeLabel = enumLabel('resourceType');

export const PARTICIPATION_LEVELS = ['INFORMING', 'CONSULTING', 'ENGAGING', 'DRIVING']
  .map((v) => `PARTICIPATION_LEVEL_${v}`);
export const levelLabel = enumLabel('level');

export const INITIATIVE_STATUSES = ['PLANNED', 'ACTIVE', 'COMPLETED'];
export const initiativeStatusLabel = enumLabel('initiativeStatus');

export const REVIEW_STATES = ['SUBMITTED', 'APPROVED', 'RETURNED'];
export const reviewStateLabel = enumLabel('reviewState');
export function reviewBadge(state) {
  const kind = { SUBMITTED: 'scheduled', APPROVED: 'open', RETURNED: 'closed' }[state] || '';
  return badge(reviewStateLabel(state), kind, { 'data-testid': 'review-state' });
}

export const REGIONS = [
  'SUB_SAHARAN_AFRICA', 'NORTHERN_AFRICA_AND_WESTERN_ASIA', 'CENTRAL_AND_SOUTHERN_ASIA',
  'EASTERN_AND_SOUTH_EASTERN_ASIA', 'LATIN_AMERICA_AND_THE_CARIBBEAN', 'OCEANIA',
  'AUSTRALIA_AND_NEW_ZEALAND', 'EUROPE_AND_NORTHERN_AMERICA',
];
export const regionLabel = enumLabel('region');

/** <option>s of an enum, with a first "any"/"choose" option. */
export function enumOptions(values, labelOf, selected, first) {
  return [first === null ? null : h('option', { value: '', text: first }),
    ...values.map((v) => h('option', { value: v, selected: v === selected, text: labelOf(v) }))];
}

// ---- where a name leads -------------------------------------------------------------

/**
 * The page of a community resource name ("spaces/s", "spaces/s/topics/t",
 * "conversations/x", "resources/r", "initiatives/i"), with `comment` (an
 * id) to focus a post there; '' for other names.
 */
export function communityHref(name, comment = '') {
  const parts = String(name || '').split('/');
  const focus = comment ? `?comment=${idOf(comment)}` : '';
  if (parts[0] === 'spaces' && parts.length === 4 && parts[2] === 'topics') return `#/spaces/${parts[1]}/topics/${parts[3]}${focus}`;
  if (parts[0] === 'spaces' && parts.length === 2) return `#/spaces/${parts[1]}`;
  if (parts[0] === 'conversations' && parts.length === 2) return `#/messages/${parts[1]}${focus}`;
  if (parts[0] === 'resources' && parts.length === 2) return `#/library/${parts[1]}${focus}`;
  if (parts[0] === 'initiatives' && parts.length === 2) return `#/initiatives/${parts[1]}`;
  return '';
}

/** A query object without its empty values (for the URL of a filtered list). */
export function compact(query) {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined && v !== null && v !== false && v !== 0));
}

/** "#/path" with a query string from an object. */
export function hashWith(path, query) {
  const q = new URLSearchParams(compact(query)).toString();
  return q ? `${path}?${q}` : path;
}
