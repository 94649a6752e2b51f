// Secretariat: the disposition workflow. Walk a section's comments of a
// round and answer each (accepted, partly accepted, noted, not accepted,
// with a response), with progress answered/total per section and overall.

import { get, post, listAll } from './api.js';
import { session } from './session.js';
import { commentCard } from './comments.js';
import { isPublished } from './consultations.js';
import {
  h, replace, idOf, num, pageTitle, field, submitting, toast, announce, notice,
  OUTCOMES, uid,
} from './ui.js';
import { t } from './i18n.js';

export async function dispositionsView(ctx) {
  const id = ctx.params.id;
  const name = `consultations/${id}`;
  const { signal } = ctx;
  const c = await get(name, undefined, { signal });
  const round = Number(ctx.query.get('round')) || c.currentRound || 0;
  if (!round) {
    ctx.title(t('dispositions.title'));
    ctx.render(pageTitle(t('dispositions.title')), notice(t('dispositions.noRound'), 'info'));
    return;
  }
  const [headings, stats] = await Promise.all([
    listAll(`${name}/sections`, { headings_only: true, include_removed: true }, 'sections', { signal, pageSize: 1000 }),
    get('comments:statistics', { scope: name, round, include_sections: true }, { signal }),
  ]);
  const perSection = new Map();
  for (const s of stats.sections || []) {
    perSection.set(idOf(s.scope), { total: num(s.totalCount), awaiting: num(s.awaitingDisposition) });
  }
  const overall = { total: num(stats.totalCount), awaiting: num(stats.awaitingDisposition) };
  const withComments = headings.filter((s) => (perSection.get(s.key) || {}).total);
  const key = ctx.params.key ||
    (withComments.find((s) => perSection.get(s.key).awaiting) || withComments[0] || headings[0] || {}).key;
  const section = headings.find((s) => s.key === key);
  const published = isPublished(c, round);
  ctx.title(t('dispositions.titleOf', { title: c.title }));

  const sectionName = `${name}/sections/${key}`;
  let comments = section
    ? (await listAll('comments', { target: sectionName, round }, 'comments', { signal })).filter((x) => x.state === 'VISIBLE')
    : [];

  const overallText = h('p', { 'data-testid': 'progress-overall' });
  const overallBar = h('progress', { max: 1, value: 0, 'aria-labelledby': 'overall-label' });
  const sectionText = h('p', { 'data-testid': 'progress-section' });
  const sectionBar = h('progress', { max: 1, value: 0, 'aria-labelledby': 'section-progress-label' });
  const nav = h('ol', { class: 'section-progress' });
  const awaitingOnly = h('input', { type: 'checkbox', id: 'awaiting-only', checked: false });
  const list = h('ol', { class: 'disposition-list', 'data-testid': 'disposition-list' });

  const renderProgress = () => {
    const answered = overall.total - overall.awaiting;
    overallText.textContent = t('dispositions.overallText', { done: answered, total: overall.total, round });
    overallBar.max = Math.max(1, overall.total);
    overallBar.value = answered;
    const mine = perSection.get(key) || { total: 0, awaiting: 0 };
    sectionText.textContent = t('dispositions.sectionText', { done: mine.total - mine.awaiting, total: mine.total });
    sectionBar.max = Math.max(1, mine.total);
    sectionBar.value = mine.total - mine.awaiting;
    replace(nav, headings.filter((s) => !s.removed || (perSection.get(s.key) || {}).total).map((s) => {
      const p = perSection.get(s.key) || { total: 0, awaiting: 0 };
      const done = p.total && !p.awaiting;
      return h('li', { class: [`toc-level-${Math.min(s.level || 1, 4)}`, !p.total && 'empty'] },
        h('a', {
          href: `#/admin/c/${id}/dispositions/s/${s.key}${round !== c.currentRound ? `?round=${round}` : ''}`,
          'aria-current': s.key === key ? 'location' : null,
          'data-testid': 'disposition-section-link',
          'data-key': s.key,
        },
        h('span', { class: 'toc-title', text: s.title }),
        h('span', { class: ['progress-count', done && 'done'], text: p.total ? `${p.total - p.awaiting}/${p.total}` : '–' })));
    }));
  };

  const renderList = () => {
    const shown = awaitingOnly.checked ? comments.filter((x) => !hasDisposition(x)) : comments;
    const byName = new Map(comments.map((x) => [x.name, x]));
    replace(list, shown.length ? shown.map((comment) => h('li', {},
      commentCard(comment, {
        me: session.member,
        isSecretariat: true,
        readOnly: true,
        published,
        isReply: !!comment.parent,
        parentAuthor: comment.parent && byName.get(comment.parent) ? byName.get(comment.parent).authorDisplayName : '',
        extra: [dispositionForm(comment)],
      }))) : h('li', { class: 'muted', text: comments.length ? t('dispositions.allAnswered') : t('dispositions.noComment') }));
  };

  const dispositionForm = (comment) => {
    const current = (comment.disposition && comment.disposition.outcome) || '';
    const groupName = uid('outcome');
    const radios = OUTCOMES.map(([value, label]) => {
      const rid = uid('o');
      return h('span', { class: 'radio' },
        h('input', { type: 'radio', id: rid, name: groupName, value, checked: value === current, disabled: published, 'data-testid': `outcome-${value.toLowerCase()}` }),
        h('label', { for: rid, text: label }));
    });
    const response = h('textarea', { rows: 3, required: true, maxlength: 5000, value: (comment.disposition && comment.disposition.response) || '', disabled: published, 'data-testid': 'disposition-response' });
    const form = h('form', { class: 'disposition-form', 'data-testid': 'disposition-form', novalidate: true, 'data-comment': comment.name },
      h('fieldset', { class: 'radio-group', 'data-field': 'disposition.outcome' },
        h('legend', { tabindex: '-1', text: hasDisposition(comment) ? t('dispositions.answered') : t('dispositions.disposition') }),
        radios),
      field(t('dispositions.response'), response, { field: 'disposition.response', hint: t('dispositions.responseHint') }),
      published ? null : h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'button primary small', text: hasDisposition(comment) ? t('dispositions.update') : t('dispositions.save'), 'data-testid': 'disposition-save' })));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const outcome = (form.querySelector(`input[name="${groupName}"]:checked`) || {}).value;
      if (!outcome) {
        toast(t('dispositions.chooseOutcome'), 'error');
        form.querySelector('input[type="radio"]').focus();
        return;
      }
      if (!response.value.trim()) {
        response.setAttribute('aria-invalid', 'true');
        response.focus();
        return;
      }
      const updated = await submitting(form, () => post(comment.name, {
        disposition: { outcome, response: response.value.trim() },
        etag: comment.etag,
      }, { verb: 'setDisposition' }));
      if (!updated) return;
      const wasAnswered = hasDisposition(comment);
      comments = comments.map((x) => (x.name === updated.name ? updated : x));
      if (!wasAnswered) {
        overall.awaiting -= 1;
        const mine = perSection.get(key);
        if (mine) mine.awaiting -= 1;
      }
      renderProgress();
      renderList();
      const next = comments.find((x) => !hasDisposition(x));
      announce(t('dispositions.savedAnnounce', { progress: sectionText.textContent }));
      if (next) {
        const nextForm = list.querySelector(`form[data-comment="${next.name}"] legend`);
        if (nextForm) {
          nextForm.scrollIntoView({ block: 'center' });
          nextForm.focus();
        }
      } else {
        const doneNote = list.querySelector('li');
        sectionText.focus();
        if (doneNote) toast(t('dispositions.allAnswered'), 'success');
      }
    });
    return form;
  };

  awaitingOnly.addEventListener('change', renderList);
  sectionText.tabIndex = -1;
  renderProgress();
  renderList();

  ctx.render(
    h('p', { class: 'breadcrumbs' },
      h('a', { href: '#/admin/consultations', text: t('dispositions.manage') }), ' › ',
      h('a', { href: `#/admin/c/${id}`, text: c.title })),
    pageTitle(t('dispositions.title')),
    h('div', { class: 'progress-block' },
      h('span', { id: 'overall-label', class: 'visually-hidden', text: t('dispositions.overall') }),
      overallBar, overallText),
    published
      ? notice(t('dispositions.final', { n: round }), 'info')
      : c.state === 'OPEN' && round === c.currentRound
        ? notice(t('dispositions.stillOpen'), 'info')
        : null,
    (c.rounds || []).length > 1 ? h('nav', { class: 'tabs', 'aria-label': t('dispositions.rounds') }, c.rounds.map((r) => h('a', {
      href: `#/admin/c/${id}/dispositions?round=${r.number}`,
      'aria-current': r.number === round ? 'page' : null,
      text: t('dispositions.round', { n: r.number }),
    }))) : null,
    h('div', { class: 'workflow' },
      h('nav', { class: 'toc', 'aria-label': t('dispositions.sectionsNav') },
        h('h2', { class: 'toc-heading', text: t('dispositions.sections') }), nav),
      h('section', { class: 'workflow-main', 'aria-labelledby': 'wf-section-title' },
        h('h2', { id: 'wf-section-title', 'data-testid': 'disposition-section-title', text: section ? section.title : t('dispositions.noSection') }),
        h('div', { class: 'progress-block' },
          h('span', { id: 'section-progress-label', class: 'visually-hidden', text: t('dispositions.sectionProgress') }),
          sectionBar, sectionText),
        h('div', { class: 'checkbox' }, awaitingOnly, h('label', { for: 'awaiting-only', text: t('dispositions.awaitingOnly') })),
        list)));

  const focusId = ctx.query.get('comment');
  if (focusId) {
    ctx.focusHandled();
    requestAnimationFrame(() => {
      const card = document.getElementById(`comment-${focusId}`);
      if (card) {
        card.scrollIntoView({ block: 'center' });
        card.focus();
      }
    });
  }
}

function hasDisposition(comment) {
  return !!(comment.disposition && comment.disposition.outcome && comment.disposition.outcome !== 'OUTCOME_UNSPECIFIED');
}
