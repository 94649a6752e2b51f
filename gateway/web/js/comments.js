// A comment as a card, with what its reader may do to it: reply, endorse,
// edit and withdraw (its author, while the round is open), flag, follow the
// thread, and for moderators hide or restore; and the threads of a target
// (roots with their replies) built from those cards. Used by the reader,
// the moderation queue, the disposition workflow and the community's
// discussions (topics, conversations, resources: see discussion.js).

import { post, patch, requestId, listAll } from './api.js';
import { markdownBlock } from './markdown.js';
import { followButton } from './notifications.js';
import {
  h, idOf, field, submitting, withButton, confirmDialog, toast, announce,
  commentTypeLabel, outcomeLabel, countryName, relativeTime, formatDateTime,
  COMMENT_TYPES, badge,
} from './ui.js';
import { t } from './i18n.js';

const FLAG_REASONS = [
  ['SPAM', t('comment.flagReason.SPAM')],
  ['ABUSIVE', t('comment.flagReason.ABUSIVE')],
  ['OFF_TOPIC', t('comment.flagReason.OFF_TOPIC')],
  ['PERSONAL_DATA', t('comment.flagReason.PERSONAL_DATA')],
  ['OTHER', t('comment.flagReason.OTHER')],
];

export function typeSelect(selected = 'GENERAL', extra = {}) {
  return h('select', { name: 'type', ...extra },
    COMMENT_TYPES.map(([value, label, hint]) =>
      h('option', { value, selected: value === selected, text: t('comment.typeOption', { label, hint }) })));
}

/**
 * The secretariat's answer, when there is one and the reader may see it:
 * everyone once the round's record is published, the secretariat always.
 */
export function dispositionBlock(comment, { published, isSecretariat }) {
  const d = comment.disposition;
  if (!d || !d.outcome || d.outcome === 'OUTCOME_UNSPECIFIED') return null;
  if (!published && !isSecretariat) return null;
  return h('section', { class: `disposition outcome-${d.outcome.toLowerCase()}`, 'data-testid': 'disposition' },
    h('h4', {},
      t('comment.response'),
      h('span', { class: 'outcome', 'data-testid': 'disposition-outcome', text: outcomeLabel(d.outcome) }),
      !published ? badge(t('comment.notYetPublished'), 'draft') : null),
    d.response ? markdownBlock(d.response, 'prose disposition-response') : null,
    d.setTime ? h('p', { class: 'muted small', text: formatDateTime(d.setTime) }) : null);
}

/**
 * A write's answer with the caller's own marks carried over from what the
 * page had: the answers of FlagComment, UpdateComment, WithdrawComment and
 * the moderation methods leave endorsed_by_caller unset, and that of
 * EndorseComment flagged_by_caller (see the API notes in README.md).
 */
function carryCallerMarks(updated, previous, { endorsed = true, flagged = true } = {}) {
  return {
    ...updated,
    endorsedByCaller: endorsed ? !!previous.endorsedByCaller : !!updated.endorsedByCaller,
    flaggedByCaller: flagged ? !!previous.flaggedByCaller : !!updated.flaggedByCaller,
  };
}

/**
 * A comment card. opts:
 *   me, isSecretariat, mayComment (the caller may write in the section now),
 *   mayModerate (hide and restore; default: isSecretariat, and facilitators
 *   in their space), accepting (the round takes comments), published (its
 *   round's record), plain (a community post: no type, proposed change or
 *   disposition), isReply, parentAuthor, readOnly,
 *   onChange(comment) after an edit, endorsement, withdrawal, moderation,
 *   onReply(reply) after a reply was posted,
 *   onQuote(comment) when its quoted passage is activated,
 *   extra: nodes appended at the end (the disposition form, say).
 */
export function commentCard(c, opts = {}) {
  const id = idOf(c.name);
  const own = c.author === opts.me;
  const visible = c.state === 'VISIBLE';
  const moderator = opts.mayModerate ?? opts.isSecretariat;
  const forms = h('div', { class: 'comment-forms' });
  const card = h('article', {
    class: ['comment', `state-${(c.state || '').toLowerCase()}`, opts.isReply && 'reply', own && 'own'],
    id: `comment-${id}`,
    tabindex: '-1',
    'data-testid': opts.isReply ? 'reply' : 'comment',
    'data-name': c.name,
    'data-state': c.state,
    'aria-label': t('comment.label', { reply: opts.isReply, name: c.authorDisplayName || t('comment.aMember') }),
  });

  const head = h('header', { class: 'comment-head' },
    h('span', { class: 'author' },
      h('strong', { text: c.authorDisplayName || t('comment.aMemberCap') }),
      own ? h('span', { class: 'muted', text: t('comment.you') }) : null),
    h('span', { class: 'org', text: [c.authorOrganisation, countryName(c.authorCountry)].filter(Boolean).join(' · ') }),
    h('span', { class: 'comment-tags' },
      opts.plain ? null : badge(commentTypeLabel(c.type), `type-${(c.type || 'general').toLowerCase()}`),
      opts.currentRound && c.round && c.round !== opts.currentRound ? badge(t('comment.round', { n: c.round }), 'draft') : null,
      h('time', { datetime: c.createTime, title: formatDateTime(c.createTime), text: relativeTime(c.createTime) }),
      (c.version || 1) > 1 && c.state !== 'WITHDRAWN'
        ? h('button', {
          type: 'button', class: 'link-button muted', title: t('comment.editedTitle', { time: formatDateTime(c.updateTime) }),
          'aria-expanded': 'false', 'data-testid': 'revisions',
          onclick: (event) => toggleRevisions(event.currentTarget, c, forms),
        }, t('comment.edited'))
        : null));

  const parts = [head];
  if (opts.isReply && opts.parentAuthor) {
    parts.push(h('p', { class: 'muted small', text: t('comment.inReplyTo', { name: opts.parentAuthor }) }));
  }
  if (c.state === 'HIDDEN') {
    parts.push(h('p', { class: 'notice notice-warning small', 'data-testid': 'hidden-note' },
      t('comment.hiddenByModerator'), c.moderationReason ? `: ${c.moderationReason}` : '', t('comment.hiddenNoteEnd')));
  }
  if (c.state === 'WITHDRAWN') {
    parts.push(h('p', { class: 'muted withdrawn-note', 'data-testid': 'withdrawn-note', text: moderator ? t('comment.withdrawnSecretariat') : t('comment.withdrawn') }));
  }
  if (c.anchor && c.anchor.exact && !opts.isReply) {
    parts.push(h('blockquote', { class: 'comment-quote' },
      opts.onQuote
        ? h('button', {
          type: 'button', class: 'quote-link', 'data-testid': 'comment-quote',
          title: t('comment.showPassage'),
          onclick: () => opts.onQuote(c),
        }, h('span', { class: 'visually-hidden', text: t('comment.quoted') }), c.anchor.exact)
        : h('span', { 'data-testid': 'comment-quote' }, c.anchor.exact)));
  }
  if (c.body) parts.push(markdownBlock(c.body, 'prose comment-body'));
  if (c.proposedChange) {
    parts.push(h('div', { class: 'proposed-change', 'data-testid': 'proposed-change' },
      h('h4', { text: t('comment.proposedChange') }),
      markdownBlock(c.proposedChange, 'prose')));
  }
  const disposition = opts.plain ? null : dispositionBlock(c, opts);
  if (disposition) parts.push(disposition);
  if (moderator && c.flagCount) {
    parts.push(h('p', { class: 'notice notice-warning small', text: t('comment.openFlags', { n: c.flagCount }) }));
  }

  // ---- actions ----
  const actions = h('div', { class: 'comment-actions' });
  const endorsements = c.endorsementCount || 0;
  const canEndorse = !opts.readOnly && !own && visible && opts.accepting && opts.mayAct;
  if (canEndorse) {
    actions.append(h('button', {
      type: 'button', class: 'button small ghost', 'aria-pressed': String(!!c.endorsedByCaller),
      'data-testid': 'endorse',
      title: c.endorsedByCaller ? t('comment.unendorse') : t('comment.endorseThis'),
      onclick: (event) => withButton(event.currentTarget, async () => {
        const answer = await post(c.name, {}, { verb: c.endorsedByCaller ? 'unendorse' : 'endorse' });
        const updated = carryCallerMarks(answer, c, { endorsed: false });
        announce(updated.endorsedByCaller ? t('comment.youEndorse') : t('comment.endorsementWithdrawn'));
        opts.onChange && opts.onChange(updated);
      }),
    }, c.endorsedByCaller ? t('comment.endorsed') : t('comment.endorse'), h('span', { class: 'count', 'data-testid': 'endorsement-count', text: ` · ${endorsements}` })));
  } else if (endorsements) {
    actions.append(h('span', { class: 'muted small', 'data-testid': 'endorsement-count', text: t('comment.endorsements', { n: endorsements }) }));
  }
  const openForm = (form, focus) => {
    forms.replaceChildren(form);
    if (focus) focus.focus();
  };
  if (!opts.readOnly && opts.mayComment && visible) {
    actions.append(h('button', {
      type: 'button', class: 'button small ghost', text: t('comment.reply'), 'data-testid': 'reply-button',
      onclick: () => {
        const { form, focus } = replyForm(c, opts, () => forms.replaceChildren());
        openForm(form, focus);
      },
    }));
  }
  if (!opts.readOnly && own && visible && opts.mayComment) {
    actions.append(
      h('button', {
        type: 'button', class: 'button small ghost', text: t('comment.edit'), 'data-testid': 'edit',
        onclick: () => {
          const { form, focus } = editForm(c, opts, () => forms.replaceChildren());
          openForm(form, focus);
        },
      }),
      h('button', {
        type: 'button', class: 'button small ghost danger-text', text: t('comment.withdraw'), 'data-testid': 'withdraw',
        onclick: async (event) => {
          const button = event.currentTarget;
          const ok = await confirmDialog({
            title: t('comment.withdrawTitle'),
            message: t('comment.withdrawMessage'),
            confirmLabel: t('comment.withdraw'), danger: true, testid: 'withdraw-dialog',
          });
          if (!ok) return;
          await withButton(button, async () => {
            const updated = await post(c.name, { etag: c.etag }, { verb: 'withdraw' });
            toast(t('comment.withdrawnToast'), 'success');
            opts.onChange && opts.onChange(carryCallerMarks(updated, c));
          });
        },
      }));
  }
  if (!opts.readOnly && !own && c.state !== 'WITHDRAWN' && opts.mayAct) {
    if (c.flaggedByCaller) {
      actions.append(h('span', { class: 'muted small', text: t('comment.youFlagged') }));
    } else {
      actions.append(h('button', {
        type: 'button', class: 'button small ghost', text: t('comment.flag'), 'data-testid': 'flag',
        title: t('comment.flagTitle'),
        onclick: () => {
          const { form, focus } = flagForm(c, opts, () => forms.replaceChildren());
          openForm(form, focus);
        },
      }));
    }
  }
  if (!opts.readOnly && !opts.isReply && opts.follow !== false && c.state !== 'WITHDRAWN') {
    actions.append(followButton(c.thread || c.name, 'thread', { testid: 'follow-thread' }));
  }
  if (moderator && !opts.readOnly) {
    if (visible) {
      actions.append(moderationButton(c, opts, 'hide', t('comment.hide'), t('comment.hideTitle'),
        t('comment.hideMessage')));
    }
    if (c.state === 'HIDDEN' || (visible && c.flagCount)) {
      actions.append(moderationButton(c, opts, 'restore', c.state === 'HIDDEN' ? t('comment.restore') : t('comment.dismissFlags'),
        c.state === 'HIDDEN' ? t('comment.restoreTitle') : t('comment.dismissTitle'),
        c.state === 'HIDDEN' ? t('comment.restoreMessage') : t('comment.dismissMessage')));
    }
  }
  if (opts.actionsExtra) actions.append(...opts.actionsExtra);
  parts.push(actions, forms);
  if (opts.extra) parts.push(...opts.extra);
  card.append(...parts.filter(Boolean));
  return card;
}

/**
 * The threads of a target as list items of an <ol class="threads">: each
 * root's card with its replies beneath (a reply to a reply names whom it
 * answers). `roots` are the comments shown as roots, in order; replies come
 * from `comments` by their thread; cardOpts(c, isReply, parentAuthor) gives
 * each card's options; `empty` is the text shown without any root.
 */
export function threadItems(comments, roots, cardOpts, empty) {
  if (!roots.length) return [h('li', { class: 'muted empty', text: empty })];
  const byName = new Map(comments.map((c) => [c.name, c]));
  return roots.map((root) => {
    const replies = comments.filter((c) => c !== root && c.thread === root.name);
    return h('li', { class: 'thread' },
      commentCard(root, cardOpts(root, false, '')),
      replies.length
        ? h('ol', { class: 'replies', 'aria-label': t('reader.repliesTo', { name: root.authorDisplayName || t('reader.thisComment') }) },
          replies.map((r) => {
            const parent = byName.get(r.parent);
            const parentAuthor = r.parent !== root.name && parent ? parent.authorDisplayName : '';
            return h('li', {}, commentCard(r, cardOpts(r, true, parentAuthor)));
          }))
        : null);
  });
}

/** Roots of a target's comments: no parent, or a parent not among them. */
export function threadRoots(comments) {
  const names = new Set(comments.map((c) => c.name));
  return comments.filter((c) => !c.parent || !names.has(c.thread || c.parent));
}

async function toggleRevisions(button, c, forms) {
  if (button.getAttribute('aria-expanded') === 'true') {
    forms.replaceChildren();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  await withButton(button, async () => {
    const revisions = await listAll(`${c.name}/revisions`, {}, 'revisions', { max: 200 });
    forms.replaceChildren(h('section', { class: 'inline-form revisions', 'aria-label': t('comment.earlierVersions'), 'data-testid': 'revision-list' },
      h('h4', { text: t('comment.versionsOf', { n: revisions.length }) }),
      h('ol', { class: 'plain-list' }, revisions.map((r) => h('li', { class: 'revision' },
        h('p', { class: 'muted small' }, t('comment.version', { n: r.version, type: commentTypeLabel(r.type), time: formatDateTime(r.createTime) })),
        markdownBlock(r.body || '', 'prose'),
        r.proposedChange ? h('div', { class: 'proposed-change' }, h('h4', { text: t('comment.proposedChange') }), markdownBlock(r.proposedChange, 'prose')) : null)))));
    button.setAttribute('aria-expanded', 'true');
  });
}

function moderationButton(c, opts, verb, label, title, message) {
  return h('button', {
    type: 'button', class: ['button small ghost', verb === 'hide' && 'danger-text'], text: label, 'data-testid': verb,
    onclick: async (event) => {
      const button = event.currentTarget;
      const reason = await confirmDialog({
        title, message, confirmLabel: label, danger: verb === 'hide', testid: `${verb}-dialog`,
        input: { label: t('comment.reason'), required: true, multiline: true },
      });
      if (!reason) return;
      await withButton(button, async () => {
        const updated = await post(c.name, { reason }, { verb });
        toast(verb === 'hide' ? t('comment.hidden') : t('comment.visible'), 'success');
        opts.onChange && opts.onChange(carryCallerMarks(updated, c));
      });
    },
  });
}

function replyForm(parent, opts, close) {
  const body = h('textarea', { name: 'body', rows: 3, required: true, maxlength: 10000, 'data-testid': 'reply-body' });
  let rid = requestId();
  const form = h('form', { class: 'inline-form', 'data-testid': 'reply-form', novalidate: true },
    field(t('comment.replyTo', { name: parent.authorDisplayName || t('comment.thisComment') }), body, { field: 'comment.body' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: t('comment.postReply'), 'data-testid': 'reply-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: t('comment.cancel'), onclick: close })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!body.value.trim()) {
      body.setAttribute('aria-invalid', 'true');
      body.focus();
      return;
    }
    const reply = await submitting(form, () =>
      post('comments', { parent: parent.name, body: body.value.trim() }, { query: { request_id: rid } }));
    if (!reply) return;
    rid = requestId();
    toast(t('comment.replyPosted'), 'success');
    close();
    opts.onReply && opts.onReply(reply);
  });
  return { form, focus: body };
}

function editForm(c, opts, close) {
  // A community post has a body only: its type stays GENERAL.
  const type = typeSelect(c.type || 'GENERAL', { 'data-testid': 'edit-type' });
  const body = h('textarea', { name: 'body', rows: 5, required: true, maxlength: 10000, value: c.body || '', 'data-testid': 'edit-body' });
  const proposed = h('textarea', { name: 'proposedChange', rows: 3, maxlength: 10000, value: c.proposedChange || '', 'data-testid': 'edit-proposed-change' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'edit-form', novalidate: true },
    opts.plain ? null : field(t('comment.type'), type, { field: 'comment.type' }),
    field(opts.plain ? t('comment.post') : t('comment.comment'), body, { field: 'comment.body' }),
    opts.plain ? null : field(t('comment.proposedChange'), proposed, { field: 'comment.proposed_change', optional: true }),
    h('p', { class: 'hint', text: t('comment.versionsKept') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: t('comment.save'), 'data-testid': 'edit-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: t('comment.cancel'), onclick: close })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = { type: type.value, body: body.value.trim(), proposedChange: proposed.value.trim() };
    const mask = [];
    if (values.type !== (c.type || 'GENERAL')) mask.push('type');
    if (values.body !== (c.body || '')) mask.push('body');
    if (values.proposedChange !== (c.proposedChange || '')) mask.push('proposed_change');
    if (!mask.length) {
      close();
      return;
    }
    const updated = await submitting(form, () =>
      patch(c.name, { name: c.name, etag: c.etag, ...values }, { update_mask: mask.join(',') }));
    if (!updated) return;
    toast(t('comment.updated'), 'success');
    close();
    opts.onChange && opts.onChange(carryCallerMarks(updated, c));
  });
  return { form, focus: body };
}

function flagForm(c, opts, close) {
  const reason = h('select', { name: 'flagReason', required: true, 'data-testid': 'flag-reason' },
    FLAG_REASONS.map(([value, label]) => h('option', { value, text: label })));
  const text = h('textarea', { name: 'reason', rows: 2, maxlength: 1000, 'data-testid': 'flag-text' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'flag-form', novalidate: true },
    h('p', { class: 'hint', text: t('comment.flagHint') }),
    field(t('comment.why'), reason, { field: 'flag_reason' }),
    field(t('comment.details'), text, { field: 'reason', optional: true }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: t('comment.sendModerators'), 'data-testid': 'flag-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: t('comment.cancel'), onclick: close })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const updated = await submitting(form, () =>
      post(c.name, { flagReason: reason.value, reason: text.value.trim() }, { verb: 'flag' }));
    if (!updated) return;
    toast(t('comment.flagged'), 'success');
    close();
    opts.onChange && opts.onChange(carryCallerMarks(updated, c, { flagged: false }));
  });
  return { form, focus: reason };
}
