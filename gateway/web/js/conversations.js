// Private conversations: the caller's conversations (latest activity
// first, unread marked), starting one with members picked from the
// directory, a conversation's messages (comments with the conversation as
// target, through discussion.js), leaving it, and blocking members (with
// the list of blocked members to unblock them). A conversation exists only
// for its participants: anyone else gets "not found".

import { get, post, del, listAll, requestId } from './api.js';
import { session } from './session.js';
import { discussion, targetAccess } from './discussion.js';
import { communityTabs, memberDirectory, memberName, multiPicker, memberPickerOptions } from './community-ui.js';
import {
  h, replace, idOf, field, submitting, withButton, toast, announce, notice,
  pageTitle, badge, timeEl, relativeTime, confirmDialog,
} from './ui.js';
import { t } from './i18n.js';

const conversationHref = (c) => `#/messages/${idOf(c.name || c)}`;

/** "Amina, Jo and 2 others" for the participants other than the caller. */
function othersText(dir, participants) {
  const others = (participants || []).filter((p) => p !== session.member).map((p) => memberName(dir, p));
  if (!others.length) return t('messages.nobodyElse');
  if (others.length <= 3) return others.join(', ');
  return t('messages.andOthers', { names: others.slice(0, 2).join(', '), n: others.length - 2 });
}

export async function conversationsView(ctx) {
  ctx.title(t('messages.title'));
  const [conversations, dir] = await Promise.all([
    listAll('conversations', {}, 'conversations', { signal: ctx.signal, max: 1000 }),
    memberDirectory({ signal: ctx.signal }).catch(() => new Map()),
  ]);
  const list = h('ul', { class: 'conversation-list', 'data-testid': 'conversation-list' },
    conversations.length ? conversations.map((c) => h('li', {
      class: ['conversation-row', c.hasUnread && 'unread'], 'data-testid': 'conversation-row', 'data-name': c.name,
    },
    h('a', { href: conversationHref(c), 'data-testid': 'conversation-link' },
      h('strong', { text: c.subject || othersText(dir, c.participants) }),
      c.hasUnread ? badge(t('topic.new'), 'new', { 'data-testid': 'conversation-new' }) : null),
    h('p', { class: 'muted small' },
      c.subject ? [othersText(dir, c.participants), ' · '] : null,
      t('messages.count', { n: c.messageCount || 0 }), ' · ',
      relativeTime(c.lastActivityTime || c.createTime))))
      : h('li', { class: 'muted empty', text: t('messages.none') }));
  ctx.render(
    communityTabs('messages'),
    h('div', { class: 'page-head' },
      pageTitle(t('messages.title')),
      h('div', { class: 'toolbar' },
        h('a', { class: 'button primary', href: '#/messages/new', text: t('messages.new'), 'data-testid': 'new-conversation' }),
        h('a', { class: 'button secondary', href: '#/messages/blocked', text: t('messages.blocked'), 'data-testid': 'blocked-link' }))),
    h('p', { class: 'hint', text: t('messages.privacy') }),
    list);
}

export async function newConversationView(ctx) {
  ctx.title(t('messages.new'));
  const dir = await memberDirectory({ signal: ctx.signal });
  const preset = ctx.query.get('to') ? [ctx.query.get('to')] : [];
  const picker = multiPicker({
    legend: t('messages.to'), hint: t('messages.toHint'), testid: 'participants', needQuery: true,
    options: memberPickerOptions(dir), selected: preset, required: true, field: 'conversation.participants', max: 19,
  });
  const subject = h('input', { type: 'text', maxlength: 200, 'data-testid': 'conversation-subject' });
  const body = h('textarea', { rows: 5, maxlength: 10000, required: true, 'data-testid': 'conversation-body' });
  let rid = requestId();
  let messageRid = requestId();
  let created = null;
  const form = h('form', { class: 'form', 'data-testid': 'conversation-form', novalidate: true },
    picker.element,
    field(t('messages.subject'), subject, { field: 'conversation.subject', optional: true }),
    field(t('messages.firstMessage'), body, { field: 'comment.body', hint: t('discussion.bodyHint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('messages.send'), 'data-testid': 'conversation-submit' }),
      h('a', { class: 'button secondary', href: '#/messages', text: t('common.cancel') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!body.value.trim()) {
      body.setAttribute('aria-invalid', 'true');
      body.focus();
      return;
    }
    // Two calls: the conversation, then its first message. A retry after a
    // failed message reuses the conversation made (and each request id).
    const done = await submitting(form, async () => {
      if (!created) {
        created = await post('conversations', {
          participants: [session.member, ...picker.values()], subject: subject.value.trim(),
        }, { query: { request_id: rid } });
      }
      return post('comments', { target: created.name, body: body.value.trim() }, { query: { request_id: messageRid } });
    });
    if (!done) return;
    rid = requestId();
    messageRid = requestId();
    toast(t('messages.sent'), 'success');
    ctx.navigate(conversationHref(created));
  });
  ctx.render(
    communityTabs('messages'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/messages', text: t('messages.title') })),
    pageTitle(t('messages.new')),
    h('p', { class: 'hint', text: t('messages.privacy') }),
    form);
}

export async function conversationView(ctx) {
  const name = `conversations/${ctx.params.id}`;
  const { signal } = ctx;
  const [conversation, access, dir, blocked] = await Promise.all([
    get(name, undefined, { signal }),
    targetAccess(name, { signal }),
    memberDirectory({ signal }).catch(() => new Map()),
    listAll('blockedMembers', {}, 'blockedMembers', { signal, max: 1000 }).catch(() => []),
  ]);
  const title = conversation.subject || othersText(dir, conversation.participants);
  ctx.title(title);
  const blockedSet = new Set(blocked.map((b) => b.member));
  const markRead = () => post(name, {}, { verb: 'markRead' }).catch(() => {});

  const participants = h('ul', { class: 'participants', 'data-testid': 'participants' },
    (conversation.participants || []).map((p) => {
      const me = p === session.member;
      const isBlocked = blockedSet.has(p);
      return h('li', { 'data-testid': 'participant', 'data-member': p },
        h('span', { text: memberName(dir, p) }),
        me ? h('span', { class: 'muted', text: ` ${t('comment.you')}` }) : null,
        isBlocked ? [' ', badge(t('messages.blockedBadge'), 'closed')] : null,
        me ? null : blockButton(p, memberName(dir, p), isBlocked, () => ctx.refresh()));
    }));
  const leave = h('button', {
    type: 'button', class: 'button small ghost danger-text', text: t('messages.leave'), 'data-testid': 'leave-conversation',
    onclick: async (event) => {
      const button = event.currentTarget;
      const ok = await confirmDialog({
        title: t('messages.leaveTitle'), message: t('messages.leaveMessage'), confirmLabel: t('messages.leave'),
        danger: true, testid: 'leave-conversation-dialog',
      });
      if (!ok) return;
      await withButton(button, async () => {
        await post(name, {}, { verb: 'leave' });
        toast(t('messages.left'), 'success');
        ctx.navigate('#/messages');
      });
    },
  });
  const messages = await discussion(name, {
    access, signal, ctx,
    heading: t('messages.messages'),
    composerLabel: t('messages.yourMessage'),
    submitLabel: t('messages.send'),
    emptyText: t('messages.empty'),
    follow: false,
    focus: ctx.query.get('comment'),
    onActivity: markRead,
  });
  ctx.render(
    communityTabs('messages'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/messages', text: t('messages.title') })),
    h('div', { class: 'page-head' },
      pageTitle(title, { 'data-testid': 'conversation-title' }),
      h('div', { class: 'toolbar' }, leave)),
    h('section', { class: 'card', 'aria-labelledby': 'participants-heading' },
      h('h2', { id: 'participants-heading', class: 'h3', text: t('messages.participants') }),
      participants,
      h('p', { class: 'hint', text: t('messages.privacy') })),
    messages.element);
  markRead();
}

/** Blocks or unblocks a member (with a confirmation to block). */
function blockButton(member, displayName, isBlocked, onChange) {
  if (isBlocked) {
    return h('button', {
      type: 'button', class: 'button small ghost', text: t('messages.unblock'), 'data-testid': 'unblock',
      onclick: (event) => withButton(event.currentTarget, async () => {
        await del(`blockedMembers/${member}`);
        toast(t('messages.unblocked', { name: displayName }), 'success');
        onChange();
      }),
    });
  }
  return h('button', {
    type: 'button', class: 'button small ghost danger-text', text: t('messages.block'), 'data-testid': 'block',
    onclick: async (event) => {
      const button = event.currentTarget;
      const ok = await confirmDialog({
        title: t('messages.blockTitle', { name: displayName }), message: t('messages.blockMessage'),
        confirmLabel: t('messages.block'), danger: true, testid: 'block-dialog',
      });
      if (!ok) return;
      await withButton(button, async () => {
        await post('blockedMembers', { member });
        toast(t('messages.blockedToast', { name: displayName }), 'success');
        onChange();
      });
    },
  });
}

export async function blockedView(ctx) {
  ctx.title(t('messages.blocked'));
  let blocked = await listAll('blockedMembers', {}, 'blockedMembers', { signal: ctx.signal, max: 1000 });
  const list = h('ul', { class: 'card-list', 'data-testid': 'blocked-list' });
  const render = () => replace(list, blocked.length ? blocked.map((b) => h('li', { class: 'card row', 'data-testid': 'blocked-member', 'data-member': b.member },
    h('div', {},
      h('strong', { text: b.displayName || idOf(b.member) }),
      h('p', { class: 'muted small' }, t('messages.blockedSince'), ' ', timeEl(b.createTime))),
    h('button', {
      type: 'button', class: 'button small secondary', text: t('messages.unblock'), 'data-testid': 'unblock',
      onclick: (event) => withButton(event.currentTarget, async () => {
        await del(`blockedMembers/${b.member}`);
        blocked = blocked.filter((x) => x.member !== b.member);
        render();
        announce(t('messages.unblocked', { name: b.displayName || idOf(b.member) }));
      }),
    }))) : h('li', { class: 'muted', text: t('messages.noneBlocked') }));
  render();
  ctx.render(
    communityTabs('messages'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/messages', text: t('messages.title') })),
    pageTitle(t('messages.blocked')),
    notice(t('messages.blockedHint'), 'info'),
    list);
}
