// The consultations a member may see, with their state and a live
// countdown to the deadline while a round is open.

import { listAll } from './api.js';
import { t } from './i18n.js';
import { session } from './session.js';
import { markdownBlock } from './markdown.js';
import { h, idOf, pageTitle, stateBadge, countdown, timeEl, notice } from './ui.js';

/** The current round of a consultation, or null. */
export function currentRound(c) {
  const rounds = c.rounds || [];
  return rounds.find((r) => (r.number || 0) === (c.currentRound || 0)) || rounds[rounds.length - 1] || null;
}

/** Whether the current round's record is published. */
export function isPublished(c, roundNumber = c.currentRound) {
  const round = (c.rounds || []).find((r) => r.number === roundNumber);
  return !!(round && round.publishTime);
}

/**
 * A line about the round: when it opens or closes (with a live countdown),
 * or when it closed or was published. onExpire: called when a countdown
 * reaches zero (the page reloads the consultation then).
 */
export function roundStatus(c, { onExpire } = {}) {
  const round = currentRound(c);
  const n = c.currentRound || 0;
  const now = Date.now();
  if (c.state === 'OPEN') {
    const opens = Date.parse(c.opensAt || '');
    if (opens > now) {
      return h('p', { class: 'round-status' },
        t('round.opensOn', { n }), ' ', timeEl(c.opensAt), t('common.sentenceEnd'), ' ',
        countdown(c.opensAt, { prefix: t('countdown.opensIn'), expired: t('countdown.openingNow'), onExpire }));
    }
    return h('p', { class: 'round-status' },
      t('round.openUntil', { n }), ' ', timeEl(c.closesAt), t('common.sentenceEnd'), ' ',
      countdown(c.closesAt, { prefix: t('countdown.closesIn'), expired: t('countdown.roundClosed'), onExpire }));
  }
  if (c.state === 'CLOSED') {
    return h('p', { class: 'round-status' },
      t('round.closedOn', { n }), ' ', timeEl(c.closesAt),
      t('common.sentenceEnd'), ' ', t('round.answering'));
  }
  if (c.state === 'PUBLISHED') {
    return h('p', { class: 'round-status' },
      t('round.publishedOn', { n }), ' ',
      timeEl(round && round.publishTime), t('common.sentenceEnd'));
  }
  if (c.state === 'DRAFT') {
    return h('p', { class: 'round-status', text: t('round.inPreparation') });
  }
  return null;
}

export async function listView(ctx) {
  ctx.title(t('consultations.title'));
  const consultations = await listAll('consultations', {}, 'consultations', { signal: ctx.signal, max: 1000 });
  const cards = consultations.map((c) => {
    const id = idOf(c.name);
    return h('li', { class: 'card consultation-card', 'data-testid': 'consultation-card', 'data-id': id },
      h('div', { class: 'card-head' },
        h('h2', {}, h('a', { href: `#/c/${id}`, text: c.title, 'data-testid': 'consultation-link' })),
        stateBadge(c)),
      roundStatus(c, { onExpire: () => ctx.refresh() }),
      c.description ? markdownBlock(c.description, 'prose description') : null,
      h('div', { class: 'actions' },
        h('a', { class: 'button primary', href: `#/c/${id}`, text: c.state === 'OPEN' && c.acceptingComments ? t('consultations.readAndComment') : t('consultations.readDraft') }),
        session.isSecretariat ? h('a', { class: 'button secondary', href: `#/admin/c/${id}`, text: t('consultations.manage') }) : null));
  });
  ctx.render(
    h('div', { class: 'page-head' },
      pageTitle(t('consultations.title')),
      session.isSecretariat
        ? h('a', { class: 'button secondary', href: '#/admin/consultations/new', text: t('consultations.new') })
        : null),
    cards.length
      ? h('ul', { class: 'card-list', 'data-testid': 'consultation-list' }, cards)
      : notice(t('consultations.none'), 'info'));
}
