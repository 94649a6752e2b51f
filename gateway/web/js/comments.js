// A comment as a card, with what its reader may do to it: reply, endorse,
// edit and withdraw (its author, while the round is open), flag, follow the
// thread, and for the secretariat hide or restore. Used by the reader, the
// moderation queue and the disposition workflow.

import { post, patch, requestId, listAll } from './api.js';
import { markdownBlock } from './markdown.js';
import { followButton } from './notifications.js';
import {
  h, idOf, field, submitting, withButton, confirmDialog, toast, announce,
  commentTypeLabel, outcomeLabel, countryName, relativeTime, formatDateTime,
  COMMENT_TYPES, badge,
} from './ui.js';

const FLAG_REASONS = [
  ['SPAM', 'Spam or advertising'],
  ['ABUSIVE', 'Abusive, insulting or hateful'],
  ['OFF_TOPIC', 'Not about this section'],
  ['PERSONAL_DATA', "Exposes someone's personal data"],
  ['OTHER', 'Something else (please explain)'],
];

export function typeSelect(selected = 'GENERAL', extra = {}) {
  return h('select', { name: 'type', ...extra },
    COMMENT_TYPES.map(([value, label, hint]) =>
      h('option', { value, selected: value === selected, text: `${label} — ${hint}` })));
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
      'Response of the secretariat: ',
      h('span', { class: 'outcome', 'data-testid': 'disposition-outcome', text: outcomeLabel(d.outcome) }),
      !published ? badge('not yet published', 'draft') : null),
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
 *   accepting (the round takes comments), published (its round's record),
 *   isReply, parentAuthor, readOnly,
 *   onChange(comment) after an edit, endorsement, withdrawal, moderation,
 *   onReply(reply) after a reply was posted,
 *   onQuote(comment) when its quoted passage is activated,
 *   extra: nodes appended at the end (the disposition form, say).
 */
export function commentCard(c, opts = {}) {
  const id = idOf(c.name);
  const own = c.author === opts.me;
  const visible = c.state === 'VISIBLE';
  const forms = h('div', { class: 'comment-forms' });
  const card = h('article', {
    class: ['comment', `state-${(c.state || '').toLowerCase()}`, opts.isReply && 'reply', own && 'own'],
    id: `comment-${id}`,
    tabindex: '-1',
    'data-testid': opts.isReply ? 'reply' : 'comment',
    'data-name': c.name,
    'data-state': c.state,
    'aria-label': `${opts.isReply ? 'Reply' : 'Comment'} by ${c.authorDisplayName || 'a member'}`,
  });

  const head = h('header', { class: 'comment-head' },
    h('span', { class: 'author' },
      h('strong', { text: c.authorDisplayName || 'A member' }),
      own ? h('span', { class: 'muted', text: ' (you)' }) : null),
    h('span', { class: 'org', text: [c.authorOrganisation, countryName(c.authorCountry)].filter(Boolean).join(' · ') }),
    h('span', { class: 'comment-tags' },
      badge(commentTypeLabel(c.type), `type-${(c.type || 'general').toLowerCase()}`),
      opts.currentRound && c.round && c.round !== opts.currentRound ? badge(`round ${c.round}`, 'draft') : null,
      h('time', { datetime: c.createTime, title: formatDateTime(c.createTime), text: relativeTime(c.createTime) }),
      (c.version || 1) > 1 && c.state !== 'WITHDRAWN'
        ? h('button', {
          type: 'button', class: 'link-button muted', title: `Edited ${formatDateTime(c.updateTime)}: show the earlier versions`,
          'aria-expanded': 'false', 'data-testid': 'revisions',
          onclick: (event) => toggleRevisions(event.currentTarget, c, forms),
        }, 'edited')
        : null));

  const parts = [head];
  if (opts.isReply && opts.parentAuthor) {
    parts.push(h('p', { class: 'muted small', text: `In reply to ${opts.parentAuthor}` }));
  }
  if (c.state === 'HIDDEN') {
    parts.push(h('p', { class: 'notice notice-warning small', 'data-testid': 'hidden-note' },
      'Hidden by a moderator', c.moderationReason ? `: ${c.moderationReason}` : '', '. Only its author and the secretariat see it.'));
  }
  if (c.state === 'WITHDRAWN') {
    parts.push(h('p', { class: 'muted withdrawn-note', 'data-testid': 'withdrawn-note', text: opts.isSecretariat ? 'Withdrawn by its author (the secretariat still sees the text).' : 'Withdrawn by its author.' }));
  }
  if (c.anchor && c.anchor.exact && !opts.isReply) {
    parts.push(h('blockquote', { class: 'comment-quote' },
      opts.onQuote
        ? h('button', {
          type: 'button', class: 'quote-link', 'data-testid': 'comment-quote',
          title: 'Show this passage in the text',
          onclick: () => opts.onQuote(c),
        }, h('span', { class: 'visually-hidden', text: 'Quoted passage: ' }), c.anchor.exact)
        : h('span', { 'data-testid': 'comment-quote' }, c.anchor.exact)));
  }
  if (c.body) parts.push(markdownBlock(c.body, 'prose comment-body'));
  if (c.proposedChange) {
    parts.push(h('div', { class: 'proposed-change', 'data-testid': 'proposed-change' },
      h('h4', { text: 'Proposed change' }),
      markdownBlock(c.proposedChange, 'prose')));
  }
  const disposition = dispositionBlock(c, opts);
  if (disposition) parts.push(disposition);
  if (opts.isSecretariat && c.flagCount) {
    parts.push(h('p', { class: 'notice notice-warning small', text: `${c.flagCount} open ${c.flagCount === 1 ? 'flag' : 'flags'} from readers.` }));
  }

  // ---- actions ----
  const actions = h('div', { class: 'comment-actions' });
  const endorsements = c.endorsementCount || 0;
  const canEndorse = !opts.readOnly && !own && visible && opts.accepting && opts.mayAct;
  if (canEndorse) {
    actions.append(h('button', {
      type: 'button', class: 'button small ghost', 'aria-pressed': String(!!c.endorsedByCaller),
      'data-testid': 'endorse',
      title: c.endorsedByCaller ? 'Take your endorsement back' : 'Endorse this comment',
      onclick: (event) => withButton(event.currentTarget, async () => {
        const answer = await post(c.name, {}, { verb: c.endorsedByCaller ? 'unendorse' : 'endorse' });
        const updated = carryCallerMarks(answer, c, { endorsed: false });
        announce(updated.endorsedByCaller ? 'You endorse this comment.' : 'Your endorsement is withdrawn.');
        opts.onChange && opts.onChange(updated);
      }),
    }, c.endorsedByCaller ? 'Endorsed' : 'Endorse', h('span', { class: 'count', 'data-testid': 'endorsement-count', text: ` · ${endorsements}` })));
  } else if (endorsements) {
    actions.append(h('span', { class: 'muted small', 'data-testid': 'endorsement-count', text: `${endorsements} ${endorsements === 1 ? 'endorsement' : 'endorsements'}` }));
  }
  const openForm = (form, focus) => {
    forms.replaceChildren(form);
    if (focus) focus.focus();
  };
  if (!opts.readOnly && opts.mayComment && visible) {
    actions.append(h('button', {
      type: 'button', class: 'button small ghost', text: 'Reply', 'data-testid': 'reply-button',
      onclick: () => {
        const { form, focus } = replyForm(c, opts, () => forms.replaceChildren());
        openForm(form, focus);
      },
    }));
  }
  if (!opts.readOnly && own && visible && opts.mayComment) {
    actions.append(
      h('button', {
        type: 'button', class: 'button small ghost', text: 'Edit', 'data-testid': 'edit',
        onclick: () => {
          const { form, focus } = editForm(c, opts, () => forms.replaceChildren());
          openForm(form, focus);
        },
      }),
      h('button', {
        type: 'button', class: 'button small ghost danger-text', text: 'Withdraw', 'data-testid': 'withdraw',
        onclick: async (event) => {
          const button = event.currentTarget;
          const ok = await confirmDialog({
            title: 'Withdraw this comment?',
            message: 'It stays in the thread as "withdrawn", without its text. This cannot be undone.',
            confirmLabel: 'Withdraw', danger: true, testid: 'withdraw-dialog',
          });
          if (!ok) return;
          await withButton(button, async () => {
            const updated = await post(c.name, { etag: c.etag }, { verb: 'withdraw' });
            toast('Your comment is withdrawn.', 'success');
            opts.onChange && opts.onChange(carryCallerMarks(updated, c));
          });
        },
      }));
  }
  if (!opts.readOnly && !own && c.state !== 'WITHDRAWN' && opts.mayAct) {
    if (c.flaggedByCaller) {
      actions.append(h('span', { class: 'muted small', text: 'You flagged this' }));
    } else {
      actions.append(h('button', {
        type: 'button', class: 'button small ghost', text: 'Flag', 'data-testid': 'flag',
        title: 'Tell the moderators about a problem with this comment',
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
  if (opts.isSecretariat && !opts.readOnly) {
    if (visible) {
      actions.append(moderationButton(c, opts, 'hide', 'Hide', 'Hide this comment?',
        'Readers will no longer see it; its author is told why.'));
    }
    if (c.state === 'HIDDEN' || (visible && c.flagCount)) {
      actions.append(moderationButton(c, opts, 'restore', c.state === 'HIDDEN' ? 'Restore' : 'Dismiss flags',
        c.state === 'HIDDEN' ? 'Restore this comment?' : 'Dismiss the flags?',
        c.state === 'HIDDEN' ? 'It becomes visible to every reader again.' : 'The comment stays visible and its flags are resolved.'));
    }
  }
  if (opts.actionsExtra) actions.append(...opts.actionsExtra);
  parts.push(actions, forms);
  if (opts.extra) parts.push(...opts.extra);
  card.append(...parts.filter(Boolean));
  return card;
}

async function toggleRevisions(button, c, forms) {
  if (button.getAttribute('aria-expanded') === 'true') {
    forms.replaceChildren();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  await withButton(button, async () => {
    const revisions = await listAll(`${c.name}/revisions`, {}, 'revisions', { max: 200 });
    forms.replaceChildren(h('section', { class: 'inline-form revisions', 'aria-label': 'Earlier versions', 'data-testid': 'revision-list' },
      h('h4', { text: `Versions of this comment (${revisions.length})` }),
      h('ol', { class: 'plain-list' }, revisions.map((r) => h('li', { class: 'revision' },
        h('p', { class: 'muted small' }, `Version ${r.version} · ${commentTypeLabel(r.type)} · ${formatDateTime(r.createTime)}`),
        markdownBlock(r.body || '', 'prose'),
        r.proposedChange ? h('div', { class: 'proposed-change' }, h('h4', { text: 'Proposed change' }), markdownBlock(r.proposedChange, 'prose')) : null)))));
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
        input: { label: 'Reason (shown to the author)', required: true, multiline: true },
      });
      if (!reason) return;
      await withButton(button, async () => {
        const updated = await post(c.name, { reason }, { verb });
        toast(verb === 'hide' ? 'The comment is hidden.' : 'Done: the comment is visible.', 'success');
        opts.onChange && opts.onChange(carryCallerMarks(updated, c));
      });
    },
  });
}

function replyForm(parent, opts, close) {
  const body = h('textarea', { name: 'body', rows: 3, required: true, maxlength: 10000, 'data-testid': 'reply-body' });
  let rid = requestId();
  const form = h('form', { class: 'inline-form', 'data-testid': 'reply-form', novalidate: true },
    field(`Reply to ${parent.authorDisplayName || 'this comment'}`, body, { field: 'comment.body' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: 'Post reply', 'data-testid': 'reply-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: 'Cancel', onclick: close })));
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
    toast('Your reply is posted.', 'success');
    close();
    opts.onReply && opts.onReply(reply);
  });
  return { form, focus: body };
}

function editForm(c, opts, close) {
  const type = typeSelect(c.type || 'GENERAL', { 'data-testid': 'edit-type' });
  const body = h('textarea', { name: 'body', rows: 5, required: true, maxlength: 10000, value: c.body || '', 'data-testid': 'edit-body' });
  const proposed = h('textarea', { name: 'proposedChange', rows: 3, maxlength: 10000, value: c.proposedChange || '', 'data-testid': 'edit-proposed-change' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'edit-form', novalidate: true },
    field('Type', type, { field: 'comment.type' }),
    field('Comment', body, { field: 'comment.body' }),
    field('Proposed change', proposed, { field: 'comment.proposed_change', optional: true }),
    h('p', { class: 'hint', text: 'Earlier versions are kept.' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: 'Save changes', 'data-testid': 'edit-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: 'Cancel', onclick: close })));
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
    toast('Your comment is updated.', 'success');
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
    h('p', { class: 'hint', text: 'The moderators of the secretariat will review it. The author is not told who flagged it.' }),
    field('Why?', reason, { field: 'flag_reason' }),
    field('Details', text, { field: 'reason', optional: true }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: 'Send to the moderators', 'data-testid': 'flag-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: 'Cancel', onclick: close })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const updated = await submitting(form, () =>
      post(c.name, { flagReason: reason.value, reason: text.value.trim() }, { verb: 'flag' }));
    if (!updated) return;
    toast('Thank you: the moderators will look at it.', 'success');
    close();
    opts.onChange && opts.onChange(carryCallerMarks(updated, c, { flagged: false }));
  });
  return { form, focus: reason };
}
