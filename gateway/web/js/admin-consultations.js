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

// ---- the list ---------------------------------------------------------------

export async function listView(ctx) {
  ctx.title('Manage consultations');
  const consultations = await listAll('consultations', {}, 'consultations', { signal: ctx.signal, max: 1000 });
  ctx.render(
    h('div', { class: 'page-head' },
      pageTitle('Manage consultations'),
      h('a', { class: 'button primary', href: '#/admin/consultations/new', text: 'New consultation', 'data-testid': 'new-consultation' })),
    consultations.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-testid': 'admin-consultation-table' },
        h('thead', {}, h('tr', {},
          ['Consultation', 'State', 'Round', 'Draft version', 'Deadline'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, consultations.map((c) => {
          const id = idOf(c.name);
          return h('tr', { 'data-testid': 'admin-consultation-row', 'data-id': id },
            h('th', { scope: 'row' }, h('a', { href: `#/admin/c/${id}`, text: c.title })),
            h('td', {}, stateBadge(c)),
            h('td', { text: c.currentRound ? String(c.currentRound) : '—' }),
            h('td', { text: c.latestVersion ? `${c.currentVersion || c.latestVersion}${c.latestVersion !== c.currentVersion ? ` (latest ${c.latestVersion})` : ''}` : 'none yet' }),
            h('td', {}, c.closesAt ? timeEl(c.closesAt) : '—'));
        }))))
      : notice('No consultation yet. Create the first one.', 'info'));
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
    h('legend', { text: 'Who may comment' }),
    h('p', { class: 'hint', text: 'Leave everything empty to let every approved member comment. Members outside the audience may still read.' }),
    h('fieldset', { class: 'nested' }, h('legend', { class: 'small', text: 'Types of organisation (none ticked: all)' }), checkboxes),
    field('Countries', countries, { field: 'consultation.audience.countries', optional: true, hint: 'ISO alpha-3 codes separated by commas, e.g. KEN, UGA, TZA. Empty: all countries.' }));
  const read = () => ({
    organisationTypes: checkboxes.map((d) => d.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
    countries: countries.value.split(/[\s,;]+/).map((s) => s.trim().toUpperCase()).filter(Boolean),
  });
  return { element, read };
}

function describeAudience(audience = {}) {
  const types = audience.organisationTypes || [];
  const countries = audience.countries || [];
  if (!types.length && !countries.length) return 'Every approved member';
  return [
    types.length ? types.map(orgTypeLabel).join(', ') : 'All types of organisation',
    countries.length ? `in ${countries.map(countryName).join(', ')}` : 'in every country',
  ].join(' ');
}

// ---- create ---------------------------------------------------------------------

export async function newView(ctx) {
  ctx.title('New consultation');
  const idInput = h('input', { type: 'text', name: 'id', pattern: '[a-z][a-z0-9-]{2,62}', maxlength: 63, 'data-testid': 'consultation-id' });
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, 'data-testid': 'consultation-title-input' });
  const description = h('textarea', { name: 'description', rows: 5, maxlength: 5000, 'data-testid': 'consultation-description' });
  const audience = audienceFields();
  const rid = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'consultation-form', novalidate: true },
    field('Title', title, { field: 'consultation.title' }),
    field('Short name for the address', idInput, { field: 'consultation_id', optional: true, hint: '3 to 63 lower-case letters, digits and dashes, starting with a letter, e.g. data-ethics-2027. Empty: one is chosen for you.' }),
    field('Description', description, { field: 'consultation.description', optional: true, hint: 'What the consultation is about and how to take part. Light Markdown.' }),
    audience.element,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: 'Create consultation', 'data-testid': 'consultation-create' }),
      h('a', { class: 'button secondary', href: '#/admin/consultations', text: 'Cancel' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const created = await submitting(form, () => post('consultations', {
      title: title.value.trim(),
      description: description.value.trim(),
      audience: audience.read(),
    }, { query: { consultation_id: idInput.value.trim(), request_id: rid } }));
    if (!created) return;
    toast(`"${created.title}" is created as a draft. Import its text next.`, 'success');
    ctx.navigate(`#/admin/c/${idOf(created.name)}`);
  });
  ctx.render(
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/admin/consultations', text: 'Manage consultations' })),
    pageTitle('New consultation'),
    h('p', { class: 'hint', text: 'It starts as a draft that only the secretariat sees. Then import the text and open a round.' }),
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
    ctx.title(`Manage: ${c.title}`);
    replace(container,
      h('p', { class: 'breadcrumbs' }, h('a', { href: '#/admin/consultations', text: 'Manage consultations' })),
      h('div', { class: 'page-head' },
        pageTitle(c.title, { 'data-testid': 'manage-title' }),
        stateBadge(c)),
      roundStatus(c, { onExpire: () => refresh() }),
      h('nav', { class: 'toolbar', 'aria-label': 'About this consultation' },
        c.latestVersion ? h('a', { class: 'button secondary', href: `#/c/${id}`, text: 'Read the draft', 'data-testid': 'read-draft' }) : null,
        c.currentRound ? h('a', { class: 'button secondary', href: `#/admin/c/${id}/dispositions`, text: 'Answer comments', 'data-testid': 'go-dispositions' }) : null,
        c.currentRound ? h('a', { class: 'button secondary', href: `#/admin/c/${id}/statistics`, text: 'Statistics', 'data-testid': 'go-statistics' }) : null),
      roundCard(),
      importCard(),
      detailsCard(),
      c.currentRound ? h('section', { class: 'card', 'aria-labelledby': 'record-h' },
        h('h2', { id: 'record-h', tabindex: '-1', text: 'The comment–response record' }),
        h('p', { class: 'hint', text: 'Every visible comment of a round with its disposition, section by section. Members can download it once it is published.' }),
        exportControls(c)) : null,
      roundsHistory());
  };

  // ---- the round ----
  const roundCard = () => {
    const card = h('section', { class: 'card', 'aria-labelledby': 'round-h', 'data-testid': 'round-card' },
      h('h2', { id: 'round-h', tabindex: '-1', text: 'Round' }));
    if (c.state === 'OPEN') {
      const closes = h('input', { type: 'datetime-local', required: true, value: toLocalInput(new Date(Date.parse(c.closesAt) + 7 * 86400000)), 'data-testid': 'extend-closes-at' });
      const extend = h('form', { class: 'form inline-form', 'data-testid': 'extend-form', novalidate: true },
        field('New closing time', closes, { field: 'closes_at', hint: 'Later than the current one, in your time zone.' }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary', text: 'Extend the round', 'data-testid': 'extend-submit' })));
      extend.addEventListener('submit', async (event) => {
        event.preventDefault();
        const updated = await submitting(extend, () => post(name, { closesAt: fromLocalInput(closes.value), etag: c.etag }, { verb: 'extend' }));
        if (!updated) return;
        toast(`The round now closes on ${new Date(updated.closesAt).toLocaleString()}.`, 'success');
        await refresh('#round-h');
      });
      card.append(
        h('p', {}, `Round ${c.currentRound} on draft version ${c.currentVersion} — `, c.acceptingComments ? 'taking comments.' : 'scheduled.'),
        extend,
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: 'button danger', text: 'Close the round now', 'data-testid': 'close-round',
            onclick: async (event) => {
              const button = event.currentTarget;
              const ok = await confirmDialog({
                title: 'Close the round now?',
                message: 'Comments stop at once, before the planned closing time. You can then answer them and publish the record.',
                confirmLabel: 'Close the round', danger: true, testid: 'close-dialog',
              });
              if (!ok) return;
              await withButton(button, async () => {
                await post(name, { etag: c.etag }, { verb: 'close' });
                toast('The round is closed.', 'success');
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
        h('p', {}, `Round ${c.currentRound} is closed. ${total - awaiting} of ${total} comments have a disposition.`),
        awaiting
          ? notice([`${awaiting} ${awaiting === 1 ? 'comment awaits' : 'comments await'} a disposition. `, h('a', { href: `#/admin/c/${id}/dispositions`, text: 'Answer them first' }), ', or publish anyway.'], 'warning')
          : null,
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: 'button primary', text: 'Publish the record', 'data-testid': 'publish',
            onclick: async (event) => {
              const button = event.currentTarget;
              const ok = await confirmDialog({
                title: 'Publish the comment–response record?',
                message: `Everyone, observers included, can then read the dispositions of round ${c.currentRound}, and they can no longer be changed.${awaiting ? ` ${awaiting} comments still have no disposition.` : ''}`,
                confirmLabel: 'Publish', testid: 'publish-dialog',
              });
              if (!ok) return;
              await withButton(button, async () => {
                await post(name, { etag: c.etag }, { verb: 'publish' });
                toast('The record is published.', 'success');
                await refresh('#round-h');
              });
            },
          })));
    }
    if (c.state === 'DRAFT' || c.state === 'CLOSED' || c.state === 'PUBLISHED') {
      if (!c.latestVersion) {
        card.append(h('p', { class: 'muted', text: 'Import a draft before opening a round.' }));
        return card;
      }
      const now = new Date();
      const opens = h('input', { type: 'datetime-local', 'data-testid': 'open-opens-at' });
      const closes = h('input', { type: 'datetime-local', required: true, value: toLocalInput(new Date(now.getTime() + 30 * 86400000)), 'data-testid': 'open-closes-at' });
      const version = h('input', { type: 'number', min: 1, max: c.latestVersion, value: c.latestVersion, 'data-testid': 'open-version' });
      const rid = requestId();
      const open = h('form', { class: 'form', 'data-testid': 'open-form', novalidate: true },
        h('h3', { text: c.currentRound ? `Open round ${c.currentRound + 1}` : 'Open the first round' }),
        field('Opens at', opens, { field: 'opens_at', optional: true, hint: 'Leave empty to open now; or schedule it (your time zone).' }),
        field('Closes at', closes, { field: 'closes_at', hint: 'Within 366 days of the opening.' }),
        c.latestVersion > 1 ? field('Draft version', version, { field: 'draft_version', hint: `The latest is version ${c.latestVersion}.` }) : null,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', text: 'Open the round', 'data-testid': 'open-submit' })));
      open.addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = { closesAt: fromLocalInput(closes.value), etag: c.etag, requestId: rid, draftVersion: Number(version.value || 0) };
        const opensAt = fromLocalInput(opens.value);
        if (opensAt) body.opensAt = opensAt;
        const updated = await submitting(open, () => post(name, body, { verb: 'open' }));
        if (!updated) return;
        toast(updated.acceptingComments ? `Round ${updated.currentRound} is open.` : `Round ${updated.currentRound} is scheduled.`, 'success');
        await refresh('#round-h');
      });
      card.append(open);
    }
    return card;
  };

  // ---- the draft ----
  const importCard = () => {
    const card = h('section', { class: 'card', 'aria-labelledby': 'import-h', 'data-testid': 'import-card' },
      h('h2', { id: 'import-h', tabindex: '-1', text: 'Draft text' }),
      h('p', {}, c.latestVersion
        ? `Latest version: ${c.latestVersion}${c.currentVersion && c.currentVersion !== c.latestVersion ? ` (the current round uses version ${c.currentVersion})` : ''}.`
        : 'No draft imported yet.'));
    if (c.state === 'OPEN') {
      card.append(h('p', { class: 'muted', text: 'A revised draft can be imported once the round is closed.' }));
      return card;
    }
    const markdown = h('textarea', { rows: 14, class: 'code', spellcheck: 'false', 'data-testid': 'import-markdown' });
    const file = h('input', { type: 'file', accept: '.md,.markdown,.txt,text/markdown,text/plain', 'data-testid': 'import-file' });
    const preview = h('div', { class: 'preview', 'data-testid': 'import-preview', 'aria-live': 'polite' });
    const importButton = h('button', { type: 'button', class: 'button primary', text: 'Import this draft', disabled: true, 'data-testid': 'import-submit' });
    let previewed = null; // the text the last successful preview was of
    let rid = requestId();
    const form = h('form', { class: 'form', 'data-testid': 'import-form', novalidate: true },
      h('p', { class: 'hint', text: 'Paste the draft in Markdown or choose a file. Every heading (# to ######) starts a section; "## Title {#key}" sets a section\'s key. Keys stay stable across versions, and with them the comments.' }),
      field('Markdown file', file, { optional: true }),
      field('Markdown', markdown, { field: 'markdown' }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'button secondary', text: 'Preview', 'data-testid': 'import-preview-button' }),
        importButton),
      preview);
    file.addEventListener('change', async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      if (f.size > 1048576) {
        toast('That file is larger than 1 MiB, the most a draft may be.', 'error');
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
      announce(`Preview: ${draft.sectionCount || 0} sections. Check them, then import.`);
    });
    importButton.addEventListener('click', () => withButton(importButton, async () => {
      const draft = await post(`${name}/versions`, { markdown: previewed, etag: c.etag, requestId: rid }, { verb: 'import' });
      rid = requestId();
      toast(`Imported as version ${draft.version} with ${draft.sectionCount || 0} sections.`, 'success');
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
      field('Title', title, { field: 'consultation.title' }),
      field('Description', description, { field: 'consultation.description', optional: true }),
      audience ? audience.element : h('p', {}, h('strong', { text: 'Who may comment: ' }), describeAudience(c.audience), h('span', { class: 'muted', text: ' (fixed once the first round opened)' })),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary', text: 'Save details' })));
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
        toast('Nothing has changed.', 'info');
        return;
      }
      const updated = await submitting(form, () => patch(name, body, { update_mask: mask.join(',') }));
      if (!updated) return;
      toast('The details are saved.', 'success');
      await refresh('#details-h');
    });
    return h('section', { class: 'card', 'aria-labelledby': 'details-h' },
      h('h2', { id: 'details-h', tabindex: '-1', text: 'Details' }),
      form);
  };

  const roundsHistory = () => {
    const rounds = c.rounds || [];
    if (!rounds.length) return null;
    return h('section', { class: 'card', 'aria-labelledby': 'history-h' },
      h('h2', { id: 'history-h', text: 'Rounds' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table' },
        h('thead', {}, h('tr', {}, ['Round', 'Draft version', 'Opens', 'Closes', 'Record published'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rounds.map((r) => h('tr', {},
          h('th', { scope: 'row', text: String(r.number) }),
          h('td', { text: String(r.draftVersion) }),
          h('td', {}, timeEl(r.opensAt)),
          h('td', {}, timeEl(r.closesAt), r.closedEarly ? ' (early)' : ''),
          h('td', {}, r.publishTime ? timeEl(r.publishTime) : '—')))))));
  };

  render();
  ctx.render(container);
}

function draftPreview(draft) {
  const sections = draft.sections || [];
  return h('div', { class: 'notice notice-info' },
    h('h3', { text: `Preview of version ${draft.version}` }),
    h('p', { 'data-testid': 'preview-summary' },
      `${draft.sectionCount || 0} sections: ${draft.addedCount || 0} new, ${draft.modifiedCount || 0} changed, ${draft.removedCount || 0} removed. Nothing is stored until you import it.`),
    (draft.warnings || []).length
      ? h('div', { class: 'notice notice-warning' }, h('strong', { text: 'Warnings' }), h('ul', {}, draft.warnings.map((w) => h('li', { text: w }))))
      : null,
    h('ol', { class: 'preview-sections', 'data-testid': 'preview-sections' }, sections.map((s) => h('li', { class: [`toc-level-${Math.min(s.level || 1, 4)}`, s.removed && 'removed'] },
      h('strong', { text: s.title }),
      ' ',
      h('code', { class: 'muted', text: `#${s.key}` }),
      s.removed ? badge('removed', 'removed') : s.change === 'ADDED' ? badge('new', 'new') : s.change === 'MODIFIED' ? badge('changed', 'changed') : null,
      s.text ? h('p', { class: 'muted small', text: s.text.length > 160 ? `${s.text.slice(0, 160)}…` : s.text }) : null))));
}
