// The application shell: header and navigation, the hash router, focus
// management on navigation, and the live notification stream's lifecycle.
//
// Routes are "#/path?query". Each view is `async view(ctx)`: it renders
// into ctx.render(...) and may register cleanups with ctx.onCleanup; its
// ctx.signal is aborted when the person navigates away.

import { t, lang, LANGUAGES, setLanguage, applyDocument } from './i18n.js';
import { session, restoreSession, onSessionChange, signOut } from './session.js';
import { listAll } from './api.js';
import { h, replace, errorBox, loading, pageTitle, notice, toast, roleLabel } from './ui.js';
import { bell, startLive, stopLive } from './notifications.js';
import * as notifications from './notifications.js';
import * as members from './members.js';
import * as consultations from './consultations.js';
import * as reader from './reader.js';
import * as adminMembers from './admin-members.js';
import * as adminTokens from './admin-tokens.js';
import * as adminConsultations from './admin-consultations.js';
import * as moderation from './moderation.js';
import * as dispositions from './dispositions.js';
import * as statistics from './statistics.js';
import * as community from './community.js';
import * as conversations from './conversations.js';
import * as library from './library.js';
import * as initiatives from './initiatives.js';
import * as search from './search.js';
import { communityHome } from './community-ui.js';

const SITE = t('shell.site');

// auth: 'guest' (signed-out pages), 'any' (no sign-in needed), 'member'
// (signed in), 'inbox' (signed in with an inbox), 'secretariat'.
const ROUTES = [
  { path: '', auth: 'any', view: (ctx) => (session.signedIn ? consultations.listView(ctx) : members.welcomeView(ctx)) },
  { path: 'sign-in', auth: 'guest', view: members.signInView },
  { path: 'apply', auth: 'guest', view: members.applyView },
  { path: 'profile', auth: 'member', view: members.profileView, nav: 'profile' },
  { path: 'consultations', auth: 'member', view: consultations.listView, nav: 'consultations' },
  { path: 'c/:id', auth: 'member', view: reader.readerView, nav: 'consultations' },
  { path: 'c/:id/s/:key', auth: 'member', view: reader.readerView, nav: 'consultations' },
  { path: 'comment/:id', auth: 'member', view: reader.commentRedirectView, nav: 'consultations' },
  { path: 'notifications', auth: 'inbox', view: notifications.inboxView, nav: 'notifications' },
  { path: 'notifications/preferences', auth: 'inbox', view: notifications.preferencesView, nav: 'notifications' },
  { path: 'follows', auth: 'inbox', view: notifications.followsView, nav: 'notifications' },
  { path: 'admin/members', auth: 'secretariat', view: adminMembers.membersView, nav: 'admin-members' },
  { path: 'admin/tokens', auth: 'secretariat', view: adminTokens.tokensView, nav: 'admin-tokens' },
  { path: 'admin/consultations', auth: 'secretariat', view: adminConsultations.listView, nav: 'admin-consultations' },
  { path: 'admin/consultations/new', auth: 'secretariat', view: adminConsultations.newView, nav: 'admin-consultations' },
  { path: 'admin/c/:id', auth: 'secretariat', view: adminConsultations.manageView, nav: 'admin-consultations' },
  { path: 'admin/c/:id/dispositions', auth: 'secretariat', view: dispositions.dispositionsView, nav: 'admin-consultations' },
  { path: 'admin/c/:id/dispositions/s/:key', auth: 'secretariat', view: dispositions.dispositionsView, nav: 'admin-consultations' },
  { path: 'admin/c/:id/statistics', auth: 'secretariat', view: statistics.statisticsView, nav: 'admin-consultations' },
  { path: 'admin/moderation', auth: 'secretariat', view: moderation.moderationView, nav: 'admin-moderation' },
  // The community of practice (a fixed path before a variable one).
  { path: 'community', auth: 'member', view: (ctx) => ctx.navigate(communityHome(), { replace: true }), nav: 'community' },
  { path: 'spaces', auth: 'member', view: community.spacesView, nav: 'community' },
  { path: 'spaces/new', auth: 'secretariat', view: community.spaceFormView, nav: 'community' },
  { path: 'spaces/:space', auth: 'member', view: community.spaceView, nav: 'community' },
  { path: 'spaces/:space/edit', auth: 'secretariat', view: community.spaceFormView, nav: 'community' },
  { path: 'spaces/:space/members', auth: 'member', view: community.spaceMembersView, nav: 'community' },
  { path: 'spaces/:space/new-topic', auth: 'member', view: community.newTopicView, nav: 'community' },
  { path: 'spaces/:space/topics/:topic', auth: 'member', view: community.topicView, nav: 'community' },
  { path: 'messages', auth: 'member', view: conversations.conversationsView, nav: 'community' },
  { path: 'messages/new', auth: 'member', view: conversations.newConversationView, nav: 'community' },
  { path: 'messages/blocked', auth: 'member', view: conversations.blockedView, nav: 'community' },
  { path: 'messages/:id', auth: 'member', view: conversations.conversationView, nav: 'community' },
  { path: 'library', auth: 'member', view: library.libraryView, nav: 'community' },
  { path: 'library/share', auth: 'member', view: library.resourceFormView, nav: 'community' },
  { path: 'library/:id', auth: 'member', view: library.resourceView, nav: 'community' },
  { path: 'library/:id/edit', auth: 'member', view: library.resourceFormView, nav: 'community' },
  { path: 'map', auth: 'member', view: initiatives.mapView, nav: 'community' },
  { path: 'initiatives/new', auth: 'member', view: initiatives.initiativeFormView, nav: 'community' },
  { path: 'initiatives/mine', auth: 'member', view: initiatives.myInitiativesView, nav: 'community' },
  { path: 'initiatives/review', auth: 'secretariat', view: initiatives.reviewQueueView, nav: 'community' },
  { path: 'initiatives/:id', auth: 'member', view: initiatives.initiativeView, nav: 'community' },
  { path: 'initiatives/:id/edit', auth: 'member', view: initiatives.initiativeFormView, nav: 'community' },
  { path: 'search', auth: 'member', view: search.searchView, nav: 'community' },
].map((route) => ({ ...route, parts: route.path ? route.path.split('/') : [] }));

function parseHash() {
  const raw = decodeURI(location.hash.replace(/^#\/?/, ''));
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/\/+$/, '');
  return { path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function match(path) {
  const parts = path ? path.split('/') : [];
  for (const route of ROUTES) {
    if (route.parts.length !== parts.length) continue;
    const params = {};
    let ok = true;
    route.parts.forEach((part, i) => {
      if (part.startsWith(':')) {
        if (!parts[i]) ok = false;
        params[part.slice(1)] = parts[i];
      } else if (part !== parts[i]) {
        ok = false;
      }
    });
    if (ok) return { route, params };
  }
  return null;
}

export function navigate(hash, { replace: replaceEntry = false } = {}) {
  const target = hash.startsWith('#') ? hash : `#${hash}`;
  if (replaceEntry) {
    history.replaceState(null, '', target);
    run();
  } else if (location.hash === target) {
    run();
  } else {
    location.hash = target;
  }
}

// ---- the shell ----------------------------------------------------------------

const main = document.getElementById('main');
const navList = document.getElementById('nav-links');
const tools = document.getElementById('header-tools');
const menuToggle = document.getElementById('menu-toggle');
const nav = document.getElementById('primary-nav');
let currentNav = '';

function navLink(href, text, key, extra = {}) {
  return h('li', {}, h('a', { href, 'aria-current': key === currentNav ? 'page' : null, ...extra }, text));
}

function renderHeader() {
  if (!session.signedIn) {
    replace(navList,
      navLink('#/sign-in', t('nav.signIn'), 'sign-in', { 'data-testid': 'nav-sign-in' }),
      navLink('#/apply', t('nav.apply'), 'apply', { 'data-testid': 'nav-apply' }));
    replace(tools);
    return;
  }
  const items = [
    navLink('#/consultations', t('nav.consultations'), 'consultations', { 'data-testid': 'nav-consultations' }),
    navLink(communityHome(), t('nav.community'), 'community', { 'data-testid': 'nav-community' }),
  ];
  if (session.isSecretariat) {
    items.push(
      navLink('#/admin/members', [t('nav.members'), pendingBadge()], 'admin-members', { 'data-testid': 'nav-admin-members' }),
      navLink('#/admin/consultations', t('nav.manageConsultations'), 'admin-consultations', { 'data-testid': 'nav-admin-consultations' }),
      navLink('#/admin/moderation', t('nav.moderation'), 'admin-moderation', { 'data-testid': 'nav-admin-moderation' }),
      navLink('#/admin/tokens', t('nav.tokens'), 'admin-tokens', { 'data-testid': 'nav-admin-tokens' }));
  }
  // On narrow screens the profile and sign-out live in the menu.
  items.push(
    h('li', { class: 'mobile-only' }, h('a', { href: '#/profile', 'aria-current': currentNav === 'profile' ? 'page' : null, text: t('nav.myProfileNamed', { name: session.principal.displayName || t('nav.me') }) })),
    h('li', { class: 'mobile-only' }, h('button', { type: 'button', class: 'nav-button', text: t('nav.signOut'), onclick: doSignOut })));
  replace(navList, items);
  const p = session.principal;
  replace(tools,
    session.hasInbox ? bell() : null,
    h('a', {
      href: '#/profile', class: 'user-link desktop-only', 'data-testid': 'nav-profile',
      'aria-current': currentNav === 'profile' ? 'page' : null,
      title: `${roleLabel(p.role)} · ${p.organisation || ''}`,
    }, h('span', { class: 'user-name', text: p.displayName || t('nav.myProfile') }), h('span', { class: 'user-role', text: roleLabel(p.role) })),
    h('button', {
      type: 'button', class: 'button small secondary desktop-only', text: t('nav.signOut'), 'data-testid': 'sign-out',
      onclick: doSignOut,
    }));
}

// The secretariat sees how many applications wait, next to "Members".
let pendingCount = 0;
function pendingBadge() {
  return h('span', {
    class: 'nav-count', hidden: !pendingCount, 'data-testid': 'pending-count',
  }, h('span', { 'aria-hidden': 'true', text: String(pendingCount) }),
  h('span', { class: 'visually-hidden', text: ` (${t('nav.pending', { n: pendingCount })})` }));
}
async function refreshPending() {
  if (!session.isSecretariat) return;
  try {
    const waiting = await listAll('members', { state: 'PENDING' }, 'members', { max: 1000 });
    pendingCount = waiting.length;
  } catch {
    return;
  }
  const link = navList.querySelector('[data-testid="nav-admin-members"]');
  const old = link && link.querySelector('.nav-count');
  if (old) old.replaceWith(pendingBadge());
}
window.addEventListener('cdc:notification', (event) => {
  if (event.detail && event.detail.eventType === 'EVENT_TYPE_MEMBER_APPLIED') refreshPending();
});
window.addEventListener('cdc:members-changed', refreshPending);

async function doSignOut() {
  await signOut();
  toast(t('nav.signedOut'), 'info');
  navigate('#/sign-in');
}

menuToggle.addEventListener('click', () => {
  const open = menuToggle.getAttribute('aria-expanded') !== 'true';
  menuToggle.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
});

document.getElementById('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  const heading = main.querySelector('h1');
  (heading || main).focus();
});

// ---- running a view -----------------------------------------------------------

let current = null;
let navigations = 0;

async function run() {
  const { path, query } = parseHash();
  if (current) {
    current.controller.abort();
    for (const cleanup of current.cleanups) {
      try {
        cleanup();
      } catch {
        // A failing cleanup must not stop the next view.
      }
    }
  }
  navigations += 1;
  const controller = new AbortController();
  const state = { controller, cleanups: [], focusHandled: false };
  current = state;
  nav.classList.remove('open');
  menuToggle.setAttribute('aria-expanded', 'false');

  const found = match(path);
  currentNav = found ? found.route.nav || path : '';
  renderHeader();

  const container = h('div', { class: 'view' }, loading());
  main.replaceChildren(container);
  const ctx = {
    params: found ? found.params : {},
    query,
    path,
    signal: controller.signal,
    title(text) {
      if (!controller.signal.aborted) document.title = text ? `${text} — ${SITE}` : SITE;
    },
    render(...children) {
      if (!controller.signal.aborted) replace(container, children);
    },
    onCleanup(fn) {
      state.cleanups.push(fn);
    },
    /** The view moved focus itself (to a comment, say). */
    focusHandled() {
      state.focusHandled = true;
    },
    navigate,
    refresh: () => run(),
  };

  if (!found) {
    ctx.title(t('app.notFound'));
    ctx.render(pageTitle(t('app.notFound')),
      h('p', {}, t('app.noPageHere'), ' ', h('a', { href: '#/', text: t('app.goStart') }), '.'));
  } else if (!allowed(found.route, path, query, ctx)) {
    return;
  } else {
    try {
      await found.route.view(ctx);
    } catch (error) {
      if (controller.signal.aborted || (error && error.name === 'AbortError')) return;
      const heading = error && error.code === 5 ? t('app.notFoundShort') : error && error.code === 7 ? t('app.notAllowed') : t('common.somethingWrong');
      ctx.title(heading);
      ctx.render(pageTitle(heading), errorBox(error, { retry: error && (error.code === 5 || error.code === 7) ? null : () => run() }),
        h('p', {}, h('a', { href: '#/', text: t('app.goStart') })));
    }
  }
  if (controller.signal.aborted) return;
  if (!state.focusHandled && navigations > 1) {
    const heading = container.querySelector('h1');
    if (heading) heading.focus({ preventScroll: false });
    window.scrollTo({ top: 0 });
  }
}

function allowed(route, path, query, ctx) {
  const auth = route.auth;
  if (auth === 'guest' && session.signedIn) {
    navigate(query.get('next') || '#/consultations', { replace: true });
    return false;
  }
  if ((auth === 'member' || auth === 'inbox' || auth === 'secretariat') && !session.signedIn) {
    const next = `#/${path}${query.toString() ? `?${query}` : ''}`;
    navigate(`#/sign-in?next=${encodeURIComponent(next)}`, { replace: true });
    return false;
  }
  if ((auth === 'secretariat' && !session.isSecretariat) || (auth === 'inbox' && !session.hasInbox)) {
    ctx.title(t('app.notAllowed'));
    ctx.render(pageTitle(t('app.notAllowed')),
      notice(t('app.secretariatOnly'), 'warning'));
    return false;
  }
  return true;
}

window.addEventListener('hashchange', run);

onSessionChange(() => {
  if (session.signedIn && session.hasInbox) startLive();
  else stopLive();
  pendingCount = 0;
  renderHeader();
  refreshPending();
  if (!session.signedIn) {
    const reason = session.takeEndedReason();
    if (reason) {
      toast(reason, 'error', { timeout: 10000 });
      const { path } = parseHash();
      const found = match(path);
      if (found && found.route.auth !== 'guest' && found.route.auth !== 'any') run();
    }
  }
});

// The language: <html lang dir>, the static shell's strings, the switcher.
applyDocument();
const languageSelect = document.getElementById('language-select');
if (languageSelect) {
  languageSelect.replaceChildren(...Object.entries(LANGUAGES).map(([code, l]) =>
    h('option', { value: code, lang: code, selected: code === lang, text: l.name })));
  languageSelect.addEventListener('change', () => setLanguage(languageSelect.value));
}

async function boot() {
  try {
    await restoreSession();
  } catch (error) {
    main.replaceChildren(h('div', { class: 'view' }, pageTitle(t('app.unavailable')), errorBox(error, { retry: () => location.reload() })));
    return;
  }
  if (session.signedIn && session.hasInbox) startLive();
  renderHeader();
  refreshPending();
  const reason = session.takeEndedReason();
  if (reason) toast(reason, 'error', { timeout: 10000 });
  await run();
  document.body.dataset.ready = 'true';
}

boot();
