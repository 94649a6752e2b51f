// The resource library: resources filtered by type, country, language,
// SDG goal and tag (the filters live in the address, so a filtered list can
// be shared), newest or most endorsed first; sharing and editing a
// resource; a resource's page with its endorsement and its discussion
// (comments with the resource as target, through discussion.js).

import { get, post, patch, del, requestId } from './api.js';
import { session } from './session.js';
import { markdownBlock } from './markdown.js';
import { followButton } from './notifications.js';
import { discussion, targetAccess } from './discussion.js';
import {
  communityTabs, mayContribute, multiPicker, countryPickerOptions, sdgFieldset, sdgOptions, sdgLabel,
  splitList, splitTags, tagList, RESOURCE_TYPES, resourceTypeLabel, enumOptions, hashWith,
} from './community-ui.js';
import {
  h, replace, idOf, field, submitting, withButton, toast, pageTitle, badge, timeEl,
  countryOptions, countryName, confirmDialog, announce,
} from './ui.js';
import { t } from './i18n.js';

const resourceHref = (r) => `#/library/${idOf(r.name || r)}`;

/** The library's filters from the address. */
function filtersOf(query) {
  return {
    type: query.get('type') || '',
    country: query.get('country') || '',
    language: query.get('language') || '',
    sdg: query.get('sdg') || '',
    tag: query.get('tag') || '',
    order: query.get('order') === 'MOST_ENDORSED' ? 'MOST_ENDORSED' : 'NEWEST',
  };
}

/** Facts of a resource: type, countries, languages, goals. */
function resourceFacts(r, filterHref) {
  const countries = r.countries || [];
  return h('p', { class: 'resource-facts muted small' },
    badge(resourceTypeLabel(r.type), 'published', { 'data-testid': 'resource-type' }), ' ',
    countries.length ? countries.map(countryName).join(', ') : t('library.global'),
    (r.languages || []).length ? [' · ', t('library.languagesList', { list: r.languages.join(', ') })] : null,
    (r.sdgGoals || []).length ? [' · ', (r.sdgGoals || []).map((n) => filterHref
      ? h('a', { href: filterHref({ sdg: n }), title: sdgLabel(n), text: t('sdg.short', { n }) })
      : h('span', { title: sdgLabel(n), text: t('sdg.short', { n }) })).flatMap((el, i) => (i ? [', ', el] : [el]))] : null);
}

export async function libraryView(ctx) {
  ctx.title(t('library.title'));
  const filters = filtersOf(ctx.query);
  // NEWEST is the default order: left out of the address.
  const filterHref = (change) => {
    const next = { ...filters, ...change };
    return hashWith('#/library', { ...next, order: next.order === 'NEWEST' ? '' : next.order });
  };
  const go = (change) => ctx.navigate(filterHref(change));

  // ---- the filters ----
  const type = h('select', { id: 'library-type', 'data-testid': 'library-type' }, enumOptions(RESOURCE_TYPES, resourceTypeLabel, filters.type, t('filter.anyType')));
  const country = h('select', { id: 'library-country', 'data-testid': 'library-country' }, countryOptions(filters.country, { placeholder: t('filter.anyCountry') }));
  const language = h('input', { type: 'text', id: 'library-language', value: filters.language, maxlength: 35, size: 8, 'data-testid': 'library-language' });
  const sdg = h('select', { id: 'library-sdg', 'data-testid': 'library-sdg' }, sdgOptions(filters.sdg));
  const tag = h('input', { type: 'text', id: 'library-tag', value: filters.tag, maxlength: 32, size: 12, 'data-testid': 'library-tag' });
  const order = h('select', { id: 'library-order', 'data-testid': 'library-order' },
    h('option', { value: 'NEWEST', selected: filters.order === 'NEWEST', text: t('library.newest') }),
    h('option', { value: 'MOST_ENDORSED', selected: filters.order === 'MOST_ENDORSED', text: t('library.mostEndorsed') }));
  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': t('library.filters'), 'data-testid': 'library-filters' },
    h('div', { class: 'filter-grid' },
      h('div', { class: 'field' }, h('label', { for: 'library-type', text: t('library.type') }), type),
      h('div', { class: 'field' }, h('label', { for: 'library-country', text: t('library.country') }), country),
      h('div', { class: 'field' }, h('label', { for: 'library-language', text: t('library.language') }), language),
      h('div', { class: 'field' }, h('label', { for: 'library-sdg', text: t('library.sdg') }), sdg),
      h('div', { class: 'field' }, h('label', { for: 'library-tag', text: t('library.tag') }), tag),
      h('div', { class: 'field' }, h('label', { for: 'library-order', text: t('library.order') }), order)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button secondary', text: t('filter.apply'), 'data-testid': 'library-apply' }),
      h('a', { href: '#/library', text: t('filter.clear') })));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    go({ type: type.value, country: country.value, language: language.value.trim(), sdg: sdg.value, tag: tag.value.trim().toLowerCase(), order: order.value });
  });
  // Selects apply at once; text fields on Enter or the button.
  for (const select of [type, country, sdg, order]) select.addEventListener('change', () => filterForm.requestSubmit());

  // ---- the list ----
  const list = h('ul', { class: 'card-list', 'data-testid': 'resource-list' });
  const more = h('button', { type: 'button', class: 'button secondary', text: t('common.showMore'), hidden: true });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'library-status' });
  let pageToken = '';
  const items = [];
  const load = async () => {
    const page = await get('resources', {
      page_size: 30, page_token: pageToken, type: filters.type, country: filters.country,
      language: filters.language, sdg_goal: filters.sdg, tag: filters.tag, order_by: filters.order,
    }, { signal: ctx.signal });
    items.push(...(page.resources || []));
    pageToken = page.nextPageToken || '';
    replace(list, items.map((r) => h('li', { class: 'card resource-card', 'data-testid': 'resource-card', 'data-name': r.name },
      h('h2', { class: 'h3' }, h('a', { href: resourceHref(r), text: r.title, 'data-testid': 'resource-link' })),
      resourceFacts(r, filterHref),
      r.summary ? markdownBlock(r.summary, 'prose description') : null,
      tagList(r.tags, (tg) => filterHref({ tag: tg })),
      h('p', { class: 'muted small' },
        t('library.sharedBy', { name: r.sharedByDisplayName || idOf(r.sharedBy) }), ' ', timeEl(r.createTime, { dateOnly: true }), ' · ',
        h('span', { 'data-testid': 'resource-endorsements', text: t('library.endorsements', { n: r.endorsementCount || 0 }) }), ' · ',
        t('library.comments', { n: r.commentCount || 0 })))));
    status.textContent = items.length ? '' : t('library.none');
    more.hidden = !pageToken;
  };
  more.addEventListener('click', () => withButton(more, load));
  await load();
  ctx.render(
    communityTabs('library'),
    h('div', { class: 'page-head' },
      pageTitle(t('library.title')),
      mayContribute() ? h('a', { class: 'button primary', href: '#/library/share', text: t('library.share'), 'data-testid': 'share-resource' }) : null),
    h('p', { class: 'lead', text: t('library.lead') }),
    filterForm,
    status,
    list,
    more);
}

// ---- sharing and editing ----------------------------------------------------------

const RESOURCE_FIELDS = ['title', 'summary', 'link', 'type', 'countries', 'languages', 'sdg_goals', 'tags'];
const camel = (f) => f.replace(/_([a-z])/g, (m, c) => c.toUpperCase());

export async function resourceFormView(ctx) {
  const editing = !!ctx.params.id;
  const name = editing ? `resources/${ctx.params.id}` : '';
  const resource = editing ? await get(name, undefined, { signal: ctx.signal }) : null;
  const heading = editing ? t('library.editTitle', { title: resource.title }) : t('library.share');
  ctx.title(heading);
  const r = resource || {};
  const title = h('input', { type: 'text', maxlength: 200, required: true, value: r.title || '', 'data-testid': 'resource-title-input' });
  const link = h('input', { type: 'url', maxlength: 2048, required: true, value: r.link || '', placeholder: 'https://', 'data-testid': 'resource-link-input' });
  const type = h('select', { required: true, 'data-testid': 'resource-type-input' }, enumOptions(RESOURCE_TYPES, resourceTypeLabel, r.type || '', t('form.chooseType')));
  const summary = h('textarea', { rows: 5, maxlength: 2000, value: r.summary || '', 'data-testid': 'resource-summary-input' });
  const countries = multiPicker({
    legend: t('library.countries'), hint: t('library.countriesHint'), testid: 'resource-countries',
    options: countryPickerOptions(), selected: r.countries || [], field: 'resource.countries', max: 300,
  });
  const languages = h('input', { type: 'text', value: (r.languages || []).join(', '), 'data-testid': 'resource-languages-input' });
  const goals = sdgFieldset(r.sdgGoals || [], { testid: 'resource-sdg', field: 'resource.sdg_goals' });
  const tags = h('input', { type: 'text', value: (r.tags || []).join(', '), 'data-testid': 'resource-tags-input' });
  let rid = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'resource-form', novalidate: true },
    field(t('library.titleLabel'), title, { field: 'resource.title' }),
    field(t('library.link'), link, { field: 'resource.link', hint: t('library.linkHint') }),
    field(t('library.type'), type, { field: 'resource.type' }),
    field(t('library.summary'), summary, { field: 'resource.summary', optional: true, hint: t('library.summaryHint') }),
    countries.element,
    field(t('library.languages'), languages, { field: 'resource.languages', optional: true, hint: t('library.languagesHint') }),
    goals.element,
    field(t('library.tags'), tags, { field: 'resource.tags', optional: true, hint: t('topic.tagsHint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: editing ? t('library.save') : t('library.shareSubmit'), 'data-testid': 'resource-submit' }),
      h('a', { class: 'button secondary', href: editing ? resourceHref(resource) : '#/library', text: t('common.cancel') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = {
      title: title.value.trim(), summary: summary.value.trim(), link: link.value.trim(), type: type.value || 'TYPE_UNSPECIFIED',
      countries: countries.values(), languages: splitList(languages.value), sdgGoals: goals.values(), tags: splitTags(tags.value),
    };
    let saved;
    if (editing) {
      const same = (f) => JSON.stringify(values[camel(f)]) === JSON.stringify(r[camel(f)] ?? (Array.isArray(values[camel(f)]) ? [] : ''));
      const mask = RESOURCE_FIELDS.filter((f) => !same(f));
      if (!mask.length) {
        ctx.navigate(resourceHref(resource));
        return;
      }
      saved = await submitting(form, () => patch(name, { name, etag: r.etag, ...values }, { update_mask: mask.join(',') }));
    } else {
      saved = await submitting(form, () => post('resources', values, { query: { request_id: rid } }));
      rid = requestId();
    }
    if (!saved) return;
    toast(editing ? t('library.saved') : t('library.shared'), 'success');
    ctx.navigate(resourceHref(saved));
  });
  ctx.render(
    communityTabs('library'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/library', text: t('library.title') })),
    pageTitle(heading),
    form);
}

// ---- a resource ----------------------------------------------------------------------

export async function resourceView(ctx) {
  const name = `resources/${ctx.params.id}`;
  const { signal } = ctx;
  const [resource, access] = await Promise.all([
    get(name, undefined, { signal }),
    targetAccess(name, { signal }).catch(() => ({ mayRead: true, mayPost: false, reason: 'ROLE_MAY_NOT_POST' })),
  ]);
  let r = resource;
  ctx.title(r.title);
  const own = r.sharedBy === session.member;
  const endorseArea = h('div', { class: 'toolbar' });
  const renderEndorse = () => {
    const count = h('span', { class: 'count', 'data-testid': 'endorsement-count', text: ` · ${r.endorsementCount || 0}` });
    replace(endorseArea, own || !mayContribute()
      ? h('span', { class: 'muted', 'data-testid': 'endorsement-count', text: t('library.endorsements', { n: r.endorsementCount || 0 }) })
      : h('button', {
        type: 'button', class: 'button small secondary', 'aria-pressed': String(!!r.endorsedByCaller), 'data-testid': 'endorse-resource',
        onclick: (event) => withButton(event.currentTarget, async () => {
          r = await post(name, {}, { verb: r.endorsedByCaller ? 'unendorse' : 'endorse' });
          announce(r.endorsedByCaller ? t('library.youEndorse') : t('comment.endorsementWithdrawn'));
          renderEndorse();
        }),
      }, r.endorsedByCaller ? t('comment.endorsed') : t('library.endorse'), count),
    followButton(name, 'resource', { testid: 'follow-resource' }),
    own || session.isSecretariat ? h('a', { class: 'button small secondary', href: `#/library/${ctx.params.id}/edit`, text: t('library.edit'), 'data-testid': 'edit-resource' }) : null,
    own || session.isSecretariat ? h('button', {
      type: 'button', class: 'button small ghost danger-text', text: t('library.delete'), 'data-testid': 'delete-resource',
      onclick: async (event) => {
        const button = event.currentTarget;
        const ok = await confirmDialog({
          title: t('library.deleteTitle', { title: r.title }), message: t('library.deleteMessage'),
          confirmLabel: t('library.delete'), danger: true, testid: 'delete-resource-dialog',
        });
        if (!ok) return;
        await withButton(button, async () => {
          await del(name, { etag: r.etag });
          toast(t('library.deleted'), 'success');
          ctx.navigate('#/library');
        });
      },
    }) : null);
  };
  renderEndorse();
  const posts = await discussion(name, {
    access, signal, ctx,
    heading: t('library.discussion'),
    composerLabel: t('library.yourComment'),
    emptyText: access.mayPost ? t('library.beFirst') : t('library.noComments'),
    focus: ctx.query.get('comment'),
  });
  let host = '';
  try {
    host = new URL(r.link).host;
  } catch {
    host = '';
  }
  ctx.render(
    communityTabs('library'),
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/library', text: t('library.title') })),
    h('article', { class: 'resource-view', 'data-testid': 'resource', 'data-name': name },
      pageTitle(r.title, { 'data-testid': 'resource-title' }),
      resourceFacts(r, (change) => hashWith('#/library', change)),
      h('p', {}, h('a', { href: r.link, rel: 'noopener noreferrer nofollow', target: '_blank', class: 'button primary', 'data-testid': 'resource-open' },
        t('library.open'), host ? h('span', { class: 'small', text: ` (${host})` }) : null)),
      r.summary ? markdownBlock(r.summary, 'prose') : null,
      tagList(r.tags, (tg) => hashWith('#/library', { tag: tg })),
      h('p', { class: 'muted small' }, t('library.sharedBy', { name: r.sharedByDisplayName || idOf(r.sharedBy) }), ' ', timeEl(r.createTime)),
      endorseArea),
    posts.element);
}
