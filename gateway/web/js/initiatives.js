// The initiative map (the stocktaking of citizen-data initiatives): the
// approved initiatives filtered by country, region, lead organisation type,
// participation level, SDG goal and status, counted per country on a world
// map and listed in a table, exported as CSV or JSON Lines; registering and
// editing an initiative; one's own submissions with their review state and
// the secretariat's note; the secretariat's review queue (approve, or
// return with a note).

import { get, post, patch, listAll, jsonLines, requestId } from './api.js';
import { session } from './session.js';
import { markdownBlock } from './markdown.js';
import { csvCell } from './record.js';
import { worldMap } from './worldmap.js';
import {
  communityTabs, mayContribute, multiPicker, countryPickerOptions, sdgFieldset, sdgOptions, sdgLabel,
  splitList, splitLines, PARTICIPATION_LEVELS, levelLabel, INITIATIVE_STATUSES, initiativeStatusLabel,
  REGIONS, regionLabel, reviewBadge, enumOptions, hashWith, memberDirectory, memberName,
} from './community-ui.js';
import {
  h, replace, idOf, uid, field, submitting, withButton, toast, announce, pageTitle, timeEl,
  countryOptions, countryName, orgTypeLabel, organisationTypeOptions,
  confirmDialog, download, notice, errorBox,
} from './ui.js';
import { t } from './i18n.js';

const initiativeHref = (i) => `#/initiatives/${idOf(i.name || i)}`;

// ---- filters ------------------------------------------------------------------------

const FILTER_KEYS = ['country', 'region', 'org', 'level', 'sdg', 'status'];

function filtersOf(query) {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, query.get(k) || '']));
}

/** The API's InitiativeFilter as query parameters ("filter.country", ...). */
function filterQuery(f, { withCountry = true } = {}) {
  return {
    'filter.country': withCountry ? f.country : '',
    'filter.region': f.region,
    'filter.lead_organisation_type': f.org,
    'filter.participation_level': f.level,
    'filter.sdg_goal': f.sdg,
    'filter.status': f.status,
  };
}

function filterForm(filters, onApply) {
  const control = (id, label, el) => h('div', { class: 'field' }, h('label', { for: id, text: label }), el);
  const country = h('select', { id: 'map-country', 'data-testid': 'map-country' }, countryOptions(filters.country, { placeholder: t('filter.anyCountry') }));
  const region = h('select', { id: 'map-region', 'data-testid': 'map-region' }, enumOptions(REGIONS, regionLabel, filters.region, t('filter.anyRegion')));
  const org = h('select', { id: 'map-org', 'data-testid': 'map-org' }, organisationTypeOptions(filters.org, { placeholder: t('filter.anyOrgType') }));
  const level = h('select', { id: 'map-level', 'data-testid': 'map-level' }, enumOptions(PARTICIPATION_LEVELS, levelLabel, filters.level, t('filter.anyLevel')));
  const sdg = h('select', { id: 'map-sdg', 'data-testid': 'map-sdg' }, sdgOptions(filters.sdg));
  const status = h('select', { id: 'map-status', 'data-testid': 'map-status' }, enumOptions(INITIATIVE_STATUSES, initiativeStatusLabel, filters.status, t('filter.anyStatus')));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('map.filters'), 'data-testid': 'map-filters' },
    h('div', { class: 'filter-grid' },
      control('map-country', t('map.country'), country),
      control('map-region', t('map.region'), region),
      control('map-org', t('map.orgType'), org),
      control('map-level', t('map.level'), level),
      control('map-sdg', t('map.sdg'), sdg),
      control('map-status', t('map.status'), status)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button secondary', text: t('filter.apply') }),
      h('a', { href: '#/map', text: t('filter.clear') })));
  const values = () => ({ country: country.value, region: region.value, org: org.value, level: level.value, sdg: sdg.value, status: status.value });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply(values());
  });
  for (const select of [country, region, org, level, sdg, status]) select.addEventListener('change', () => onApply(values()));
  return form;
}

// ---- export ---------------------------------------------------------------------------

const bare = (v, prefix) => String(v || '').replace(prefix, '').replace(/_UNSPECIFIED$|^UNSPECIFIED$/, '');
const joined = (list) => (list || []).join('; ');
const CSV_COLUMNS = [
  ['name', (i) => i.name],
  ['display_name', (i) => i.displayName],
  ['description', (i) => i.description],
  ['lead_organisation', (i) => i.leadOrganisation],
  ['lead_organisation_type', (i) => bare(i.leadOrganisationType, /^ORGANISATION_TYPE_/)],
  ['partners', (i) => joined(i.partners)],
  ['countries', (i) => joined(i.countries)],
  ['regions', (i) => joined(i.regions)],
  ['sdg_goals', (i) => joined(i.sdgGoals)],
  ['sdg_indicators', (i) => joined(i.sdgIndicators)],
  ['participation_level', (i) => bare(i.participationLevel, /^PARTICIPATION_LEVEL_/)],
  ['data_topics', (i) => joined(i.dataTopics)],
  ['status', (i) => bare(i.status, /^$/)],
  ['links', (i) => joined(i.links)],
  ['review_state', (i) => bare(i.reviewState, /^$/)],
  ['create_time', (i) => i.createTime],
  ['update_time', (i) => i.updateTime],
];

/** Initiatives as RFC 4180 CSV (with a byte order mark for spreadsheets). */
export function initiativesToCsv(rows) {
  const lines = [CSV_COLUMNS.map(([n]) => n).join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(row) ?? '')).join(','));
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

function exportControls(filters) {
  const status = h('p', { class: 'muted small', role: 'status', 'data-testid': 'map-export-status' });
  const run = (format) => (event) => withButton(event.currentTarget, async () => {
    status.textContent = t('record.preparing');
    const rows = [];
    try {
      for await (const row of jsonLines('initiatives:export', filterQuery(filters))) rows.push(row);
    } catch (error) {
      status.textContent = '';
      throw error;
    }
    if (format === 'csv') download('initiatives.csv', initiativesToCsv(rows), 'text/csv;charset=utf-8');
    else download('initiatives.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''), 'application/x-ndjson');
    status.textContent = t('record.downloaded', { n: rows.length, format: format === 'csv' ? 'CSV' : 'JSON Lines' });
    announce(status.textContent);
  });
  return h('div', { class: 'export-controls' },
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button small secondary', text: t('map.exportCsv'), 'data-testid': 'export-initiatives-csv', onclick: run('csv') }),
      h('button', { type: 'button', class: 'button small secondary', text: t('map.exportJsonl'), 'data-testid': 'export-initiatives-jsonl', onclick: run('jsonl') })),
    status);
}

// ---- the map page ----------------------------------------------------------------------

function initiativeTable(items, { caption, review = false } = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data-table', 'data-testid': 'initiative-table' },
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {},
        [t('initiative.name'), t('initiative.lead'), t('initiative.countries'), t('initiative.level'), t('initiative.status'), review ? t('initiative.review') : t('initiative.sdgGoals')]
          .map((label) => h('th', { scope: 'col', text: label })))),
      h('tbody', {}, items.map((i) => h('tr', { 'data-testid': 'initiative-row', 'data-name': i.name },
        h('th', { scope: 'row' }, h('a', { href: initiativeHref(i), 'data-testid': 'initiative-link', text: i.displayName })),
        h('td', {}, i.leadOrganisation, h('br'), h('span', { class: 'muted small', text: orgTypeLabel(i.leadOrganisationType) })),
        h('td', { text: (i.countries || []).map(countryName).join(', ') }),
        h('td', { text: levelLabel(i.participationLevel) }),
        h('td', { text: initiativeStatusLabel(i.status) }),
        h('td', {}, review
          ? [reviewBadge(i.reviewState), i.reviewNote ? h('p', { class: 'small review-note', 'data-testid': 'review-note', text: i.reviewNote }) : null]
          : (i.sdgGoals || []).map((n) => t('sdg.short', { n })).join(', ')))))));
}

export async function mapView(ctx) {
  ctx.title(t('map.title'));
  const filters = filtersOf(ctx.query);
  const go = (next) => ctx.navigate(hashWith('#/map', next));
  const { signal } = ctx;
  const [counted, waiting] = await Promise.all([
    get('initiatives:countByCountry', filterQuery(filters, { withCountry: false }), { signal }),
    session.isSecretariat
      ? listAll('initiatives', { 'filter.review_state': 'SUBMITTED' }, 'initiatives', { signal, max: 1000 }).catch(() => [])
      : Promise.resolve(null),
  ]);
  const counts = new Map((counted.counts || []).map((c) => [c.country, c.count || 0]));

  // ---- the map, and the same counts as a table ----
  const mapArea = h('div', { class: 'map-area', 'data-testid': 'map-area' }, h('p', { class: 'loading', text: t('map.loading') }));
  worldMap({
    counts,
    selected: filters.country,
    caption: t('map.caption'),
    onSelect: (country) => go({ ...filters, country: country === filters.country ? '' : country }),
  }).then((figure) => replace(mapArea, figure), (error) => replace(mapArea, errorBox(error)));
  const byCountry = [...counts.entries()].sort((a, b) => b[1] - a[1] || countryName(a[0]).localeCompare(countryName(b[0])));
  const countTable = h('details', { class: 'country-counts' },
    h('summary', { text: t('map.countsTable', { n: byCountry.length }) }),
    byCountry.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table compact', 'data-testid': 'country-counts' },
        h('caption', { class: 'visually-hidden', text: t('map.countsCaption') }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('map.country') }), h('th', { scope: 'col', text: t('map.initiatives') }))),
        h('tbody', {}, byCountry.map(([code, n]) => h('tr', { 'data-testid': 'country-count', 'data-country': code },
          h('th', { scope: 'row' }, h('a', { href: hashWith('#/map', { ...filters, country: code }), text: countryName(code) })),
          h('td', { text: String(n) }))))))
      : h('p', { class: 'muted', text: t('map.noCounts') }));

  // ---- the initiatives ----
  const rows = [];
  let pageToken = '';
  const tableArea = h('div');
  const more = h('button', { type: 'button', class: 'button secondary', text: t('common.showMore'), hidden: true });
  const load = async () => {
    const page = await get('initiatives', { ...filterQuery(filters), page_size: 50, page_token: pageToken }, { signal });
    rows.push(...(page.initiatives || []));
    pageToken = page.nextPageToken || '';
    replace(tableArea, rows.length ? initiativeTable(rows, { caption: t('map.tableCaption') }) : h('p', { class: 'muted', text: t('map.noneMatch') }));
    more.hidden = !pageToken;
  };
  more.addEventListener('click', () => withButton(more, load));
  await load();

  const total = counted.initiativeCount || 0;
  ctx.render(
    communityTabs('map'),
    h('div', { class: 'page-head' },
      pageTitle(t('map.title')),
      h('div', { class: 'toolbar' },
        mayContribute() ? h('a', { class: 'button primary', href: '#/initiatives/new', text: t('initiative.register'), 'data-testid': 'register-initiative' }) : null,
        mayContribute() ? h('a', { class: 'button secondary', href: '#/initiatives/mine', text: t('initiative.mine'), 'data-testid': 'my-initiatives' }) : null,
        waiting ? h('a', { class: 'button secondary', href: '#/initiatives/review', 'data-testid': 'review-queue-link' },
          t('initiative.reviewQueue'), ' ', h('span', { class: 'nav-count', text: String(waiting.length) })) : null)),
    h('p', { class: 'lead', text: t('map.lead') }),
    filterForm(filters, (next) => go(next)),
    h('p', { class: 'map-total', 'data-testid': 'map-total', role: 'status' },
      t('map.total', { n: total, countries: counts.size }),
      filters.country ? [' ', t('map.showingCountry', { name: countryName(filters.country) }), ' ', h('a', { href: hashWith('#/map', { ...filters, country: '' }), text: t('map.allCountries') })] : null),
    mapArea,
    countTable,
    h('section', { 'aria-labelledby': 'initiatives-heading' },
      h('div', { class: 'pane-head' },
        h('h2', { id: 'initiatives-heading', text: filters.country ? t('map.initiativesIn', { name: countryName(filters.country) }) : t('map.initiativesHeading') }),
        exportControls(filters)),
      tableArea,
      more));
}

// ---- registering and editing ---------------------------------------------------------------

// Fields of Initiative a person sets (the rest are output only), as the
// update mask names them.
const EDITABLE = ['display_name', 'description', 'lead_organisation', 'lead_organisation_type', 'partners', 'countries',
  'sdg_goals', 'sdg_indicators', 'participation_level', 'data_topics', 'status', 'links'];
const camel = (f) => f.replace(/_([a-z])/g, (m, c) => c.toUpperCase());

export async function initiativeFormView(ctx) {
  const editing = !!ctx.params.id;
  const name = editing ? `initiatives/${ctx.params.id}` : '';
  const initiative = editing ? await get(name, undefined, { signal: ctx.signal }) : null;
  const heading = editing ? t('initiative.editTitle', { name: initiative.displayName }) : t('initiative.register');
  ctx.title(heading);
  const i = initiative || {};
  const displayName = h('input', { type: 'text', maxlength: 200, required: true, value: i.displayName || '', 'data-testid': 'initiative-name-input' });
  const description = h('textarea', { rows: 5, maxlength: 5000, value: i.description || '', 'data-testid': 'initiative-description-input' });
  const lead = h('input', { type: 'text', maxlength: 200, required: true, value: i.leadOrganisation || '', 'data-testid': 'initiative-lead-input' });
  const leadType = h('select', { required: true, 'data-testid': 'initiative-lead-type-input' }, organisationTypeOptions(i.leadOrganisationType || ''));
  const partners = h('textarea', { rows: 3, value: (i.partners || []).join('\n'), 'data-testid': 'initiative-partners-input' });
  const countries = multiPicker({
    legend: t('initiative.countries'), hint: t('initiative.countriesHint'), testid: 'initiative-countries',
    options: countryPickerOptions(), selected: i.countries || [], field: 'initiative.countries', required: true, max: 300,
  });
  const goals = sdgFieldset(i.sdgGoals || [], { testid: 'initiative-sdg', field: 'initiative.sdg_goals' });
  const indicators = h('input', { type: 'text', value: (i.sdgIndicators || []).join(', '), 'data-testid': 'initiative-indicators-input' });
  const levelName = uid('level');
  const level = h('fieldset', { class: 'radio-group stacked', 'data-testid': 'initiative-level' },
    h('legend', { text: t('initiative.level') }),
    h('p', { class: 'hint', text: t('initiative.levelHint') }),
    PARTICIPATION_LEVELS.map((v, n) => {
      const id = uid('lvl');
      const radio = h('input', { type: 'radio', id, name: levelName, value: v, checked: i.participationLevel === v, 'data-testid': `level-${bare(v, /^PARTICIPATION_LEVEL_/).toLowerCase()}` });
      if (n === 0) radio.dataset.field = 'initiative.participation_level';
      return h('div', { class: 'radio' }, radio,
        h('label', { for: id }, h('strong', { text: levelLabel(v) }), h('span', { class: 'muted', text: ` — ${t(`level.${v}.hint`)}` })));
    }));
  const topics = h('input', { type: 'text', value: (i.dataTopics || []).join(', '), 'data-testid': 'initiative-topics-input' });
  const status = h('select', { required: true, 'data-testid': 'initiative-status-input' }, enumOptions(INITIATIVE_STATUSES, initiativeStatusLabel, i.status || '', t('initiative.chooseStatus')));
  const links = h('textarea', { rows: 2, value: (i.links || []).join('\n'), placeholder: 'https://', 'data-testid': 'initiative-links-input' });
  let rid = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'initiative-form', novalidate: true },
    editing && i.reviewState === 'RETURNED' && i.reviewNote
      ? notice([h('strong', { text: t('initiative.returnedNote') }), h('p', { text: i.reviewNote })], 'warning')
      : null,
    field(t('initiative.name'), displayName, { field: 'initiative.display_name' }),
    field(t('initiative.description'), description, { field: 'initiative.description', optional: true, hint: t('initiative.descriptionHint') }),
    h('fieldset', {},
      h('legend', { text: t('initiative.leadLegend') }),
      field(t('initiative.lead'), lead, { field: 'initiative.lead_organisation' }),
      field(t('initiative.leadType'), leadType, { field: 'initiative.lead_organisation_type' }),
      field(t('initiative.partners'), partners, { field: 'initiative.partners', optional: true, hint: t('initiative.onePerLine') })),
    countries.element,
    level,
    field(t('initiative.status'), status, { field: 'initiative.status' }),
    goals.element,
    field(t('initiative.indicators'), indicators, { field: 'initiative.sdg_indicators', optional: true, hint: t('initiative.indicatorsHint') }),
    field(t('initiative.topics'), topics, { field: 'initiative.data_topics', optional: true, hint: t('initiative.topicsHint') }),
    field(t('initiative.links'), links, { field: 'initiative.links', optional: true, hint: t('initiative.onePerLine') }),
    h('p', { class: 'hint', text: editing && !session.isSecretariat ? t('initiative.editReview') : t('initiative.reviewHint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: editing ? t('initiative.save') : t('initiative.submit'), 'data-testid': 'initiative-submit' }),
      h('a', { class: 'button secondary', href: editing ? initiativeHref(initiative) : '#/map', text: t('common.cancel') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const checked = form.querySelector(`input[name="${levelName}"]:checked`);
    const values = {
      displayName: displayName.value.trim(),
      description: description.value.trim(),
      leadOrganisation: lead.value.trim(),
      leadOrganisationType: leadType.value || 'ORGANISATION_TYPE_UNSPECIFIED',
      partners: splitLines(partners.value),
      countries: countries.values(),
      sdgGoals: goals.values(),
      sdgIndicators: splitList(indicators.value),
      participationLevel: checked ? checked.value : 'PARTICIPATION_LEVEL_UNSPECIFIED',
      dataTopics: splitList(topics.value),
      status: status.value || 'STATUS_UNSPECIFIED',
      links: splitLines(links.value),
    };
    let saved;
    if (editing) {
      const mask = EDITABLE.filter((f) => JSON.stringify(values[camel(f)]) !== JSON.stringify(i[camel(f)] ?? (Array.isArray(values[camel(f)]) ? [] : '')));
      if (!mask.length) {
        ctx.navigate(initiativeHref(initiative));
        return;
      }
      saved = await submitting(form, () => patch(name, { name, etag: i.etag, ...values }, { update_mask: mask.join(',') }));
    } else {
      saved = await submitting(form, () => post('initiatives', values, { query: { request_id: rid } }));
      rid = requestId();
    }
    if (!saved) return;
    toast(saved.reviewState === 'APPROVED' ? t('initiative.saved') : t('initiative.submitted'), 'success');
    ctx.navigate(initiativeHref(saved));
  });
  ctx.render(
    communityTabs('map'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/map', text: t('map.title') })),
    pageTitle(heading),
    form);
}

// ---- one initiative --------------------------------------------------------------------------

function facts(i, dir) {
  const row = (label, value) => (value === null || value === '' || (Array.isArray(value) && !value.length)
    ? null : [h('dt', { text: label }), h('dd', {}, value)]);
  return h('dl', { class: 'facts', 'data-testid': 'initiative-facts' },
    row(t('initiative.lead'), [i.leadOrganisation, ' (', orgTypeLabel(i.leadOrganisationType), ')']),
    row(t('initiative.partners'), (i.partners || []).join(', ')),
    row(t('initiative.countries'), (i.countries || []).map(countryName).join(', ')),
    row(t('initiative.regions'), (i.regions || []).map(regionLabel).join(', ')),
    row(t('initiative.level'), levelLabel(i.participationLevel)),
    row(t('initiative.status'), initiativeStatusLabel(i.status)),
    row(t('initiative.sdgGoals'), (i.sdgGoals || []).map(sdgLabel).join('; ')),
    row(t('initiative.indicators'), (i.sdgIndicators || []).join(', ')),
    row(t('initiative.topics'), (i.dataTopics || []).join(', ')),
    row(t('initiative.links'), (i.links || []).length
      ? h('ul', { class: 'plain-list' }, i.links.map((l) => h('li', {}, h('a', { href: l, rel: 'noopener noreferrer nofollow', target: '_blank', text: l }))))
      : null),
    row(t('initiative.submittedBy'), i.submittedBy ? [memberName(dir, i.submittedBy), ' · ', timeEl(i.createTime, { dateOnly: true })] : null));
}

/** Approve / return buttons for the secretariat; onDone(updated). */
function reviewActions(i, onDone) {
  const act = (verb, label, testid, input, danger) => h('button', {
    type: 'button', class: ['button small', verb === 'approve' ? 'primary' : 'secondary', danger && 'danger-text'], text: label, 'data-testid': testid,
    onclick: async (event) => {
      const button = event.currentTarget;
      const note = await confirmDialog({
        title: t(`review.${verb}Title`, { name: i.displayName }), message: t(`review.${verb}Message`),
        confirmLabel: label, testid: `${verb}-dialog`, input,
      });
      if (note === false) return;
      await withButton(button, async () => {
        const updated = await post(i.name, { note: note || '', etag: i.etag }, { verb });
        toast(verb === 'approve' ? t('review.approved', { name: i.displayName }) : t('review.returned', { name: i.displayName }), 'success');
        onDone(updated);
      });
    },
  });
  return h('div', { class: 'actions review-actions' },
    i.reviewState === 'SUBMITTED' ? act('approve', t('review.approve'), 'approve-initiative', { label: t('review.noteOptional'), multiline: true, maxLength: 2000 }) : null,
    i.reviewState !== 'RETURNED' ? act('return', t('review.return'), 'return-initiative', { label: t('review.note'), required: true, multiline: true, maxLength: 2000, hint: t('review.noteHint') }) : null);
}

export async function initiativeView(ctx) {
  const name = `initiatives/${ctx.params.id}`;
  const [i, dir] = await Promise.all([
    get(name, undefined, { signal: ctx.signal }),
    memberDirectory({ signal: ctx.signal }).catch(() => new Map()),
  ]);
  ctx.title(i.displayName);
  const own = i.submittedBy === session.member;
  ctx.render(
    communityTabs('map'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/map', text: t('map.title') }),
      own ? [' › ', h('a', { href: '#/initiatives/mine', text: t('initiative.mine') })] : null),
    h('article', { class: 'initiative-view', 'data-testid': 'initiative', 'data-name': name },
      h('div', { class: 'page-head' },
        pageTitle(i.displayName, { 'data-testid': 'initiative-title' }),
        h('div', { class: 'toolbar' },
          own || session.isSecretariat ? h('a', { class: 'button secondary', href: `#/initiatives/${ctx.params.id}/edit`, text: t('initiative.edit'), 'data-testid': 'edit-initiative' }) : null)),
      own || session.isSecretariat
        ? h('div', { class: 'review-box' },
          h('p', {}, t('initiative.reviewStateLabel'), ' ', reviewBadge(i.reviewState)),
          i.reviewNote ? h('p', { class: 'review-note', 'data-testid': 'review-note' }, h('strong', { text: t('initiative.secretariatNote') }), ' ', i.reviewNote) : null,
          session.isSecretariat ? reviewActions(i, () => ctx.refresh()) : null)
        : null,
      i.description ? markdownBlock(i.description, 'prose') : null,
      facts(i, dir)));
}

// ---- one's own submissions -------------------------------------------------------------------

export async function myInitiativesView(ctx) {
  ctx.title(t('initiative.mine'));
  const states = ['RETURNED', 'SUBMITTED', 'APPROVED'];
  const lists = await Promise.all(states.map((state) => listAll('initiatives', {
    'filter.review_state': state, 'filter.submitted_by': session.member,
  }, 'initiatives', { signal: ctx.signal, max: 1000 })));
  const mine = lists.flat();
  ctx.render(
    communityTabs('map'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/map', text: t('map.title') })),
    h('div', { class: 'page-head' },
      pageTitle(t('initiative.mine')),
      h('a', { class: 'button primary', href: '#/initiatives/new', text: t('initiative.register') })),
    h('p', { class: 'hint', text: t('initiative.mineHint') }),
    mine.length ? initiativeTable(mine, { caption: t('initiative.mine'), review: true }) : h('p', { class: 'muted', 'data-testid': 'no-initiatives', text: t('initiative.noneMine') }));
}

// ---- the secretariat's review queue -------------------------------------------------------------

export async function reviewQueueView(ctx) {
  ctx.title(t('initiative.reviewQueue'));
  const [waiting, dir] = await Promise.all([
    listAll('initiatives', { 'filter.review_state': 'SUBMITTED' }, 'initiatives', { signal: ctx.signal, max: 1000 }),
    memberDirectory({ signal: ctx.signal }).catch(() => new Map()),
  ]);
  const list = h('ul', { class: 'card-list', 'data-testid': 'review-queue' });
  let items = waiting;
  const render = () => replace(list, items.length ? items.map((i) => h('li', { class: 'card review-card', 'data-testid': 'review-card', 'data-name': i.name },
    h('div', { class: 'card-head' },
      h('h2', { class: 'h3' }, h('a', { href: initiativeHref(i), text: i.displayName })),
      reviewBadge(i.reviewState)),
    i.description ? markdownBlock(i.description, 'prose description') : null,
    facts(i, dir),
    reviewActions(i, (updated) => {
      items = items.filter((x) => x.name !== updated.name);
      render();
    }))) : h('li', { class: 'muted', 'data-testid': 'review-empty', text: t('initiative.queueEmpty') }));
  render();
  ctx.render(
    communityTabs('map'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/map', text: t('map.title') })),
    pageTitle(t('initiative.reviewQueue')),
    h('p', { class: 'hint', text: t('initiative.queueHint') }),
    list);
}

