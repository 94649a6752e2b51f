// The posts on a community target (a topic, a conversation, a resource):
// comments in cdc-comments whose target is that resource name, shown and
// written with the same cards and threads as the comments on a draft
// section (comments.js), and a composer for a new post. What the caller
// may do comes from CommunityService.CheckTargetAccess (may_post,
// may_moderate, and why not). New posts arrive through the live
// notification stream: the thread is fetched again, unless the person is
// writing a reply or an edit in it (then a button offers the update).

import { get, post, listAll, requestId } from './api.js';
import { session } from './session.js';
import { threadItems, threadRoots } from './comments.js';
import {
  h, replace, idOf, field, submitting, toast, announce, notice, withButton,
  flash, prefersReducedMotion,
} from './ui.js';
import { t } from './i18n.js';

/** CheckTargetAccess for the caller; NOT_FOUND and the like are thrown. */
export function targetAccess(target, { signal } = {}) {
  return get('community:checkTargetAccess', { target }, { signal });
}

/** Why the caller may not post, in words. */
export function accessReason(access) {
  if (!access || access.mayPost) return '';
  return access.message || t(`access.${access.reason || 'REASON_UNSPECIFIED'}`);
}

/** The target a live notification is about (a comment's, or the conversation). */
export function notificationTarget(n) {
  const event = n && n.event;
  if (!event) return '';
  for (const value of Object.values(event)) {
    if (!value || typeof value !== 'object') continue;
    if (value.comment && value.comment.target) return value.comment.target;
    if (value.conversation) return value.conversation;
    if (value.topic) return value.topic;
  }
  return n.target || '';
}

/**
 * The discussion of `target`. Options: access (CheckTargetAccess), signal,
 * ctx (for cleanups), heading, composerLabel, submitLabel, emptyText,
 * follow (false: no thread follow buttons), focus (a comment id to show),
 * onActivity() after new posts were shown (to mark the target read).
 * Returns {element, reload}.
 */
export async function discussion(target, opts) {
  const { access, signal, ctx } = opts;
  let comments = await listAll('comments', { target }, 'comments', { signal });
  const mayPost = !!access.mayPost;
  const mayAct = ['ROLE_MEMBER', 'ROLE_SECRETARIAT', 'ROLE_PARTNER'].includes(session.role);
  const list = h('ol', { class: 'threads', 'data-testid': 'post-list' });
  const countEl = h('span', { class: 'muted', 'data-testid': 'post-count' });
  const activity = h('div', { class: 'activity', role: 'status', 'data-testid': 'new-activity' });

  const focusComment = (commentId, { scroll = true } = {}) => {
    const card = document.getElementById(`comment-${commentId}`);
    if (!card) return;
    if (scroll) card.scrollIntoView({ block: 'center', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    card.focus({ preventScroll: true });
    flash(card);
  };
  const render = () => {
    countEl.textContent = `(${comments.filter((c) => c.state === 'VISIBLE').length})`;
    const roots = threadRoots(comments).sort((a, b) => Date.parse(a.createTime) - Date.parse(b.createTime));
    const cardOpts = (c, isReply, parentAuthor) => ({
      me: session.member,
      isSecretariat: session.isSecretariat,
      mayModerate: !!access.mayModerate,
      mayComment: mayPost,
      mayAct,
      accepting: true,
      plain: true,
      follow: opts.follow,
      isReply,
      parentAuthor,
      onChange: (updated) => {
        const i = comments.findIndex((x) => x.name === updated.name);
        if (i >= 0) comments[i] = updated;
        render();
        focusComment(idOf(updated.name), { scroll: false });
      },
      onReply: (reply) => {
        comments.push(reply);
        render();
        focusComment(idOf(reply.name));
      },
    });
    replace(list, threadItems(comments, roots, cardOpts, opts.emptyText || t('discussion.empty')));
  };

  const reload = async () => {
    comments = await listAll('comments', { target }, 'comments', { signal });
    activity.replaceChildren();
    render();
    announce(t('discussion.updated'));
    if (opts.onActivity) opts.onActivity();
  };

  // ---- the composer ----
  let composer;
  if (mayPost) {
    let rid = requestId();
    const body = h('textarea', { name: 'body', rows: 4, required: true, maxlength: 10000, 'data-testid': 'post-body' });
    composer = h('form', { class: 'composer', 'data-testid': 'post-form', novalidate: true },
      field(opts.composerLabel || t('discussion.newPost'), body, { field: 'comment.body', hint: t('discussion.bodyHint') }),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'button primary', text: opts.submitLabel || t('discussion.post'), 'data-testid': 'post-submit' })));
    composer.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!body.value.trim()) {
        body.setAttribute('aria-invalid', 'true');
        body.focus();
        return;
      }
      const created = await submitting(composer, () =>
        post('comments', { target, body: body.value.trim() }, { query: { request_id: rid } }));
      if (!created) return;
      rid = requestId();
      body.value = '';
      comments.push(created);
      render();
      toast(t('discussion.posted'), 'success');
      focusComment(idOf(created.name));
    });
  } else {
    composer = notice(accessReason(access), 'info', { 'data-testid': 'cannot-post' });
  }

  // ---- live updates ----
  const writing = () => [...list.querySelectorAll('textarea')].some((el) => el.value.trim());
  const onNotification = (event) => {
    if (notificationTarget(event.detail) !== target) return;
    if (!writing()) {
      reload().catch(() => {});
      return;
    }
    replace(activity, notice([
      t('discussion.newActivity'), ' ',
      h('button', { type: 'button', class: 'button small secondary', text: t('reader.showIt'), 'data-testid': 'show-activity', onclick: (e) => withButton(e.currentTarget, reload) }),
    ], 'info'));
  };
  window.addEventListener('cdc:notification', onNotification);
  if (ctx) ctx.onCleanup(() => window.removeEventListener('cdc:notification', onNotification));

  render();
  const element = h('section', { class: 'discussion', 'aria-labelledby': 'discussion-heading', 'data-testid': 'discussion' },
    h('div', { class: 'pane-head' },
      h('h2', { id: 'discussion-heading' }, opts.heading || t('discussion.heading'), ' ', countEl),
      opts.headExtra || null),
    activity,
    list,
    composer);
  if (opts.focus) {
    if (ctx) ctx.focusHandled();
    requestAnimationFrame(() => focusComment(opts.focus));
  }
  return { element, reload };
}
