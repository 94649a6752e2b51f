// Secretariat: consultations — create one, import a Markdown draft (with a
// preview first), open a round (now or scheduled), extend it, close it,
// publish the record; edit the title, description and audience.

import { get, post, patch, listAll, requestId } from './api.js';
import { roundStatus } from './consultations.js';
import { exportControls } from './record.js';
import {
  h, replace, idOf, num, field, pageTitle, submitting, withButton, confirmDialog,
  toast, announce, notice, stateBadge, timeEl, badge, toLocalInput, fromLocalInput,
  ORGANISATION_TYPES, orgTypeLabel, countryName,
} from './ui.js';
import { t } from './i18n.js';

// ---- the list ---------------------------------------------------------------

export async function listView(ctx) {
  ctx.title(t('adminConsultations.title'));
  const consultations = await listAll('consultations', {}, 'consultations', { signal: ctx.signal, max: 1000 });
  ctx.render(
    h('div', { class: 'page-head' },
      pageTitle(t('adminConsultations.title')),
      h('a', { class: 'button primary', href: '#/admin/consultations/new', text: t('adminConsultations.new'), 'data-testid': 'new-consultation' })),
    consultations.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-testid': 'admin-consultation-table' },
        h('thead', {}, h('tr', {},
          ['consultation', 'state', 'round', 'draftVersion', 'deadline'].map((col) => h('th', { scope: 'col', text: t(`adminConsultations.col.${col}`) })))),
        h('tbody', {}, consultations.map((c) => {
          const id = idOf(c.name);
          return h('tr', { 'data-testid': 'admin-consultation-row', 'data-id': id },
            h('th', { scope: 'row' }, h('a', { href: `#/admin/c/${id}`, text: c.title })),
            h('td', {}, stateBadge(c)),
            h('td', { text: c.currentRound ? String(c.currentRound) : '—' }),
            h('td', { text: c.latestVersion ? `${c.currentVersion || c.latestVersion}${c.latestVersion !== c.currentVersion ? t('adminConsultations.latest', { n: c.latestVersion }) : ''}` : t('adminConsultations.noneYet') }),
            h('td', {}, c.closesAt ? timeEl(c.closesAt) : '—'));
        }))))
      : notice(t('adminConsultations.empty'), 'info'));
}

// ---- audience -----------------------------------------------------------------

function audienceFields(audience = {}) {
  const types = new Set(audience.organisationTypes || []);
  const checkboxes = ORGANISATION_TYPES.map(([value, label]) => {
    const id = `aud-${value}`;
    return h('div', { class: 'checkbox' },
      h('input', { type: 'checkbox', id, value, checked: types.has(value) }),
      h('label', { for: id, text: label }));
  });
  const countries = h('input', { type: 'text', value: (audience.countries || []).join(', '), 'data-testid': 'audience-countries' });
  const element = h('fieldset', { class: 'checkbox-group' },
    h('legend', { text: t('adminConsultations.whoMayComment') }),
    h('p', { class: 'hint', text: t('adminConsultations.audienceHint') }),
    h('fieldset', { class: 'nested' }, h('legend', { class: 'small', text: t('adminConsultations.orgTypes') }), checkboxes),
    field(t('adminConsultations.countries'), countries, { field: 'consultation.audience.countries', optional: true, hint: t('adminConsultations.countriesHint') }));
  const read = () => ({
    organisationTypes: checkboxes.map((d) => d.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
    countries: countries.value.split(/[\s,;]+/).map((s) => s.trim().toUpperCase()).filter(Boolean),
  });
  return { element, read };
}

function describeAudience(audience = {}) {
  const types = audience.organisationTypes || [];
  const countries = audience.countries || [];
  if (!types.length && !countries.length) return t('adminConsultations.everyMember');
  return [
    types.length ? types.map(orgTypeLabel).join(', ') : t('adminConsultations.allOrgTypes'),
    countries.length ? t('adminConsultations.inCountries', { countries: countries.map(countryName).join(', ') }) : t('adminConsultations.everyCountry'),
  ].join(' ');
}

// ---- create ---------------------------------------------------------------------

export async function newView(ctx) {
  ctx.title(t('adminConsultations.new'));
  const idInput = h('input', { type: 'text', name: 'id', pattern: '[a-z][a-z0-9-]{2,62}', maxlength: 63, 'data-testid': 'consultation-id' });
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, 'data-testid': 'consultation-title-input' });
  const description = h('textarea', { name: 'description', rows: 5, maxlength: 5000, 'data-testid': 'consultation-description' });
  const audience = audienceFields();
  const rid = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'consultation-form', novalidate: true },
    field(t('adminConsultations.fieldTitle'), title, { field: 'consultation.title' }),
    field(t('adminConsultations.shortName'), idInput, { field: 'consultation_id', optional: true, hint: t('adminConsultations.shortNameHint') }),
    field(t('adminConsultations.description'), description, { field: 'consultation.description', optional: true, hint: t('adminConsultations.descriptionHint') }),
    audience.element,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('adminConsultations.create'), 'data-testid': 'consultation-create' }),
      h('a', { class: 'button secondary', href: '#/admin/consultations', text: t('adminConsultations.cancel') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const created = await submitting(form, () => post('consultations', {
      title: title.value.trim(),
      description: description.value.trim(),
      audience: audience.read(),
    }, { query: { consultation_id: idInput.value.trim(), request_id: rid } }));
    if (!created) return;
    toast(t('adminConsultations.created', { title: created.title }), 'success');
    ctx.navigate(`#/admin/c/${idOf(created.name)}`);
  });
  ctx.render(
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/admin/consultations', text: t('adminConsultations.title') })),
    pageTitle(t('adminConsultations.new')),
    h('p', { class: 'hint', text: t('adminConsultations.newHint') }),
    form);
}

// ---- manage one -------------------------------------------------------------------

export async function manageView(ctx) {
  const id = ctx.params.id;
  const name = `consultations/${id}`;
  let c = await get(name, undefined, { signal: ctx.signal });
  let stats = null;
  const container = h('div', { class: 'manage' });

  const loadStats = async () => {
    stats = c.currentRound
      ? await get('comments:statistics', { scope: name, round: c.currentRound }).catch(() => null)
      : null;
  };
  await loadStats();

  const refresh = async (focusSelector) => {
    c = await get(name);
    await loadStats();
    render();
    const target = focusSelector && container.querySelector(focusSelector);
    if (target) target.focus();
  };

  const render = () => {
    ctx.title(t('adminConsultations.manageTitle', { title: c.title }));
    replace(container,
      h('p', { class: 'breadcrumbs' }, h('a', { href: '#/admin/consultations', text: t('adminConsultations.title') })),
      h('div', { class: 'page-head' },
        pageTitle(c.title, { 'data-testid': 'manage-title' }),
        stateBadge(c)),
      roundStatus(c, { onExpire: () => refresh() }),
      h('nav', { class: 'toolbar', 'aria-label': t('adminConsultations.about') },
        c.latestVersion ? h('a', { class: 'button secondary', href: `#/c/${id}`, text: t('adminConsultations.readDraft'), 'data-testid': 'read-draft' }) : null,
        c.currentRound ? h('a', { class: 'button secondary', href: `#/admin/c/${id}/dispositions`, text: t('adminConsultations.answer'), 'data-testid': 'go-dispositions' }) : null,
        c.currentRound ? h('a', { class: 'button secondary', href: `#/admin/c/${id}/statistics`, text: t('adminConsultations.statistics'), 'data-testid': 'go-statistics' }) : null),
      roundCard(),
      importCard(),
      detailsCard(),
      c.currentRound ? h('section', { class: 'card', 'aria-labelledby': 'record-h' },
        h('h2', { id: 'record-h', tabindex: '-1', text: t('adminConsultations.record') }),
        h('p', { class: 'hint', text: t('adminConsultations.recordHint') }),
        exportControls(c)) : null,
      roundsHistory());
  };

  // ---- the round ----
  const roundCard = () => {
    const card = h('section', { class: 'card', 'aria-labelledby': 'round-h', 'data-testid': 'round-card' },
      h('h2', { id: 'round-h', tabindex: '-1', text: t('adminConsultations.round') }));
    if (c.state === 'OPEN') {
      const closes = h('input', { type: 'datetime-local', required: true, value: toLocalInput(new Date(Date.parse(c.closesAt) + 7 * 86400000)), 'data-testid': 'extend-closes-at' });
      const extend = h('form', { class: 'form inline-form', 'data-testid': 'extend-form', novalidate: true },
        field(t('adminConsultations.newClosing'), closes, { field: 'closes_at', hint: t('adminConsultations.newClosingHint') }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary', text: t('adminConsultations.extend'), 'data-testid': 'extend-submit' })));
      extend.addEventListener('submit', async (event) => {
        event.preventDefault();
        const updated = await submitting(extend, () => post(name, { closesAt: fromLocalInput(closes.value), etag: c.etag }, { verb: 'extend' }));
        if (!updated) return;
        toast(t('adminConsultations.closesOn', { time: new Date(updated.closesAt).toLocaleString() }), 'success');
        await refresh('#round-h');
      });
      card.append(
        h('p', {}, t('adminConsultations.roundOn', { n: c.currentRound, version: c.currentVersion }), c.acceptingComments ? t('adminConsultations.takingComments') : t('adminConsultations.scheduled')),
        extend,
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: 'button danger', text: t('adminConsultations.closeNow'), 'data-testid': 'close-round',
            onclick: async (event) => {
              const button = event.currentTarget;
              const ok = await confirmDialog({
                title: t('adminConsultations.closeNowTitle'),
                message: t('adminConsultations.closeMessage'),
                confirmLabel: t('adminConsultations.closeConfirm'), danger: true, testid: 'close-dialog',
              });
              if (!ok) return;
              await withButton(button, async () => {
                await post(name, { etag: c.etag }, { verb: 'close' });
                toast(t('adminConsultations.closed'), 'success');
                await refresh('#round-h');
              });
            },
          })));
      return card;
    }
    if (c.state === 'CLOSED') {
      const awaiting = stats ? num(stats.awaitingDisposition) : 0;
      const total = stats ? num(stats.totalCount) : 0;
      card.append(
        h('p', {}, t('adminConsultations.roundClosed', { n: c.currentRound, done: total - awaiting, total })),
        awaiting
          ? notice([t('adminConsultations.awaiting', { n: awaiting }), h('a', { href: `#/admin/c/${id}/dispositions`, text: t('adminConsultations.answerFirst') }), t('adminConsultations.publishAnyway')], 'warning')
          : null,
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: 'button primary', text: t('adminConsultations.publish'), 'data-testid': 'publish',
            onclick: async (event) => {
              const button = event.currentTarget;
              const ok = await confirmDialog({
                title: t('adminConsultations.publishTitle'),
                message: t('adminConsultations.publishMessage', { n: c.currentRound, awaiting }),
                confirmLabel: t('adminConsultations.publishConfirm'), testid: 'publish-dialog',
              });
              if (!ok) return;
              await withButton(button, async () => {
                await post(name, { etag: c.etag }, { verb: 'publish' });
                toast(t('adminConsultations.published'), 'success');
                await refresh('#round-h');
              });
            },
          })));
    }
    if (c.state === 'DRAFT' || c.state === 'CLOSED' || c.state === 'PUBLISHED') {
      if (!c.latestVersion) {
        card.append(h('p', { class: 'muted', text: t('adminConsultations.importFirst') }));
        return card;
      }
      const now = new Date();
      const opens = h('input', { type: 'datetime-local', 'data-testid': 'open-opens-at' });
      const closes = h('input', { type: 'datetime-local', required: true, value: toLocalInput(new Date(now.getTime() + 30 * 86400000)), 'data-testid': 'open-closes-at' });
      const version = h('input', { type: 'number', min: 1, max: c.latestVersion, value: c.latestVersion, 'data-testid': 'open-version' });
      const rid = requestId();
      const open = h('form', { class: 'form', 'data-testid': 'open-form', novalidate: true },
        h('h3', { text: c.currentRound ? t('adminConsultations.openRound', { n: c.currentRound + 1 }) : t('adminConsultations.openFirst') }),
        field(t('adminConsultations.opensAt'), opens, { field: 'opens_at', optional: true, hint: t('adminConsultations.opensAtHint') }),
        field(t('adminConsultations.closesAt'), closes, { field: 'closes_at', hint: t('adminConsultations.closesAtHint') }),
        c.latestVersion > 1 ? field(t('adminConsultations.draftVersion'), version, { field: 'draft_version', hint: t('adminConsultations.latestIs', { n: c.latestVersion }) }) : null,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', text: t('adminConsultations.open'), 'data-testid': 'open-submit' })));
      open.addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = { closesAt: fromLocalInput(closes.value), etag: c.etag, requestId: rid, draftVersion: Number(version.value || 0) };
        const opensAt = fromLocalInput(opens.value);
        if (opensAt) body.opensAt = opensAt;
        const updated = await submitting(open, () => post(name, body, { verb: 'open' }));
        if (!updated) return;
        toast(updated.acceptingComments ? t('adminConsultations.opened', { n: updated.currentRound }) : t('adminConsultations.scheduledToast', { n: updated.currentRound }), 'success');
        await refresh('#round-h');
      });
      card.append(open);
    }
    return card;
  };

  // ---- the draft ----
  const importCard = () => {
    const card = h('section', { class: 'card', 'aria-labelledby': 'import-h', 'data-testid': 'import-card' },
      h('h2', { id: 'import-h', tabindex: '-1', text: t('adminConsultations.draftText') }),
      h('p', {}, c.latestVersion
        ? t('adminConsultations.latestVersion', { n: c.latestVersion, current: c.currentVersion && c.currentVersion !== c.latestVersion ? c.currentVersion : 0 })
        : t('adminConsultations.noDraft')));
    if (c.state === 'OPEN') {
      card.append(h('p', { class: 'muted', text: t('adminConsultations.revisedAfterClose') }));
      return card;
    }
    const markdown = h('textarea', { rows: 14, class: 'code', spellcheck: 'false', 'data-testid': 'import-markdown' });
    const file = h('input', { type: 'file', accept: '.md,.markdown,.txt,text/markdown,text/plain', 'data-testid': 'import-file' });
    const preview = h('div', { class: 'preview', 'data-testid': 'import-preview', 'aria-live': 'polite' });
    const importButton = h('button', { type: 'button', class: 'button primary', text: t('adminConsultations.importThis'), disabled: true, 'data-testid': 'import-submit' });
    let previewed = null; // the text the last successful preview was of
    let rid = requestId();
    const form = h('form', { class: 'form', 'data-testid': 'import-form', novalidate: true },
      h('p', { class: 'hint', text: t('adminConsultations.importHint') }),
      field(t('adminConsultations.markdownFile'), file, { optional: true }),
      field(t('adminConsultations.markdown'), markdown, { field: 'markdown' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'button secondary', text: t('adminConsultations.preview'), 'data-testid': 'import-preview-button' }),
        importButton),
      preview);
    file.addEventListener('change', async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      if (f.size > 1048576) {
        toast(t('adminConsultations.tooLarge'), 'error');
        return;
      }
      markdown.value = await f.text();
      markdown.dispatchEvent(new Event('input'));
    });
    markdown.addEventListener('input', () => {
      importButton.disabled = markdown.value !== previewed;
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!markdown.value.trim()) {
        markdown.setAttribute('aria-invalid', 'true');
        markdown.focus();
        return;
      }
      const text = markdown.value;
      const draft = await submitting(form, () => post(`${name}/versions`, { markdown: text, validateOnly: true }, { verb: 'import' }));
      if (!draft) {
        replace(preview);
        previewed = null;
        importButton.disabled = true;
        return;
      }
      previewed = text;
      importButton.disabled = false;
      replace(preview, draftPreview(draft));
      announce(t('adminConsultations.previewAnnounce', { n: draft.sectionCount || 0 }));
    });
    importButton.addEventListener('click', () => withButton(importButton, async () => {
      const draft = await post(`${name}/versions`, { markdown: previewed, etag: c.etag, requestId: rid }, { verb: 'import' });
      rid = requestId();
      toast(t('adminConsultations.imported', { version: draft.version, n: draft.sectionCount || 0 }), 'success');
      await refresh('#round-h');
    }));
    card.append(form);
    return card;
  };

  // ---- title, description, audience ----
  const detailsCard = () => {
    const title = h('input', { type: 'text', required: true, maxlength: 200, value: c.title });
    const description = h('textarea', { rows: 4, maxlength: 5000, value: c.description || '' });
    const audience = c.state === 'DRAFT' ? audienceFields(c.audience || {}) : null;
    const form = h('form', { class: 'form', novalidate: true },
      field(t('adminConsultations.fieldTitle'), title, { field: 'consultation.title' }),
      field(t('adminConsultations.description'), description, { field: 'consultation.description', optional: true }),
      audience ? audience.element : h('p', {}, h('strong', { text: t('adminConsultations.whoMayCommentColon') }), describeAudience(c.audience), h('span', { class: 'muted', text: t('adminConsultations.fixed') })),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary', text: t('adminConsultations.saveDetails') })));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { name, etag: c.etag, title: title.value.trim(), description: description.value.trim() };
      const mask = [];
      if (body.title !== c.title) mask.push('title');
      if (body.description !== (c.description || '')) mask.push('description');
      if (audience) {
        body.audience = audience.read();
        if (JSON.stringify(body.audience) !== JSON.stringify({ organisationTypes: (c.audience || {}).organisationTypes || [], countries: (c.audience || {}).countries || [] })) mask.push('audience');
      }
      if (!mask.length) {
        toast(t('adminConsultations.unchanged'), 'info');
        return;
      }
      const updated = await submitting(form, () => patch(name, body, { update_mask: mask.join(',') }));
      if (!updated) return;
      toast(t('adminConsultations.saved'), 'success');
      await refresh('#details-h');
    });
    return h('section', { class: 'card', 'aria-labelledby': 'details-h' },
      h('h2', { id: 'details-h', tabindex: '-1', text: t('adminConsultations.details') }),
      form);
  };

  const roundsHistory = () => {
    const rounds = c.rounds || [];
    if (!rounds.length) return null;
    return h('section', { class: 'card', 'aria-labelledby': 'history-h' },
      h('h2', { id: 'history-h', text: t('adminConsultations.rounds') }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table' },
        h('thead', {}, h('tr', {}, ['round', 'draftVersion', 'opens', 'closes', 'recordPublished'].map((col) => h('th', { scope: 'col', text: t(`adminConsultations.col.${col}`) })))),
        h('tbody', {}, rounds.map((r) => h('tr', {},
          h('th', { scope: 'row', text: String(r.number) }),
          h('td', { text: String(r.draftVersion) }),
          h('td', {}, timeEl(r.opensAt)),
          h('td', {}, timeEl(r.closesAt), r.closedEarly ? t('adminConsultations.early') : ''),
          h('td', {}, r.publishTime ? timeEl(r.publishTime) : '—')))))));
  };

  render();
  ctx.render(container);
}

function draftPreview(draft) {
  const sections = draft.sections || [];
  return h('div', { class: 'notice notice-info' },
    h('h3', { text: t('adminConsultations.previewOf', { n: draft.version }) }),
    h('p', { 'data-testid': 'preview-summary' },
      t('adminConsultations.previewSummary', { n: draft.sectionCount || 0, added: draft.addedCount || 0, modified: draft.modifiedCount || 0, removed: draft.removedCount || 0 })),
    (draft.warnings || []).length
      ? h('div', { class: 'notice notice-warning' }, h('strong', { text: t('adminConsultations.warnings') }), h('ul', {}, draft.warnings.map((w) => h('li', { text: w }))))
      : null,
    h('ol', { class: 'preview-sections', 'data-testid': 'preview-sections' }, sections.map((s) => h('li', { class: [`toc-level-${Math.min(s.level || 1, 4)}`, s.removed && 'removed'] },
      h('strong', { text: s.title }),
      ' ',
      h('code', { class: 'muted', text: `#${s.key}` }),
      s.removed ? badge(t('adminConsultations.badgeRemoved'), 'removed') : s.change === 'ADDED' ? badge(t('adminConsultations.badgeNew'), 'new') : s.change === 'MODIFIED' ? badge(t('adminConsultations.badgeChanged'), 'changed') : null,
      s.text ? h('p', { class: 'muted small', text: s.text.length > 160 ? `${s.text.slice(0, 160)}…` : s.text }) : null))));
}
