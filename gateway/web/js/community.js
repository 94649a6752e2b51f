// Spaces and their topics: the list of spaces (the caller's first, with
// unread counts), joining and leaving, a space's topics (pinned first, then
// latest activity; "new" since the caller's last visit; by tag, unread
// only, archived), starting a topic, a topic's page (its opening post and
// the discussion, read position marked on view), what facilitators do (pin,
// close, reopen, archive, add and remove members) and what the secretariat
// does (create and update spaces).

import { get, post, patch, del, listAll, requestId } from './api.js';
import { session } from './session.js';
import { markdownBlock } from './markdown.js';
import { follow, followButton } from './notifications.js';
import { discussion, targetAccess, notificationTarget } from './discussion.js';
import {
  communityTabs, memberDirectory, memberName, multiPicker, memberPickerOptions,
  splitTags, tagList, hashWith,
} from './community-ui.js';
import {
  h, replace, idOf, field, submitting, withButton, toast, notice,
  pageTitle, badge, timeEl, relativeTime, confirmDialog, uid,
} from './ui.js';
import { t } from './i18n.js';

const spaceHref = (space) => `#/spaces/${idOf(space.name || space)}`;
const topicHref = (topic) => {
  const [, s, , id] = String(topic.name || topic).split('/');
  return `#/spaces/${s}/topics/${id}`;
};
const mayManageSpace = (space) => session.isSecretariat || !!space.callerIsFacilitator;

function visibilityBadge(space) {
  return space.visibility === 'INVITE_ONLY'
    ? badge(t('space.inviteOnly'), 'draft', { 'data-testid': 'space-visibility' })
    : badge(t('space.open'), 'open', { 'data-testid': 'space-visibility' });
}

function topicStateBadge(topic) {
  if (topic.state === 'CLOSED') return badge(t('topic.state.CLOSED'), 'closed', { 'data-testid': 'topic-state' });
  if (topic.state === 'ARCHIVED') return badge(t('topic.state.ARCHIVED'), 'draft', { 'data-testid': 'topic-state' });
  return null;
}

/** Join or leave: the space as the server returns it goes to onChange. */
function membershipButton(space, onChange) {
  if (space.state === 'ARCHIVED') return null;
  if (space.callerIsMember) {
    return h('button', {
      type: 'button', class: 'button small secondary', text: t('space.leave'), 'data-testid': 'leave-space',
      onclick: async (event) => {
        const button = event.currentTarget;
        const ok = await confirmDialog({
          title: t('space.leaveTitle', { title: space.title }), message: t('space.leaveMessage'),
          confirmLabel: t('space.leave'), testid: 'leave-space-dialog',
        });
        if (!ok) return;
        await withButton(button, async () => {
          const updated = await post(space.name, {}, { verb: 'leave' });
          toast(t('space.left', { title: space.title }), 'success');
          onChange(updated);
        });
      },
    });
  }
  if (space.visibility === 'INVITE_ONLY') {
    return h('span', { class: 'muted small', text: t('space.askFacilitator') });
  }
  return h('button', {
    type: 'button', class: 'button small primary', text: t('space.join'), 'data-testid': 'join-space',
    onclick: (event) => withButton(event.currentTarget, async () => {
      const updated = await post(space.name, {}, { verb: 'join' });
      toast(t('space.joined', { title: space.title }), 'success');
      onChange(updated);
    }),
  });
}

// ---- the spaces ----------------------------------------------------------------

export async function spacesView(ctx) {
  const archived = ctx.query.get('state') === 'ARCHIVED';
  ctx.title(t('spaces.title'));
  let spaces = await listAll('spaces', { state: archived ? 'ARCHIVED' : '' }, 'spaces', { signal: ctx.signal, max: 1000 });
  const list = h('ul', { class: 'card-list', 'data-testid': 'space-list' });
  const render = () => {
    // The caller's spaces first, each group by title (as listed).
    const sorted = [...spaces.filter((s) => s.callerIsMember), ...spaces.filter((s) => !s.callerIsMember)];
    replace(list, sorted.length ? sorted.map((space) => {
      const unread = space.unreadCount || 0;
      return h('li', { class: 'card space-card', 'data-testid': 'space-card', 'data-id': idOf(space.name) },
        h('div', { class: 'card-head' },
          h('h2', {},
            h('a', { href: spaceHref(space), 'data-testid': 'space-link', text: space.title }),
            unread ? h('span', { class: 'nav-count', 'data-testid': 'space-unread' },
              h('span', { 'aria-hidden': 'true', text: String(unread) }),
              h('span', { class: 'visually-hidden', text: ` (${t('space.unread', { n: unread })})` })) : null),
          h('span', { class: 'badges' },
            space.callerIsMember ? badge(space.callerIsFacilitator ? t('space.youFacilitate') : t('space.youAreMember'), 'published') : null,
            visibilityBadge(space))),
        space.description ? markdownBlock(space.description, 'prose description') : null,
        h('p', { class: 'muted small' },
          t('space.counts', { members: space.memberCount || 0, topics: space.topicCount || 0 }),
          space.lastActivityTime ? [' · ', t('space.lastActivity', { when: relativeTime(space.lastActivityTime) })] : null),
        h('div', { class: 'actions' },
          membershipButton(space, (updated) => {
            spaces = spaces.map((s) => (s.name === updated.name ? updated : s));
            render();
          })));
    }) : h('li', { class: 'muted', text: archived ? t('spaces.noneArchived') : t('spaces.none') }));
  };
  render();
  ctx.render(
    communityTabs('spaces'),
    h('div', { class: 'page-head' },
      pageTitle(t('spaces.title')),
      session.isSecretariat ? h('a', { class: 'button secondary', href: '#/spaces/new', text: t('spaces.new'), 'data-testid': 'new-space' }) : null),
    h('p', { class: 'lead', text: t('spaces.lead') }),
    h('nav', { class: 'tabs', 'aria-label': t('spaces.which') },
      h('a', { href: '#/spaces', 'aria-current': archived ? null : 'page', text: t('spaces.active') }),
      h('a', { href: '#/spaces?state=ARCHIVED', 'aria-current': archived ? 'page' : null, text: t('spaces.archived') })),
    list);
}

// ---- one space and its topics -------------------------------------------------------

export async function spaceView(ctx) {
  const name = `spaces/${ctx.params.space}`;
  const filters = {
    tag: ctx.query.get('tag') || '',
    unread: ctx.query.get('unread') === '1',
    archived: ctx.query.get('state') === 'ARCHIVED',
  };
  let space = await get(name, undefined, { signal: ctx.signal });
  ctx.title(space.title);
  const mayRead = space.visibility !== 'INVITE_ONLY' || space.callerIsMember || session.isSecretariat;

  const list = h('ul', { class: 'topic-list', 'data-testid': 'topic-list' });
  const more = h('button', { type: 'button', class: 'button secondary', text: t('common.showMore'), hidden: true });
  let pageToken = '';
  let topics = [];
  const renderTopics = () => {
    replace(list, topics.length ? topics.map((topic) => topicRow(topic, filters)) : h('li', {
      class: 'muted empty',
      text: filters.unread ? t('topics.noneUnread') : filters.tag ? t('topics.noneTagged', { tag: filters.tag }) : t('topics.none'),
    }));
    more.hidden = !pageToken;
  };
  const load = async (first) => {
    if (first) {
      topics = [];
      pageToken = '';
    }
    const page = await get(`${name}/topics`, {
      page_size: 50, page_token: pageToken, tag: filters.tag,
      unread_only: filters.unread, state: filters.archived ? 'ARCHIVED' : '',
    }, { signal: ctx.signal });
    topics.push(...(page.topics || []));
    pageToken = page.nextPageToken || '';
    renderTopics();
  };
  more.addEventListener('click', () => withButton(more, () => load(false)));

  const head = h('div');
  const renderHead = () => {
    replace(head,
      h('p', { class: 'breadcrumbs' }, h('a', { href: '#/spaces', text: t('spaces.title') })),
      h('div', { class: 'page-head' },
        pageTitle(space.title, { 'data-testid': 'space-title' }),
        h('div', { class: 'toolbar' },
          membershipButton(space, (updated) => {
            space = updated;
            renderHead();
            if (space.callerIsMember || space.visibility === 'OPEN') load(true).catch(() => {});
          }),
          space.callerIsMember && space.state !== 'ARCHIVED'
            ? h('a', { class: 'button small primary', href: `#/spaces/${ctx.params.space}/new-topic`, text: t('topics.new'), 'data-testid': 'new-topic' })
            : null,
          mayRead ? followButton(name, 'space', { testid: 'follow-space' }) : null,
          mayRead ? h('a', { class: 'button small secondary', href: `#/spaces/${ctx.params.space}/members`, text: mayManageSpace(space) ? t('space.manageMembers') : t('space.members'), 'data-testid': 'space-members-link' }) : null,
          session.isSecretariat ? h('a', { class: 'button small secondary', href: `#/spaces/${ctx.params.space}/edit`, text: t('space.edit'), 'data-testid': 'edit-space' }) : null)),
      h('p', { class: 'space-meta' },
        visibilityBadge(space),
        space.state === 'ARCHIVED' ? badge(t('space.archivedBadge'), 'draft') : null,
        h('span', { class: 'muted', text: ` ${t('space.counts', { members: space.memberCount || 0, topics: space.topicCount || 0 })}` })),
      space.state === 'ARCHIVED' ? notice(t('space.archivedNote'), 'info') : null,
      space.description ? markdownBlock(space.description, 'prose description') : null);
  };
  renderHead();

  // The filters are in the address, so that a filtered list can be linked.
  const go = (change) => ctx.navigate(hashWith(`#/spaces/${ctx.params.space}`, {
    tag: change.tag ?? filters.tag,
    unread: (change.unread ?? filters.unread) ? '1' : '',
    state: (change.archived ?? filters.archived) ? 'ARCHIVED' : '',
  }));
  const tagInput = h('input', { type: 'text', id: 'topic-tag-filter', value: filters.tag, 'data-testid': 'topic-tag-filter', maxlength: 32 });
  const unreadBox = h('input', { type: 'checkbox', id: 'topic-unread-filter', checked: filters.unread, 'data-testid': 'topic-unread-filter' });
  const archivedBox = h('input', { type: 'checkbox', id: 'topic-archived-filter', checked: filters.archived, 'data-testid': 'topic-archived-filter' });
  const filterForm = h('form', { class: 'list-tools filters', role: 'search', 'aria-label': t('topics.filters') },
    h('div', { class: 'field inline' }, h('label', { for: 'topic-tag-filter', text: t('topics.tag') }), tagInput),
    h('button', { type: 'submit', class: 'button small secondary', text: t('filter.apply') }),
    h('div', { class: 'checkbox' }, unreadBox, h('label', { for: 'topic-unread-filter', text: t('topics.unreadOnly') })),
    h('div', { class: 'checkbox' }, archivedBox, h('label', { for: 'topic-archived-filter', text: t('topics.archivedOnly') })),
    filters.tag ? h('a', { href: `#/spaces/${ctx.params.space}`, text: t('filter.clear') }) : null);
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    go({ tag: tagInput.value.trim().toLowerCase() });
  });
  unreadBox.addEventListener('change', () => go({ unread: unreadBox.checked }));
  archivedBox.addEventListener('change', () => go({ archived: archivedBox.checked }));

  // A topic started here (the live stream) refreshes the list.
  const onNotification = (event) => {
    const target = notificationTarget(event.detail);
    if (target.startsWith(`${name}/topics/`)) load(true).catch(() => {});
  };
  window.addEventListener('cdc:notification', onNotification);
  ctx.onCleanup(() => window.removeEventListener('cdc:notification', onNotification));

  if (mayRead) await load(true);
  ctx.render(
    communityTabs('spaces'),
    head,
    mayRead
      ? h('section', { class: 'topics', 'aria-labelledby': 'topics-heading' },
        h('h2', { id: 'topics-heading', text: t('topics.heading') }),
        filterForm,
        list,
        more)
      : notice(t('space.inviteOnlyNote'), 'info', { 'data-testid': 'invite-only-note' }));
}

function topicRow(topic, filters) {
  const [, s] = topic.name.split('/');
  const tagHref = (tag) => hashWith(`#/spaces/${s}`, { tag, unread: filters.unread ? '1' : '', state: filters.archived ? 'ARCHIVED' : '' });
  return h('li', { class: ['topic-row', topic.hasUnread && 'unread', topic.pinned && 'pinned'], 'data-testid': 'topic-row', 'data-name': topic.name },
    h('div', { class: 'topic-main' },
      h('h3', {},
        topic.pinned ? badge(t('topic.pinned'), 'published', { 'data-testid': 'topic-pinned' }) : null,
        h('a', { href: topicHref(topic), 'data-testid': 'topic-link', text: topic.title }),
        topic.hasUnread ? badge(t('topic.new'), 'new', { 'data-testid': 'topic-new', title: t('topic.newTitle') }) : null,
        topicStateBadge(topic)),
      h('p', { class: 'muted small' },
        t('topic.by', { name: topic.authorDisplayName || idOf(topic.author) }), ' · ',
        t('topic.posts', { n: topic.postCount || 0 }), ' · ',
        t('topic.activity', { when: relativeTime(topic.lastActivityTime || topic.createTime) })),
      tagList(topic.tags, tagHref)));
}

// ---- starting a topic -----------------------------------------------------------

export async function newTopicView(ctx) {
  const spaceName = `spaces/${ctx.params.space}`;
  const space = await get(spaceName, undefined, { signal: ctx.signal });
  ctx.title(t('topics.newIn', { space: space.title }));
  const title = h('input', { type: 'text', maxlength: 200, required: true, 'data-testid': 'topic-title-input' });
  const body = h('textarea', { rows: 8, maxlength: 20000, required: true, 'data-testid': 'topic-body-input' });
  const tags = h('input', { type: 'text', 'data-testid': 'topic-tags-input' });
  const followBox = h('input', { type: 'checkbox', id: 'topic-follow', checked: true, 'data-testid': 'topic-follow' });
  let rid = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'topic-form', novalidate: true },
    field(t('topic.title'), title, { field: 'topic.title', hint: t('topic.titleHint') }),
    field(t('topic.body'), body, { field: 'topic.body', hint: t('topic.bodyHint') }),
    field(t('topic.tags'), tags, { field: 'topic.tags', optional: true, hint: t('topic.tagsHint') }),
    h('div', { class: 'checkbox' }, followBox, h('label', { for: 'topic-follow', text: t('topic.followOwn') })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('topic.start'), 'data-testid': 'topic-submit' }),
      h('a', { class: 'button secondary', href: spaceHref(space), text: t('common.cancel') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const topic = await submitting(form, () => post(`${spaceName}/topics`, {
      title: title.value.trim(), body: body.value.trim(), tags: splitTags(tags.value),
    }, { query: { request_id: rid } }));
    if (!topic) return;
    rid = requestId();
    // Replies and new posts reach those who follow the topic: its author
    // too, unless they chose not to.
    if (followBox.checked) await follow(topic.name).catch(() => toast(t('topic.followFailed'), 'error'));
    toast(t('topic.started'), 'success');
    ctx.navigate(topicHref(topic));
  });
  ctx.render(
    communityTabs('spaces'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/spaces', text: t('spaces.title') }), ' › ', h('a', { href: spaceHref(space), text: space.title })),
    pageTitle(t('topics.newIn', { space: space.title })),
    form);
}

// ---- a topic ---------------------------------------------------------------------

export async function topicView(ctx) {
  const spaceName = `spaces/${ctx.params.space}`;
  const name = `${spaceName}/topics/${ctx.params.topic}`;
  const { signal } = ctx;
  const [space, access] = await Promise.all([
    get(spaceName, undefined, { signal }),
    targetAccess(name, { signal }),
  ]);
  let topic = await get(name, undefined, { signal });
  ctx.title(topic.title);
  const manage = mayManageSpace(space) || !!access.mayModerate;
  const markRead = () => post(name, {}, { verb: 'markRead' }).catch(() => {});

  const head = h('div', { class: 'topic-head' });
  const renderHead = () => {
    const own = topic.author === session.member;
    const mayEdit = manage || (own && topic.state === 'OPEN');
    const actions = [];
    if (mayEdit && topic.state !== 'ARCHIVED') {
      actions.push(h('button', {
        type: 'button', class: 'button small secondary', text: t('topic.edit'), 'data-testid': 'edit-topic',
        onclick: () => replace(opening, topicEditForm(topic, (updated) => {
          topic = updated;
          renderHead();
        }, () => renderHead())),
      }));
    }
    if (manage && topic.state !== 'ARCHIVED') {
      actions.push(topicAction(topic.pinned ? t('topic.unpin') : t('topic.pin'), 'pin-topic',
        () => post(name, { pinned: !topic.pinned }, { verb: 'pin' }), topic.pinned ? t('topic.unpinned') : t('topic.pinnedToast')));
      if (topic.state === 'OPEN') {
        actions.push(h('button', {
          type: 'button', class: 'button small secondary', text: t('topic.close'), 'data-testid': 'close-topic',
          onclick: async (event) => {
            const button = event.currentTarget;
            const reason = await confirmDialog({
              title: t('topic.closeTitle'), message: t('topic.closeMessage'), confirmLabel: t('topic.close'), testid: 'close-topic-dialog',
              input: { label: t('topic.closeReason'), multiline: true, maxLength: 1000 },
            });
            if (reason === false) return;
            await withButton(button, async () => {
              topic = await post(name, { reason: reason || '' }, { verb: 'close' });
              toast(t('topic.closed'), 'success');
              renderAll();
            });
          },
        }));
      }
      if (topic.state === 'CLOSED') {
        actions.push(topicAction(t('topic.reopen'), 'reopen-topic', () => post(name, {}, { verb: 'reopen' }), t('topic.reopened')));
      }
      actions.push(h('button', {
        type: 'button', class: 'button small ghost danger-text', text: t('topic.archive'), 'data-testid': 'archive-topic',
        onclick: async (event) => {
          const button = event.currentTarget;
          const ok = await confirmDialog({
            title: t('topic.archiveTitle'), message: t('topic.archiveMessage'), confirmLabel: t('topic.archive'), danger: true, testid: 'archive-topic-dialog',
          });
          if (!ok) return;
          await withButton(button, async () => {
            topic = await post(name, {}, { verb: 'archive' });
            toast(t('topic.archived'), 'success');
            renderAll();
          });
        },
      }));
    }
    replace(head,
      h('p', { class: 'breadcrumbs' },
        h('a', { href: '#/spaces', text: t('spaces.title') }), ' › ',
        h('a', { href: spaceHref(space), text: space.title, 'data-testid': 'topic-space' })),
      h('div', { class: 'page-head' },
        pageTitle(topic.title, { 'data-testid': 'topic-title' }),
        h('div', { class: 'toolbar' }, followButton(name, 'topic', { testid: 'follow-topic' }))),
      h('p', { class: 'topic-meta' },
        topic.pinned ? badge(t('topic.pinned'), 'published') : null,
        topicStateBadge(topic),
        h('span', { class: 'muted' }, t('topic.startedBy', { name: topic.authorDisplayName || idOf(topic.author) }), ' ', timeEl(topic.createTime))),
      tagList(topic.tags, (tag) => hashWith(spaceHref(space), { tag })),
      topic.state !== 'OPEN' && topic.closeReason
        ? notice([h('strong', { text: t('topic.closedBecause') }), h('p', { text: topic.closeReason })], 'info', { 'data-testid': 'close-reason' })
        : null,
      actions.length ? h('div', { class: 'toolbar topic-actions', 'data-testid': 'topic-actions' }, actions) : null);
    replace(opening, topic.body ? markdownBlock(topic.body, 'prose') : null);
  };
  const topicAction = (label, testid, call, done) => h('button', {
    type: 'button', class: 'button small secondary', text: label, 'data-testid': testid,
    onclick: (event) => withButton(event.currentTarget, async () => {
      topic = await call();
      toast(done, 'success');
      renderAll();
    }),
  });

  const opening = h('div', { class: 'opening-post', 'data-testid': 'topic-body' });
  const posts = await discussion(name, {
    access, signal, ctx,
    heading: t('topic.postsHeading'),
    composerLabel: t('topic.yourPost'),
    emptyText: access.mayPost ? t('topic.beFirst') : t('topic.noPosts'),
    focus: ctx.query.get('comment'),
    onActivity: markRead,
  });
  // A state change (close, archive) changes who may post: draw it all again.
  const renderAll = () => ctx.refresh();
  renderHead();
  ctx.render(
    communityTabs('spaces'),
    h('article', { class: 'topic-view', 'data-testid': 'topic', 'data-name': name },
      head,
      h('div', { class: 'card opening-card' }, opening)),
    posts.element);
  markRead();
}

function topicEditForm(topic, onSaved, onCancel) {
  const title = h('input', { type: 'text', maxlength: 200, value: topic.title, 'data-testid': 'topic-edit-title' });
  const body = h('textarea', { rows: 8, maxlength: 20000, value: topic.body || '', 'data-testid': 'topic-edit-body' });
  const tags = h('input', { type: 'text', value: (topic.tags || []).join(', '), 'data-testid': 'topic-edit-tags' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'topic-edit-form', novalidate: true },
    field(t('topic.title'), title, { field: 'topic.title' }),
    field(t('topic.body'), body, { field: 'topic.body' }),
    field(t('topic.tags'), tags, { field: 'topic.tags', optional: true, hint: t('topic.tagsHint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button small primary', text: t('comment.save'), 'data-testid': 'topic-edit-submit' }),
      h('button', { type: 'button', class: 'button small secondary', text: t('common.cancel'), onclick: onCancel })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = { title: title.value.trim(), body: body.value.trim(), tags: splitTags(tags.value) };
    const mask = [];
    if (values.title !== topic.title) mask.push('title');
    if (values.body !== (topic.body || '')) mask.push('body');
    if (values.tags.join() !== (topic.tags || []).join()) mask.push('tags');
    if (!mask.length) {
      onCancel();
      return;
    }
    const updated = await submitting(form, () =>
      patch(topic.name, { name: topic.name, etag: topic.etag, ...values }, { update_mask: mask.join(',') }));
    if (!updated) return;
    toast(t('topic.updated'), 'success');
    onSaved(updated);
  });
  requestAnimationFrame(() => title.focus());
  return form;
}

// ---- a space's members -------------------------------------------------------------

export async function spaceMembersView(ctx) {
  const name = `spaces/${ctx.params.space}`;
  const [space, dir] = await Promise.all([
    get(name, undefined, { signal: ctx.signal }),
    memberDirectory({ signal: ctx.signal }).catch(() => new Map()),
  ]);
  ctx.title(t('space.membersOf', { title: space.title }));
  const manage = mayManageSpace(space);
  const members = await listAll(`${name}/members`, {}, 'spaceMembers', { signal: ctx.signal });
  const list = h('ul', { class: 'card-list', 'data-testid': 'space-member-list' });
  const render = () => {
    replace(list, members.map((m) => h('li', { class: 'card row', 'data-testid': 'space-member', 'data-member': m.member },
      h('div', {},
        h('strong', { text: m.displayName || memberName(dir, m.member) }),
        m.facilitator ? [' ', badge(t('space.facilitator'), 'published')] : null,
        h('p', { class: 'muted small' }, m.organisation || '', m.organisation ? ' · ' : '', t('space.joinedOn'), ' ', timeEl(m.joinTime, { dateOnly: true }))),
      manage && !m.facilitator && space.state !== 'ARCHIVED'
        ? h('button', {
          type: 'button', class: 'button small ghost danger-text', text: t('space.remove'), 'data-testid': 'remove-space-member',
          onclick: async (event) => {
            const button = event.currentTarget;
            const ok = await confirmDialog({
              title: t('space.removeTitle', { name: m.displayName }), message: t('space.removeMessage'),
              confirmLabel: t('space.remove'), danger: true, testid: 'remove-member-dialog',
            });
            if (!ok) return;
            await withButton(button, async () => {
              await del(`${name}/${m.member}`);
              toast(t('space.removed', { name: m.displayName }), 'success');
              // Drawn again: they may now be added back.
              ctx.refresh();
            });
          },
        })
        : null)));
  };
  render();

  let addForm = null;
  if (manage && space.state !== 'ARCHIVED') {
    const inSpace = new Set(members.map((m) => m.member));
    const picker = multiPicker({
      legend: t('space.addMembers'), hint: t('space.addMembersHint'), testid: 'add-members', needQuery: true,
      options: memberPickerOptions(dir).filter(([v]) => !inSpace.has(v)), required: true, field: 'member',
    });
    addForm = h('form', { class: 'form', 'data-testid': 'add-members-form', novalidate: true },
      picker.element,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', text: t('space.add'), 'data-testid': 'add-members-submit' })));
    addForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = picker.values();
      if (!chosen.length) return;
      const added = await submitting(addForm, async () => {
        const out = [];
        for (const member of chosen) out.push(await post(`${name}/members`, { member }));
        return out;
      });
      if (!added) return;
      toast(t('space.added', { n: added.length }), 'success');
      ctx.refresh();
    });
  }
  ctx.render(
    communityTabs('spaces'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/spaces', text: t('spaces.title') }), ' › ', h('a', { href: spaceHref(space), text: space.title })),
    pageTitle(t('space.membersOf', { title: space.title })),
    list,
    addForm);
}

// ---- the secretariat: creating and updating a space ---------------------------------

export async function spaceFormView(ctx) {
  const editing = !!ctx.params.space;
  const name = editing ? `spaces/${ctx.params.space}` : '';
  const [space, dir] = await Promise.all([
    editing ? get(name, undefined, { signal: ctx.signal }) : Promise.resolve(null),
    memberDirectory({ signal: ctx.signal }).catch(() => new Map()),
  ]);
  const heading = editing ? t('space.editTitle', { title: space.title }) : t('spaces.new');
  ctx.title(heading);
  const title = h('input', { type: 'text', maxlength: 100, required: true, value: space ? space.title : '', 'data-testid': 'space-title-input' });
  const id = h('input', { type: 'text', maxlength: 63, pattern: '[a-z][a-z0-9-]{2,62}', 'data-testid': 'space-id-input' });
  const description = h('textarea', { rows: 5, maxlength: 2000, value: space ? space.description || '' : '', 'data-testid': 'space-description-input' });
  const visibilityName = uid('visibility');
  const radio = (value, label, hint) => {
    const rid = uid('vis');
    return h('div', { class: 'radio' },
      h('input', { type: 'radio', id: rid, name: visibilityName, value, checked: (space ? space.visibility : 'OPEN') === value, 'data-testid': `space-visibility-${value.toLowerCase()}` }),
      h('label', { for: rid }, h('strong', { text: label }), h('span', { class: 'muted', text: ` — ${hint}` })));
  };
  const visibility = h('fieldset', { class: 'radio-group stacked' },
    h('legend', { text: t('space.visibility') }),
    radio('OPEN', t('space.open'), t('space.openHint')),
    radio('INVITE_ONLY', t('space.inviteOnly'), t('space.inviteOnlyHint')));
  const facilitators = multiPicker({
    legend: t('space.facilitators'), hint: t('space.facilitatorsHint'), testid: 'facilitators', needQuery: true,
    options: [...dir.values()].sort((a, b) => a.displayName.localeCompare(b.displayName))
      .map((m) => [m.name, [m.displayName, m.organisation].filter(Boolean).join(' · '), `${m.email || ''} ${idOf(m.name)}`]),
    selected: space ? space.facilitators || [] : [], field: 'space.facilitators', max: 20,
  });
  const state = h('select', { 'data-testid': 'space-state-input' },
    h('option', { value: 'ACTIVE', selected: space && space.state === 'ACTIVE', text: t('space.state.ACTIVE') }),
    h('option', { value: 'ARCHIVED', selected: space && space.state === 'ARCHIVED', text: t('space.state.ARCHIVED') }));
  let rid = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'space-form', novalidate: true },
    field(t('space.titleLabel'), title, { field: 'space.title' }),
    editing ? null : field(t('space.id'), id, { field: 'space_id', optional: true, hint: t('space.idHint') }),
    field(t('space.description'), description, { field: 'space.description', optional: true, hint: t('space.descriptionHint') }),
    visibility,
    facilitators.element,
    editing ? field(t('space.stateLabel'), state, { field: 'space.state', hint: t('space.stateHint') }) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: editing ? t('space.save') : t('space.create'), 'data-testid': 'space-submit' }),
      h('a', { class: 'button secondary', href: editing ? spaceHref(space) : '#/spaces', text: t('common.cancel') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = {
      title: title.value.trim(),
      description: description.value.trim(),
      visibility: form.querySelector(`input[name="${visibilityName}"]:checked`).value,
      facilitators: facilitators.values(),
    };
    let saved;
    if (editing) {
      values.state = state.value;
      const mask = ['title', 'description', 'visibility', 'state'].filter((k) => values[k] !== (space[k] || ''));
      if (values.facilitators.join() !== (space.facilitators || []).join()) mask.push('facilitators');
      if (!mask.length) {
        ctx.navigate(spaceHref(space));
        return;
      }
      saved = await submitting(form, () => patch(name, { name, etag: space.etag, ...values }, { update_mask: mask.join(',') }));
    } else {
      saved = await submitting(form, () => post('spaces', values, { query: { space_id: id.value.trim(), request_id: rid } }));
      rid = requestId();
    }
    if (!saved) return;
    toast(editing ? t('space.saved') : t('space.created', { title: saved.title }), 'success');
    ctx.navigate(spaceHref(saved));
  });
  ctx.render(
    communityTabs('spaces'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/spaces', text: t('spaces.title') })),
    pageTitle(heading),
    form);
}
