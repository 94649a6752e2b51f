// Statistics of a consultation's comments: per section, type, disposition,
// organisation type and country, as bar charts (tables with CSS bars, so
// that they read well without sight), and the record export.

import { get } from './api.js';
import { exportControls } from './record.js';
import {
  h, idOf, num, pageTitle, barChart, commentTypeLabel, outcomeLabel, orgTypeLabel,
  countryName,
} from './ui.js';
import { t } from './i18n.js';

export async function statisticsView(ctx) {
  const id = ctx.params.id;
  const name = `consultations/${id}`;
  const c = await get(name, undefined, { signal: ctx.signal });
  const round = Number(ctx.query.get('round') || 0);
  const stats = await get('comments:statistics', { scope: name, round, include_sections: true }, { signal: ctx.signal });
  ctx.title(t('statistics.titleOf', { title: c.title }));

  const total = num(stats.totalCount);
  const tiles = [
    [t('statistics.total'), total, 'stat-total'],
    [t('statistics.topLevel'), num(stats.topLevelCount), 'stat-top-level'],
    [t('statistics.replies'), num(stats.replyCount), 'stat-replies'],
    [t('statistics.authors'), num(stats.authorCount), 'stat-authors'],
    [t('statistics.organisations'), num(stats.organisationCount), 'stat-organisations'],
    [t('statistics.awaiting'), num(stats.awaitingDisposition), 'stat-awaiting'],
  ];
  const bySection = (stats.sections || []).map((s) => [s.sectionTitle || idOf(s.scope), num(s.totalCount)]);
  const byType = (stats.byType || []).map((x) => [commentTypeLabel(x.type), num(x.count)]);
  const byDisposition = (stats.byDisposition || []).map((d) => [d.outcome ? outcomeLabel(d.outcome) : t('statistics.awaiting'), num(d.count)]);
  const byOrg = (stats.byOrganisationType || []).map((o) => [orgTypeLabel(o.organisationType), num(o.count)]).sort((a, b) => b[1] - a[1]);
  const byCountry = (stats.byCountry || []).map((x) => [`${countryName(x.country)} (${x.country})`, num(x.count)]).sort((a, b) => b[1] - a[1]);

  ctx.render(
    h('p', { class: 'breadcrumbs' },
      h('a', { href: '#/admin/consultations', text: t('statistics.manage') }), ' › ',
      h('a', { href: `#/admin/c/${id}`, text: c.title })),
    pageTitle(t('statistics.title')),
    h('p', { class: 'hint', text: t('statistics.hint') }),
    (c.rounds || []).length
      ? h('nav', { class: 'tabs', 'aria-label': t('statistics.rounds') },
        h('a', { href: `#/admin/c/${id}/statistics`, 'aria-current': round === 0 ? 'page' : null, text: t('statistics.allRounds') }),
        (c.rounds || []).map((r) => h('a', {
          href: `#/admin/c/${id}/statistics?round=${r.number}`,
          'aria-current': round === r.number ? 'page' : null,
          text: t('statistics.round', { n: r.number }),
        })))
      : null,
    h('ul', { class: 'stat-tiles', 'data-testid': 'stat-tiles' }, tiles.map(([label, value, testid]) =>
      h('li', { class: 'stat-tile', 'data-testid': testid },
        h('span', { class: 'stat-value', text: String(value) }),
        h('span', { class: 'stat-label', text: label })))),
    h('div', { class: 'charts' },
      barChart(t('statistics.perSection'), bySection, { testid: 'chart-sections', total }),
      barChart(t('statistics.byType'), byType, { testid: 'chart-types', total }),
      barChart(t('statistics.byDisposition'), byDisposition, { testid: 'chart-dispositions', total }),
      barChart(t('statistics.byOrgType'), byOrg, { testid: 'chart-organisation-types', total }),
      barChart(t('statistics.byCountry'), byCountry, { testid: 'chart-countries', total })),
    h('section', { class: 'card', 'aria-labelledby': 'export-h' },
      h('h2', { id: 'export-h', text: t('statistics.export') }),
      exportControls(c)));
}
