// Notifications: the live stream (server-sent events read with fetch, see
// api.js EventStream) feeding the bell's unread count, the inbox, follows
// and preferences.

import { EventStream, get, post, patch, del, listAll } from './api.js';
import { session } from './session.js';
import {
  h, replace, idOf, num, announce, toast, relativeTime, eventTypeLabel,
  pageTitle, submitting, withButton, timeEl,
} from './ui.js';
import { t } from './i18n.js';
import { communityHref } from './community-ui.js';

// ---- the live stream and the unread count ----------------------------------

let stream = null;
let unread = 0;
let refreshTimer = 0;
const seen = new Set();
const unreadListeners = new Set();
let liveState = 'stopped';

export function onUnreadChange(listener) {
  unreadListeners.add(listener);
  return () => unreadListeners.delete(listener);
}

function setUnread(count) {
  unread = Math.max(0, count);
  for (const listener of unreadListeners) listener(unread);
  renderBells();
}

/** Asks the server for the exact unread count (after local guesses). */
export async function refreshUnread() {
  if (!session.hasInbox) return;
  try {
    const answer = await get(`${session.member}/notifications:unreadCount`);
    setUnread(num(answer.unreadCount));
  } catch {
    // The stream's next heartbeat corrects the count.
  }
}

function scheduleRefresh(delay = 800) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshUnread, delay);
}

export function startLive() {
  if (stream || !session.hasInbox) return;
  stream = new EventStream('notifications:stream', {
    onEvent(type, data) {
      if (type === 'heartbeat' && data.heartbeat) {
        setUnread(num(data.heartbeat.unreadCount));
      } else if (type === 'notification' && data.notification) {
        const n = data.notification;
        if (seen.has(n.name)) return;
        seen.add(n.name);
        if (!n.read) setUnread(unread + 1);
        toast(t('notifications.new', { summary: n.summary }), 'info');
        window.dispatchEvent(new CustomEvent('cdc:notification', { detail: n }));
        // Replays after a reconnect come after a heartbeat that counted them
        // already: the server's count settles it.
        scheduleRefresh();
      }
    },
    onState(state, error) {
      liveState = state;
      document.body.dataset.live = state;
      renderBells();
      if (state === 'stopped' && error && error.code === 16) {
        // The token no longer works: let the session find out and end.
        get('members:authenticate').catch(() => {});
      }
    },
  });
  stream.start();
  refreshUnread();
}

export function stopLive() {
  if (stream) stream.stop();
  stream = null;
  seen.clear();
  followsCache = null;
  setUnread(0);
}

// ---- the bell -----------------------------------------------------------------

const bells = new Set();

export function bell() {
  const count = h('span', { class: 'bell-count', 'data-testid': 'bell-count', 'aria-hidden': 'true' });
  const link = h('a', { href: '#/notifications', class: 'bell', 'data-testid': 'bell' },
    bellIcon(),
    count);
  link.cdcCount = count;
  bells.add(link);
  renderBell(link);
  return link;
}

function bellIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z');
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

function renderBell(link) {
  link.cdcCount.textContent = String(unread);
  link.cdcCount.hidden = unread === 0;
  const live = liveState === 'retrying' ? t('notifications.reconnecting') : '';
  link.setAttribute('aria-label', t('notifications.bell', { n: unread, live }));
  link.dataset.live = liveState;
}

function renderBells() {
  for (const link of [...bells]) {
    if (!link.isConnected) {
      bells.delete(link);
      continue;
    }
    renderBell(link);
  }
}

// ---- where a notification leads -------------------------------------------

const EVENT_BASE_FIELDS = new Set(['id', 'time', 'actor', 'consultation', 'actorDisplayName']);

function payloadOf(event) {
  if (!event) return {};
  for (const [key, value] of Object.entries(event)) {
    if (!EVENT_BASE_FIELDS.has(key) && value && typeof value === 'object') return value;
  }
  return {};
}

/** The page a notification is about. */
export function notificationHref(n) {
  const payload = payloadOf(n.event);
  const ref = payload.comment && typeof payload.comment === 'object' ? payload.comment : null;
  if (n.eventType === 'EVENT_TYPE_COMMENT_FLAGGED' && session.isSecretariat) return '#/admin/moderation';
  if (n.eventType === 'EVENT_TYPE_MEMBER_APPLIED' && session.isSecretariat) return '#/admin/members';
  if (ref && ref.target && ref.target.startsWith('consultations/')) {
    const [, c, , key] = ref.target.split('/');
    return `#/c/${c}/s/${key}?comment=${idOf(ref.comment)}`;
  }
  // Community: a post on a topic, conversation or resource opens there at
  // the post; a new topic, a conversation, a resource or an initiative opens
  // its page.
  if (ref && ref.target && communityHref(ref.target)) return communityHref(ref.target, ref.comment);
  if (payload.conversation) return communityHref(payload.conversation, payload.comment);
  if (n.eventType === 'EVENT_TYPE_INITIATIVE_SUBMITTED' && session.isSecretariat) return '#/initiatives/review';
  const target = n.target || '';
  if (communityHref(target)) return communityHref(target);
  if (target.startsWith('comments/')) return `#/comment/${idOf(target)}`;
  const consultation = (n.event && n.event.consultation) || (target.startsWith('consultations/') ? target : '');
  if (consultation) return `#/c/${consultation.split('/')[1]}`;
  if (target.startsWith('members/') && target === session.member) return '#/profile';
  return '#/notifications';
}

// ---- follows ------------------------------------------------------------------

let followsCache = null; // Map target -> FollowedTarget

export async function loadFollows() {
  if (!followsCache) {
    const list = await listAll(`${session.member}/follows`, {}, 'follows', { max: 1000 });
    followsCache = new Map(list.map((f) => [f.target, f]));
  }
  return followsCache;
}

export async function follow(target) {
  const f = await post(`${session.member}/follows`, { target });
  const follows = await loadFollows();
  follows.set(target, f);
  follows.set(f.target, f);
  return f;
}

export async function unfollow(target) {
  await del(`${session.member}/follows`, { target });
  if (followsCache) followsCache.delete(target);
}

/**
 * A toggle button (aria-pressed) following a section, a comment thread, a
 * topic, a space (its new topics) or a resource. `what` names it for
 * people: "section", "thread", "topic", "space", "resource".
 */
export function followButton(target, what, { testid = 'follow' } = {}) {
  const button = h('button', {
    type: 'button', class: 'button small secondary follow', 'aria-pressed': 'false', 'data-testid': testid,
  });
  let following = false;
  const render = () => {
    button.setAttribute('aria-pressed', String(following));
    button.textContent = following ? t('follow.following', { what }) : t('follow.follow', { what });
    button.title = following
      ? t('follow.followingTitle', { what })
      : t('follow.followTitle', { what });
  };
  render();
  if (!session.hasInbox) {
    button.hidden = true;
    return button;
  }
  loadFollows().then((follows) => {
    following = follows.has(target);
    render();
  }).catch(() => {});
  button.addEventListener('click', () => withButton(button, async () => {
    if (following) {
      await unfollow(target);
      following = false;
      announce(t('follow.unfollowed', { what }));
    } else {
      await follow(target);
      following = true;
      announce(t('follow.followed', { what }));
    }
    render();
  }));
  return button;
}

// ---- the inbox ------------------------------------------------------------------

function notificationItem(n, onRead) {
  const href = notificationHref(n);
  const markButton = n.read ? null : h('button', {
    type: 'button', class: 'button small secondary', text: t('notifications.markRead'), 'data-testid': 'mark-read',
    onclick: (event) => withButton(event.currentTarget, async () => {
      await post(n.name, {}, { verb: 'markRead' });
      n.read = true;
      onRead(n);
    }),
  });
  const item = h('li', { class: ['notification', !n.read && 'unread'], 'data-testid': 'notification', 'data-unread': String(!n.read) },
    h('div', { class: 'notification-main' },
      !n.read ? h('span', { class: 'unread-dot', title: t('notifications.unread') }, h('span', { class: 'visually-hidden', text: t('notifications.unreadPrefix') })) : null,
      h('a', {
        href, class: 'notification-summary', text: n.summary,
        onclick: () => {
          if (!n.read) post(n.name, {}, { verb: 'markRead' }).then(refreshUnread).catch(() => {});
        },
      }),
      h('p', { class: 'notification-meta' },
        h('span', { text: eventTypeLabel(n.eventType) }),
        n.actorDisplayName ? h('span', { text: ` · ${n.actorDisplayName}` }) : null,
        ' · ',
        h('time', { datetime: n.createTime, title: new Date(n.createTime).toString(), text: relativeTime(n.createTime) }))),
    markButton);
  return item;
}

export async function inboxView(ctx) {
  ctx.title(t('notifications.title'));
  const unreadOnly = ctx.query.get('unread') === '1';
  const list = h('ul', { class: 'notifications', 'data-testid': 'notification-list' });
  const more = h('button', { type: 'button', class: 'button secondary', text: t('notifications.showOlder'), hidden: true });
  const status = h('p', { class: 'muted', role: 'status' });
  let pageToken = '';
  let newest = '';

  const onRead = () => {
    refreshUnread();
    render();
  };
  const items = [];
  const render = () => {
    replace(list, items.map((n) => notificationItem(n, onRead)));
    status.textContent = items.length ? '' : (unreadOnly ? t('notifications.noUnread') : t('notifications.none'));
    more.hidden = !pageToken;
  };

  const load = async () => {
    const page = await get(`${session.member}/notifications`, { page_size: 30, page_token: pageToken, unread_only: unreadOnly }, { signal: ctx.signal });
    const fresh = page.notifications || [];
    if (!newest && fresh.length) newest = fresh[0].name;
    items.push(...fresh);
    pageToken = page.nextPageToken || '';
    render();
  };

  more.addEventListener('click', () => withButton(more, load));
  const markAll = h('button', {
    type: 'button', class: 'button secondary', text: t('notifications.markAllRead'), 'data-testid': 'mark-all-read',
    onclick: (event) => withButton(event.currentTarget, async () => {
      const upTo = items.length ? items[0].name : '';
      await post(`${session.member}/notifications`, { upTo }, { verb: 'markAllRead' });
      for (const n of items) n.read = true;
      render();
      await refreshUnread();
      announce(t('notifications.allRead'));
    }),
  });

  ctx.render(
    h('div', { class: 'page-head' },
      pageTitle(t('notifications.title')),
      h('div', { class: 'toolbar' },
        markAll,
        h('a', { class: 'button secondary', href: '#/notifications/preferences', text: t('notifications.preferences') }),
        h('a', { class: 'button secondary', href: '#/follows', text: t('notifications.whatIFollow') }))),
    h('nav', { class: 'tabs', 'aria-label': t('notifications.filter') },
      h('a', { href: '#/notifications', 'aria-current': unreadOnly ? null : 'page', text: t('notifications.all') }),
      h('a', { href: '#/notifications?unread=1', 'aria-current': unreadOnly ? 'page' : null, text: t('notifications.unreadTab') })),
    status,
    list,
    more);

  const onNew = (event) => {
    const n = event.detail;
    if (items.some((x) => x.name === n.name)) return;
    items.unshift(n);
    render();
  };
  window.addEventListener('cdc:notification', onNew);
  ctx.onCleanup(() => window.removeEventListener('cdc:notification', onNew));
  await load();
}

// ---- preferences ---------------------------------------------------------------

// Decisions about one's own membership always notify (the server refuses
// to turn them off).
const LOCKED = new Set([
  'EVENT_TYPE_MEMBER_APPROVED', 'EVENT_TYPE_MEMBER_SUSPENDED',
  'EVENT_TYPE_MEMBER_REINSTATED', 'EVENT_TYPE_MEMBER_ROLE_CHANGED',
]);

// What each event type means for the person choosing.
const PREF_LABELS = {
  EVENT_TYPE_MEMBER_APPLIED: t('prefs.event.EVENT_TYPE_MEMBER_APPLIED'),
  EVENT_TYPE_MEMBER_APPROVED: t('prefs.event.EVENT_TYPE_MEMBER_APPROVED'),
  EVENT_TYPE_MEMBER_REJECTED: t('prefs.event.EVENT_TYPE_MEMBER_REJECTED'),
  EVENT_TYPE_MEMBER_SUSPENDED: t('prefs.event.EVENT_TYPE_MEMBER_SUSPENDED'),
  EVENT_TYPE_MEMBER_REINSTATED: t('prefs.event.EVENT_TYPE_MEMBER_REINSTATED'),
  EVENT_TYPE_MEMBER_ROLE_CHANGED: t('prefs.event.EVENT_TYPE_MEMBER_ROLE_CHANGED'),
  EVENT_TYPE_ROUND_OPENED: t('prefs.event.EVENT_TYPE_ROUND_OPENED'),
  EVENT_TYPE_ROUND_EXTENDED: t('prefs.event.EVENT_TYPE_ROUND_EXTENDED'),
  EVENT_TYPE_ROUND_CLOSING_SOON: t('prefs.event.EVENT_TYPE_ROUND_CLOSING_SOON'),
  EVENT_TYPE_ROUND_CLOSED: t('prefs.event.EVENT_TYPE_ROUND_CLOSED'),
  EVENT_TYPE_RECORD_PUBLISHED: t('prefs.event.EVENT_TYPE_RECORD_PUBLISHED'),
  EVENT_TYPE_COMMENT_CREATED: t('prefs.event.EVENT_TYPE_COMMENT_CREATED'),
  EVENT_TYPE_COMMENT_REPLIED: t('prefs.event.EVENT_TYPE_COMMENT_REPLIED'),
  EVENT_TYPE_COMMENT_EDITED: t('prefs.event.EVENT_TYPE_COMMENT_EDITED'),
  EVENT_TYPE_COMMENT_WITHDRAWN: t('prefs.event.EVENT_TYPE_COMMENT_WITHDRAWN'),
  EVENT_TYPE_COMMENT_ENDORSED: t('prefs.event.EVENT_TYPE_COMMENT_ENDORSED'),
  EVENT_TYPE_COMMENT_UNENDORSED: t('prefs.event.EVENT_TYPE_COMMENT_UNENDORSED'),
  EVENT_TYPE_COMMENT_FLAGGED: t('prefs.event.EVENT_TYPE_COMMENT_FLAGGED'),
  EVENT_TYPE_COMMENT_HIDDEN: t('prefs.event.EVENT_TYPE_COMMENT_HIDDEN'),
  EVENT_TYPE_COMMENT_RESTORED: t('prefs.event.EVENT_TYPE_COMMENT_RESTORED'),
  EVENT_TYPE_DISPOSITION_SET: t('prefs.event.EVENT_TYPE_DISPOSITION_SET'),
  EVENT_TYPE_TOPIC_STARTED: t('prefs.event.EVENT_TYPE_TOPIC_STARTED'),
  EVENT_TYPE_PRIVATE_MESSAGE_SENT: t('prefs.event.EVENT_TYPE_PRIVATE_MESSAGE_SENT'),
  EVENT_TYPE_RESOURCE_SHARED: t('prefs.event.EVENT_TYPE_RESOURCE_SHARED'),
  EVENT_TYPE_INITIATIVE_SUBMITTED: t('prefs.event.EVENT_TYPE_INITIATIVE_SUBMITTED'),
  EVENT_TYPE_INITIATIVE_APPROVED: t('prefs.event.EVENT_TYPE_INITIATIVE_APPROVED'),
  EVENT_TYPE_INITIATIVE_RETURNED: t('prefs.event.EVENT_TYPE_INITIATIVE_RETURNED'),
};

const GROUPS = [
  [t('prefs.group.membership'), /^EVENT_TYPE_(MEMBER|API_TOKEN)_/],
  [t('prefs.group.consultations'), /^EVENT_TYPE_(CONSULTATION|DRAFT|ROUND|RECORD)_/],
  [t('prefs.group.comments'), /^EVENT_TYPE_(COMMENT|DISPOSITION)_/],
  [t('prefs.group.community'), /./],
];

export async function preferencesView(ctx) {
  ctx.title(t('prefs.title'));
  const name = `${session.member}/notificationPreferences`;
  let prefs = await get(name, undefined, { signal: ctx.signal });
  const form = h('form', { class: 'form', 'data-testid': 'preferences-form', novalidate: true });
  const build = () => {
    const settings = prefs.eventTypes || [];
    const used = new Set();
    const fieldsets = GROUPS.map(([legend, pattern]) => {
      const mine = settings.filter((s) => !used.has(s.eventType) && pattern.test(s.eventType));
      mine.forEach((s) => used.add(s.eventType));
      if (!mine.length) return null;
      return h('fieldset', { class: 'checkbox-group' },
        h('legend', { text: legend }),
        mine.map((s) => {
          const locked = LOCKED.has(s.eventType);
          const id = `pref-${s.eventType}`;
          return h('div', { class: 'checkbox' },
            h('input', { type: 'checkbox', id, name: s.eventType, checked: locked || !!s.enabled, disabled: locked }),
            h('label', { for: id }, PREF_LABELS[s.eventType] || eventTypeLabel(s.eventType),
              locked ? h('span', { class: 'muted', text: t('prefs.alwaysOn') }) : null));
        }));
    });
    replace(form,
      h('p', { class: 'hint', text: t('prefs.hint') }),
      fieldsets,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', text: t('prefs.save') })));
  };
  build();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const eventTypes = (prefs.eventTypes || []).map((s) => ({
      eventType: s.eventType,
      enabled: LOCKED.has(s.eventType) ? true : form.elements[s.eventType].checked,
    }));
    const saved = await submitting(form, () =>
      patch(name, { name, eventTypes, etag: prefs.etag }, { update_mask: 'event_types' }));
    if (saved) {
      prefs = saved;
      build();
      toast(t('prefs.saved'), 'success');
    }
  });
  ctx.render(
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/notifications', text: t('notifications.title') })),
    pageTitle(t('prefs.title')),
    form);
}

// ---- follows ------------------------------------------------------------------

export async function followsView(ctx) {
  ctx.title(t('notifications.whatIFollow'));
  followsCache = null;
  const follows = [...(await loadFollows()).values()];
  const unique = [...new Map(follows.map((f) => [f.name, f])).values()];
  const list = h('ul', { class: 'plain-list', 'data-testid': 'follow-list' });
  const render = () => {
    replace(list, unique.length ? unique.map((f) => {
      let href = communityHref(f.target) || '#/';
      if (f.target.startsWith('consultations/')) {
        const [, c, , key] = f.target.split('/');
        href = key ? `#/c/${c}/s/${key}` : `#/c/${c}`;
      } else if (f.target.startsWith('comments/')) {
        href = `#/comment/${idOf(f.target)}`;
      }
      const kind = f.target.startsWith('comments/') ? t('follows.thread')
        : f.target.includes('/sections/') ? t('follows.section')
          : f.target.includes('/topics/') ? t('follows.topic')
            : f.target.startsWith('spaces/') ? t('follows.space')
              : f.target.startsWith('resources/') ? t('follows.resource') : t('follows.item');
      return h('li', { class: 'card row' },
        h('div', {},
          h('a', { href, text: f.title || f.target }),
          h('p', { class: 'muted' }, t('follows.followed', { kind }), timeEl(f.createTime))),
        h('button', {
          type: 'button', class: 'button small secondary', text: t('follows.unfollow'),
          onclick: (event) => withButton(event.currentTarget, async () => {
            await unfollow(f.target);
            unique.splice(unique.indexOf(f), 1);
            render();
            announce(t('follows.unfollowedItem', { name: f.title || f.target }));
          }),
        }));
    }) : h('li', { class: 'muted', text: t('follows.none') }));
  };
  render();
  ctx.render(
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/notifications', text: t('notifications.title') })),
    pageTitle(t('notifications.whatIFollow')),
    h('p', { class: 'hint', text: t('follows.hint') }),
    list);
}
