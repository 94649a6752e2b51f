// Search across the community: topics, posts, resources and initiatives
// holding every word, best first, only among what the caller may read (the
// server decides). One box; each hit says what kind it is, shows its
// snippet and links to its page (a post opens its topic or resource at it).

import { get } from './api.js';
import { communityTabs, communityHref, hashWith } from './community-ui.js';
import { h, replace, withButton, pageTitle, badge, relativeTime, announce } from './ui.js';
import { t } from './i18n.js';

const KINDS = ['TOPIC', 'POST', 'RESOURCE', 'INITIATIVE'];
const KIND_BADGE = { TOPIC: 'open', POST: 'draft', RESOURCE: 'published', INITIATIVE: 'scheduled' };

function hitHref(hit) {
  if (hit.kind === 'POST') return communityHref(hit.parent, hit.name);
  return communityHref(hit.name);
}

function hitItem(hit) {
  const href = hitHref(hit);
  return h('li', { class: 'search-hit', 'data-testid': 'search-hit', 'data-kind': hit.kind, 'data-name': hit.name },
    h('p', { class: 'hit-head' },
      badge(t(`search.kind.${hit.kind}`), KIND_BADGE[hit.kind] || '', { 'data-testid': 'hit-kind' }),
      ' ',
      href ? h('a', { href, 'data-testid': 'hit-link', text: hit.title || hit.name }) : h('span', { text: hit.title || hit.name }),
      hit.kind === 'POST' ? h('span', { class: 'muted small', text: ` · ${t('search.postIn')}` }) : null),
    hit.snippet ? h('p', { class: 'snippet', text: hit.snippet }) : null,
    hit.updateTime ? h('p', { class: 'muted small', text: relativeTime(hit.updateTime) }) : null);
}

export async function searchView(ctx) {
  const query = ctx.query.get('q') || '';
  const kind = KINDS.includes(ctx.query.get('kind')) ? ctx.query.get('kind') : '';
  ctx.title(query ? t('search.titleFor', { q: query }) : t('search.title'));
  const box = h('input', { type: 'search', id: 'search-query', value: query, maxlength: 200, required: true, 'data-testid': 'search-input' });
  const kindSelect = h('select', { id: 'search-kind', 'data-testid': 'search-kind' },
    h('option', { value: '', text: t('search.allKinds') }),
    KINDS.map((k) => h('option', { value: k, selected: k === kind, text: t(`search.kinds.${k}`) })));
  const form = h('form', { class: 'search-form', role: 'search', 'data-testid': 'search-form' },
    h('div', { class: 'field' }, h('label', { for: 'search-query', text: t('search.label') }), box),
    h('div', { class: 'field' }, h('label', { for: 'search-kind', text: t('search.kind') }), kindSelect),
    h('button', { type: 'submit', class: 'button primary', text: t('search.submit'), 'data-testid': 'search-submit' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = box.value.trim();
    if (!q) {
      box.setAttribute('aria-invalid', 'true');
      box.focus();
      return;
    }
    ctx.navigate(hashWith('#/search', { q, kind: kindSelect.value }));
  });
  kindSelect.addEventListener('change', () => {
    if (box.value.trim()) form.requestSubmit();
  });

  const results = h('ol', { class: 'search-results', 'data-testid': 'search-results' });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'search-status' });
  const more = h('button', { type: 'button', class: 'button secondary', text: t('common.showMore'), hidden: true });
  let pageToken = '';
  let shown = 0;
  const load = async () => {
    const page = await get('search', { query, kinds: kind ? [kind] : [], page_size: 30, page_token: pageToken }, { signal: ctx.signal });
    const hits = page.hits || [];
    results.append(...hits.map(hitItem));
    shown += hits.length;
    pageToken = page.nextPageToken || '';
    more.hidden = !pageToken;
    status.textContent = shown ? t('search.count', { n: page.totalSize || shown }) : t('search.none', { q: query });
    announce(status.textContent);
  };
  more.addEventListener('click', () => withButton(more, load));
  if (query) await load();
  else replace(results);
  ctx.render(
    communityTabs('search'),
    pageTitle(t('search.title')),
    h('p', { class: 'hint', text: t('search.hint') }),
    form,
    status,
    results,
    more);
  if (!query) {
    ctx.focusHandled();
    requestAnimationFrame(() => box.focus());
  }
}
