// The draft, section by section: a table of contents with comment counts,
// the section's text with the passages comments quote highlighted, what
// changed since the previous round, and the comments beside the text.
// Selecting a passage offers to comment on it (the comment's anchor).

import { get, post, listAll, requestId } from './api.js';
import { session } from './session.js';
import {
  renderMarkdown, selectionToSource, locateAnchor, toCodePoints, codePointLength,
} from './markdown.js';
import { commentCard, typeSelect, threadItems, threadRoots } from './comments.js';
import { followButton } from './notifications.js';
import { roundStatus, isPublished } from './consultations.js';
import { exportControls } from './record.js';
import { communityHref } from './community-ui.js';
import {
  h, replace, idOf, num, field, submitting, toast, announce, notice, errorBox,
  stateBadge, pageTitle, badge, withButton, COMMENT_TYPES, flash, prefersReducedMotion,
} from './ui.js';
import { t } from './i18n.js';

const REASONS = {
  NOT_OPEN: t('reader.reason.NOT_OPEN'),
  ROUND_NOT_STARTED: t('reader.reason.ROUND_NOT_STARTED'),
  ROUND_ENDED: t('reader.reason.ROUND_ENDED'),
  NOT_IN_AUDIENCE: t('reader.reason.NOT_IN_AUDIENCE'),
  ROLE_MAY_NOT_COMMENT: t('reader.reason.ROLE_MAY_NOT_COMMENT'),
  MEMBER_NOT_ACTIVE: t('reader.reason.MEMBER_NOT_ACTIVE'),
  SECTION_REMOVED: t('reader.reason.SECTION_REMOVED'),
};

let tocScroll = 0;

export async function commentRedirectView(ctx) {
  const comment = await get(`comments/${ctx.params.id}`, undefined, { signal: ctx.signal });
  if (comment.target && comment.target.startsWith('consultations/')) {
    const [, c, , key] = comment.target.split('/');
    ctx.navigate(`#/c/${c}/s/${key}?comment=${ctx.params.id}`, { replace: true });
    return;
  }
  const community = communityHref(comment.target, comment.name);
  if (community) {
    ctx.navigate(community, { replace: true });
    return;
  }
  ctx.title(t('reader.comment'));
  ctx.render(pageTitle(t('reader.comment')), commentCard(comment, { me: session.member, readOnly: true }));
}

export async function readerView(ctx) {
  const id = ctx.params.id;
  const name = `consultations/${id}`;
  const { signal } = ctx;
  const [consultation, headings, stats] = await Promise.all([
    get(name, undefined, { signal }),
    listAll(`${name}/sections`, { headings_only: true }, 'sections', { signal, pageSize: 1000 }),
    get('comments:statistics', { scope: name, include_sections: true }, { signal }).catch(() => null),
  ]);
  const present = headings.filter((s) => !s.removed);
  if (!present.length) {
    ctx.title(consultation.title);
    ctx.render(readerHead(consultation, ctx), pageTitle(consultation.title),
      notice(t('reader.noDraft'), 'info'));
    return;
  }
  const key = ctx.params.key || present[0].key;
  const index = present.findIndex((s) => s.key === key);
  if (index < 0) {
    ctx.title(t('reader.sectionNotFound'));
    ctx.render(readerHead(consultation, ctx), pageTitle(t('reader.sectionNotFound')),
      notice([t('reader.missingSection', { key }), h('a', { href: `#/c/${id}`, text: t('reader.goFirstSection') }), '.'], 'warning'));
    return;
  }
  const sectionName = `${name}/sections/${key}`;
  const [section, comments, participation] = await Promise.all([
    get(sectionName, undefined, { signal }),
    listAll('comments', { target: sectionName }, 'comments', { signal }),
    get('consultations:checkParticipation', { target: sectionName }, { signal }).catch((error) => ({ mayComment: false, message: error.message })),
  ]);
  ctx.title(t('reader.sectionTitle', { section: section.title, consultation: consultation.title }));

  const counts = new Map();
  for (const s of (stats && stats.sections) || []) counts.set(idOf(s.scope), num(s.totalCount));

  const state = {
    consultation, section, comments, participation, counts,
    pending: null, // the selected passage being quoted: {start, end, exact}
  };
  const role = session.role;
  const mayAct = role === 'ROLE_MEMBER' || role === 'ROLE_SECRETARIAT' || role === 'ROLE_PARTNER';

  // ---- the table of contents ----
  const tocList = h('ol', { class: 'toc-list' });
  const renderToc = () => {
    replace(tocList, present.map((s) => {
      const n = counts.get(s.key) || 0;
      return h('li', { class: `toc-level-${Math.min(s.level || 1, 4)}` },
        h('a', {
          href: `#/c/${id}/s/${s.key}`,
          'aria-current': s.key === key ? 'location' : null,
          'data-testid': 'toc-link',
          'data-key': s.key,
        },
        h('span', { class: 'toc-title', text: s.title }),
        (consultation.currentVersion || 1) > 1 && s.change === 'ADDED' ? badge(t('reader.badgeNew'), 'new') : null,
        (consultation.currentVersion || 1) > 1 && s.change === 'MODIFIED' ? badge(t('reader.badgeChanged'), 'changed') : null,
        h('span', { class: ['toc-count', n === 0 && 'zero'], 'data-testid': 'toc-count' },
          h('span', { 'aria-hidden': 'true', text: String(n) }),
          h('span', { class: 'visually-hidden', text: `, ${t('reader.commentCount', { n })}` }))));
    }));
  };
  renderToc();
  const toc = h('nav', { class: 'toc', 'aria-label': t('reader.tocLabel'), 'data-testid': 'toc' },
    h('details', { class: 'toc-details', open: window.matchMedia('(min-width: 64em)').matches },
      h('summary', {}, h('span', { class: 'toc-heading', text: t('reader.contents') }), h('span', { class: 'muted small', text: ` · ${t('reader.sectionCount', { n: present.length })}` })),
      tocList));

  // ---- the section's text ----
  const textEl = h('div', { class: 'section-text prose', 'data-testid': 'section-text', lang: 'en' });
  const quoteButton = h('button', {
    type: 'button', class: 'button small primary quote-button', hidden: true, 'data-testid': 'quote-selection',
  }, t('reader.quoteSelection'));
  const textWrap = h('div', { class: 'section-text-wrap' }, textEl, quoteButton);
  const anchoredRoots = () => state.comments.filter((c) => !c.parent && c.anchor && c.anchor.exact && c.state !== 'WITHDRAWN');
  const renderText = () => {
    const src = section.text || '';
    const highlights = [];
    for (const c of anchoredRoots()) {
      const at = locateAnchor(src, c.draftVersion === section.version ? c.anchor : { ...c.anchor, start: 0, end: 0 });
      if (at) highlights.push({ ...at, ids: [idOf(c.name)] });
    }
    if (state.pending) highlights.push({ start: state.pending.start, end: state.pending.end, ids: ['pending'] });
    textEl.replaceChildren(src.trim()
      ? renderMarkdown(src, { highlights })
      : h('p', { class: 'muted', text: t('reader.headingOnly') }));
    for (const mark of textEl.querySelectorAll('mark[data-comments~="pending"]')) mark.classList.add('pending');
  };
  renderText();

  textEl.addEventListener('click', (event) => {
    const mark = event.target.closest('mark.anchor-mark');
    if (!mark || !window.getSelection().isCollapsed) return;
    const ids = mark.dataset.comments.split(' ').filter((x) => x !== 'pending');
    if (ids.length) focusComment(ids[0]);
  });

  // Selecting a passage: a button next to it offers to comment on it.
  let lastSelection = null;
  let selectionTimer = 0;
  const mayComment = !!participation.mayComment;
  const onSelectionChange = () => {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(() => {
      if (!mayComment) return;
      const selected = selectionToSource(textEl, section.text || '');
      if (!selected) {
        if (document.activeElement !== quoteButton) quoteButton.hidden = true;
        return;
      }
      lastSelection = selected;
      const range = window.getSelection().getRangeAt(0);
      const rect = range.getBoundingClientRect();
      const wrapRect = textWrap.getBoundingClientRect();
      quoteButton.hidden = false;
      const width = quoteButton.offsetWidth || 240;
      quoteButton.style.top = `${Math.max(0, rect.bottom - wrapRect.top + 8)}px`;
      quoteButton.style.left = `${Math.max(0, Math.min(rect.left - wrapRect.left, wrapRect.width - width))}px`;
    }, 120);
  };
  document.addEventListener('selectionchange', onSelectionChange);
  ctx.onCleanup(() => document.removeEventListener('selectionchange', onSelectionChange));
  quoteButton.addEventListener('click', () => {
    if (!lastSelection) return;
    if (codePointLength(lastSelection.exact) > 2000) {
      toast(t('reader.tooLong'), 'error');
      return;
    }
    state.pending = lastSelection;
    quoteButton.hidden = true;
    window.getSelection().removeAllRanges();
    renderText();
    composer.setQuote({ ...lastSelection, src: section.text || '' });
  });

  // ---- what changed since the previous round ----
  const changes = await changesPanel(consultation, section, signal);

  // ---- the comments ----
  const published = (round) => isPublished(consultation, round);
  const list = h('ol', { class: 'threads', 'data-testid': 'comment-list' });
  const countEl = h('span', { class: 'muted', 'data-testid': 'comment-count' });
  // How the threads are ordered and which types are shown.
  const order = h('select', { id: 'comment-order', 'data-testid': 'comment-order' },
    h('option', { value: 'oldest', text: t('reader.order.oldest') }),
    h('option', { value: 'newest', text: t('reader.order.newest') }),
    h('option', { value: 'position', text: t('reader.order.position') }),
    h('option', { value: 'endorsed', text: t('reader.order.endorsed') }));
  const typeFilter = h('select', { id: 'comment-type-filter', 'data-testid': 'comment-type-filter' },
    h('option', { value: '', text: t('reader.allTypes') }),
    COMMENT_TYPES.map(([value, label]) => h('option', { value, text: label })));
  const listTools = h('div', { class: 'list-tools' },
    h('div', { class: 'field inline' }, h('label', { for: 'comment-order', text: t('reader.order') }), order),
    h('div', { class: 'field inline' }, h('label', { for: 'comment-type-filter', text: t('reader.show') }), typeFilter));
  order.addEventListener('change', () => renderComments());
  typeFilter.addEventListener('change', () => renderComments());
  const positionOf = (c) => {
    if (!c.anchor || !c.anchor.exact) return Number.MAX_SAFE_INTEGER;
    const at = locateAnchor(section.text || '', c.draftVersion === section.version ? c.anchor : { ...c.anchor, start: 0, end: 0 });
    return at ? at.start : Number.MAX_SAFE_INTEGER - 1;
  };
  const sortRoots = (roots) => {
    const by = {
      oldest: (a, b) => Date.parse(a.createTime) - Date.parse(b.createTime),
      newest: (a, b) => Date.parse(b.createTime) - Date.parse(a.createTime),
      position: (a, b) => positionOf(a) - positionOf(b) || Date.parse(a.createTime) - Date.parse(b.createTime),
      endorsed: (a, b) => (b.endorsementCount || 0) - (a.endorsementCount || 0) || Date.parse(a.createTime) - Date.parse(b.createTime),
    }[order.value];
    return roots.slice().sort(by);
  };

  const renderComments = () => {
    const roots = sortRoots(threadRoots(state.comments).filter((c) =>
      !typeFilter.value || (c.type || 'GENERAL') === typeFilter.value));
    const visibleCount = state.comments.filter((c) => c.state === 'VISIBLE').length;
    countEl.textContent = `(${visibleCount})`;
    counts.set(key, visibleCount);
    renderToc();
    const cardOpts = (c, isReply, parentAuthor) => ({
      me: session.member,
      isSecretariat: session.isSecretariat,
      mayComment,
      mayAct,
      accepting: !!consultation.acceptingComments,
      published: published(c.round),
      isReply,
      parentAuthor,
      onChange: (updated) => {
        const i = state.comments.findIndex((x) => x.name === updated.name);
        if (i >= 0) state.comments[i] = updated;
        renderComments();
        renderText();
        focusComment(idOf(updated.name), { scroll: false });
      },
      onReply: (reply) => {
        state.comments.push(reply);
        renderComments();
        focusComment(idOf(reply.name));
      },
      onQuote: (comment) => showPassage(idOf(comment.name)),
      currentRound: consultation.currentRound,
      actionsExtra: session.isSecretariat && !isReply && c.state === 'VISIBLE'
        ? [h('a', { class: 'button small ghost', href: `#/admin/c/${id}/dispositions/s/${key}?comment=${idOf(c.name)}`, text: t('reader.respond') })]
        : null,
    });
    listTools.hidden = state.comments.length < 2;
    replace(list, threadItems(state.comments, roots, cardOpts,
      typeFilter.value ? t('reader.noneOfType') : mayComment ? t('reader.beFirst') : t('reader.noComments')));
  };

  const composer = commentComposer({
    sectionName,
    text: section.text || '',
    onQuote: (q) => {
      state.pending = q;
      renderText();
    },
    enabled: mayComment,
    reason: participation.mayComment ? '' : (participation.message || REASONS[participation.reason] || t('reader.reason.cannot')),
    onClearQuote: () => {
      state.pending = null;
      renderText();
    },
    onPosted: (comment) => {
      state.pending = null;
      state.comments.push(comment);
      renderComments();
      renderText();
      focusComment(idOf(comment.name));
    },
  });

  const focusComment = (commentId, { scroll = true } = {}) => {
    const card = document.getElementById(`comment-${commentId}`);
    if (!card) return;
    if (scroll) card.scrollIntoView({ block: 'center', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    card.focus({ preventScroll: true });
    flash(card);
  };
  const showPassage = (commentId) => {
    const marks = textEl.querySelectorAll(`mark[data-comments~="${commentId}"]`);
    if (!marks.length) {
      toast(t('reader.passageGone'), 'info');
      return;
    }
    marks[0].scrollIntoView({ block: 'center', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    marks.forEach(flash);
  };

  // New activity in this section (from the live stream): offer to show it
  // rather than re-render under someone typing.
  const activity = h('div', { class: 'activity', role: 'status', 'data-testid': 'new-activity' });
  const reload = async () => {
    state.comments = await listAll('comments', { target: sectionName }, 'comments', { signal });
    activity.replaceChildren();
    renderComments();
    renderText();
    announce(t('reader.updated'));
  };
  const onNotification = (event) => {
    const n = event.detail;
    const payload = n.event ? Object.values(n.event).find((v) => v && typeof v === 'object' && v.comment) : null;
    const target = payload && payload.comment && payload.comment.target;
    if (target !== sectionName) return;
    replace(activity, notice([
      t('reader.newActivity'),
      h('button', { type: 'button', class: 'button small secondary', text: t('reader.showIt'), 'data-testid': 'show-activity', onclick: (e) => withButton(e.currentTarget, reload) }),
    ], 'info'));
  };
  window.addEventListener('cdc:notification', onNotification);
  ctx.onCleanup(() => window.removeEventListener('cdc:notification', onNotification));

  renderComments();

  const prev = present[index - 1];
  const next = present[index + 1];
  const pager = h('nav', { class: 'pager', 'aria-label': t('reader.pagerLabel') },
    prev ? h('a', { href: `#/c/${id}/s/${prev.key}`, rel: 'prev', 'data-testid': 'prev-section' }, h('span', { class: 'muted small', text: t('reader.previous') }), h('span', { text: prev.title })) : h('span'),
    next ? h('a', { href: `#/c/${id}/s/${next.key}`, rel: 'next', class: 'next', 'data-testid': 'next-section' }, h('span', { class: 'muted small', text: t('reader.next') }), h('span', { text: next.title })) : h('span'));

  const article = h('article', { class: 'section-view', 'aria-labelledby': 'section-title', 'data-testid': 'section', 'data-key': key },
    h('p', { class: 'eyebrow' }, t('reader.position', { n: index + 1, total: present.length, version: section.version })),
    h('h1', { id: 'section-title', tabindex: '-1', 'data-testid': 'section-title', text: section.title }),
    changes,
    mayComment ? h('p', { class: 'hint select-hint', text: t('reader.selectHint') }) : null,
    textWrap,
    pager);

  const aside = h('aside', { class: 'comments-pane', 'aria-labelledby': 'comments-heading', 'data-testid': 'comments-pane' },
    h('div', { class: 'pane-head' },
      h('h2', { id: 'comments-heading' }, t('reader.commentsHeading'), countEl),
      followButton(sectionName, 'section', { testid: 'follow-section' })),
    activity,
    composer.element,
    listTools,
    list);

  // When the round opens or closes while the page is open, the page is
  // reloaded, unless someone is writing: then their text stays, and a
  // note says what happened (the server refuses a comment after the close).
  const onExpire = () => {
    if (!composer.hasText()) {
      ctx.refresh();
      return;
    }
    replace(activity, notice(t('reader.roundChanged'), 'warning'));
    announce(t('reader.roundChangedShort'), { assertive: true });
  };
  ctx.render(
    readerHead(consultation, ctx, onExpire),
    h('div', { class: 'reader', 'data-testid': 'reader' }, toc, article, aside));
  const tocScroller = toc.querySelector('.toc-list');
  if (tocScroller) {
    tocScroller.scrollTop = tocScroll;
    ctx.onCleanup(() => {
      tocScroll = tocScroller.scrollTop;
    });
  }

  const focusId = ctx.query.get('comment');
  if (focusId) {
    ctx.focusHandled();
    requestAnimationFrame(() => focusComment(focusId));
  }
}

function readerHead(consultation, ctx, onExpire = () => ctx.refresh()) {
  const id = idOf(consultation.name);
  const published = consultation.state === 'PUBLISHED';
  return h('div', { class: 'reader-head' },
    h('p', { class: 'breadcrumbs' },
      h('a', { href: '#/consultations', text: t('nav.consultations') }), ' › ',
      h('a', { href: `#/c/${id}`, text: consultation.title, 'data-testid': 'consultation-title' })),
    h('div', { class: 'reader-status' },
      stateBadge(consultation),
      roundStatus(consultation, { onExpire }),
      session.isSecretariat ? h('a', { class: 'button small secondary', href: `#/admin/c/${id}`, text: t('reader.manage') }) : null),
    published ? h('details', { class: 'record-download' },
      h('summary', { text: t('reader.download') }),
      exportControls(consultation)) : null);
}

/** What changed in this section since the previous round's version. */
async function changesPanel(consultation, section, signal) {
  const version = section.version || consultation.currentVersion || 1;
  const wrap = h('div', { class: 'changes', 'data-testid': 'section-changes' });
  if (version <= 1) {
    wrap.append(h('p', { class: 'muted small', text: t('reader.firstVersion') }));
    return wrap;
  }
  const previous = (consultation.rounds || [])
    .map((r) => r.draftVersion || 0)
    .filter((v) => v && v < version)
    .sort((a, b) => b - a)[0] || version - 1;
  if (section.change === 'UNCHANGED') {
    wrap.append(h('p', { class: 'muted small', text: t('reader.unchangedSince', { version: previous }) }));
    return wrap;
  }
  if (section.change === 'ADDED' && previous === version - 1) {
    wrap.append(h('p', {}, badge(t('reader.badgeNew'), 'new'), t('reader.newInVersion', { version })));
    return wrap;
  }
  let diff;
  try {
    diff = await get(section.name, { from_version: previous, to_version: version }, { signal, verb: 'diff' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    wrap.append(errorBox(error));
    return wrap;
  }
  if (diff.change === 'UNCHANGED') {
    wrap.append(h('p', { class: 'muted small', text: t('reader.unchangedSince', { version: previous }) }));
    return wrap;
  }
  if (diff.change === 'ADDED') {
    wrap.append(h('p', {}, badge(t('reader.badgeNew'), 'new'), t('reader.newSinceVersion', { version: previous })));
    return wrap;
  }
  const lines = diff.lines || [];
  const added = lines.filter((l) => l.op === 'INSERT').length;
  const removed = lines.filter((l) => l.op === 'DELETE').length;
  const details = h('details', { class: 'diff', 'data-testid': 'section-diff' },
    h('summary', {},
      badge(t('reader.badgeChanged'), 'changed'),
      t('reader.changedSince', { version: previous, added, removed, moved: !!diff.moved })),
    diff.fromTitle && diff.fromTitle !== diff.toTitle
      ? h('p', {}, t('reader.titleWas'), h('del', { text: diff.fromTitle }))
      : null,
    h('ol', { class: 'diff-lines' }, lines.map((l) => {
      const kind = l.op === 'INSERT' ? 'ins' : l.op === 'DELETE' ? 'del' : 'eq';
      return h('li', { class: `diff-${kind}` },
        h('span', { class: 'visually-hidden', text: kind === 'ins' ? t('reader.added') : kind === 'del' ? t('reader.removed') : '' }),
        h(kind === 'ins' ? 'ins' : kind === 'del' ? 'del' : 'span', { text: l.text || ' ' }));
    })));
  wrap.append(details);
  return wrap;
}

/** The form for a new comment on the section, with its quoted passage. */
function commentComposer({ sectionName, text, enabled, reason, onPosted, onClearQuote, onQuote }) {
  if (!enabled) {
    return { element: notice(reason, 'info', { 'data-testid': 'cannot-comment' }), setQuote() {}, hasText: () => false };
  }
  let quote = null;
  let rid = requestId();
  const quoteText = h('blockquote', { class: 'composer-quote', 'data-testid': 'composer-quote' });
  const quoteBox = h('div', { class: 'quote-box', hidden: true },
    h('p', { class: 'label', text: t('reader.quoted') }),
    quoteText,
    h('button', {
      type: 'button', class: 'button small ghost', text: t('reader.removeQuote'), 'data-testid': 'clear-quote',
      onclick: () => {
        setQuote(null);
        onClearQuote();
        body.focus();
      },
    }));
  const type = typeSelect('GENERAL', { 'data-testid': 'comment-type' });
  const body = h('textarea', { name: 'body', rows: 5, required: true, maxlength: 10000, 'data-testid': 'comment-body' });
  const proposed = h('textarea', { name: 'proposedChange', rows: 3, maxlength: 10000, 'data-testid': 'comment-proposed-change' });
  const hint = h('p', { class: 'hint', text: t('reader.quoteHint') });
  // Without a mouse (or on a touch screen), a passage can be typed or
  // pasted instead of selected: it is found in the text, white space
  // being flexible.
  const typed = h('input', { type: 'text', maxlength: 2000, 'data-testid': 'typed-quote' });
  const typedError = h('p', { class: 'field-error', hidden: true, id: 'typed-quote-error' });
  typed.setAttribute('aria-describedby', 'typed-quote-error');
  const typedBox = h('details', { class: 'typed-quote' },
    h('summary', { text: t('reader.typeQuote') }),
    h('div', { class: 'field' },
      h('label', { for: 'typed-quote', text: t('reader.typedLabel') }),
      typed,
      typedError),
    h('button', {
      type: 'button', class: 'button small secondary', text: t('reader.quoteThis'), 'data-testid': 'typed-quote-submit',
      onclick: () => {
        const found = findPassage(text, typed.value);
        if (found.error) {
          typed.setAttribute('aria-invalid', 'true');
          typedError.textContent = found.error;
          typedError.hidden = false;
          typed.focus();
          return;
        }
        typed.removeAttribute('aria-invalid');
        typedError.hidden = true;
        typed.value = '';
        typedBox.open = false;
        const q = { ...found, src: text };
        onQuote(q);
        setQuote(q);
      },
    }));
  typed.id = 'typed-quote';
  typed.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      typedBox.querySelector('button').click();
    }
  });
  const form = h('form', { class: 'composer', 'data-testid': 'comment-form', novalidate: true, 'aria-labelledby': 'composer-heading' },
    h('h3', { id: 'composer-heading', text: t('reader.composerHeading') }),
    hint,
    typedBox,
    quoteBox,
    field(t('reader.type'), type, { field: 'comment.type' }),
    field(t('reader.comment'), body, { field: 'comment.body', hint: t('reader.bodyHint') }),
    field(t('reader.proposed'), proposed, { field: 'comment.proposed_change', optional: true, hint: t('reader.proposedHint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('reader.post'), 'data-testid': 'comment-submit' })));

  function setQuote(q) {
    quote = q;
    quoteBox.hidden = !q;
    hint.hidden = !!q;
    typedBox.hidden = !!q;
    quoteText.textContent = q ? q.exact : '';
    if (q) {
      form.scrollIntoView({ block: 'nearest', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
      body.focus({ preventScroll: true });
      announce(t('reader.quotedAnnounce'));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!body.value.trim()) {
      body.setAttribute('aria-invalid', 'true');
      body.focus();
      return;
    }
    const comment = {
      target: sectionName,
      type: type.value,
      body: body.value.trim(),
      proposedChange: proposed.value.trim(),
    };
    if (quote) {
      // Offsets in code points of the section's text, as the API counts.
      const src = quote.src;
      const start = toCodePoints(src, quote.start);
      comment.anchor = { exact: quote.exact, start, end: start + codePointLength(quote.exact) };
    }
    const created = await submitting(form, () => post('comments', comment, { query: { request_id: rid } }));
    if (!created) return;
    rid = requestId();
    body.value = '';
    proposed.value = '';
    type.value = 'GENERAL';
    setQuote(null);
    toast(t('reader.posted'), 'success');
    onPosted(created);
  });

  return {
    element: form,
    setQuote: (q) => setQuote(q),
    // The composer's text, or a reply or edit being written.
    hasText: () => [...document.querySelectorAll('.comments-pane textarea')].some((t) => t.value.trim()),
  };
}


/**
 * Finds a typed passage in the section's text, white space matching any
 * white space: {start, end, exact} (UTF-16 offsets), or {error}.
 */
export function findPassage(src, typed) {
  const words = String(typed || '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return { error: t('reader.typeFirst') };
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'g');
  const matches = [...src.matchAll(pattern)];
  if (!matches.length) return { error: t('reader.notInText') };
  if (matches.length > 1) return { error: t('reader.occurs', { n: matches.length }) };
  const start = matches[0].index;
  const exact = matches[0][0];
  if (codePointLength(exact) > 2000) return { error: t('reader.tooLongTyped') };
  return { start, end: start + exact.length, exact };
}
