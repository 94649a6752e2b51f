// Statistics of a consultation's comments: per section, type, disposition,
// organisation type and country, as bar charts (tables with CSS bars, so
// that they read well without sight), and the record export.

import { get } from './api.js';
import { exportControls } from './record.js';
import {
  h, idOf, num, pageTitle, barChart, commentTypeLabel, outcomeLabel, orgTypeLabel,
  countryName,
} from './ui.js';

export async function statisticsView(ctx) {
  const id = ctx.params.id;
  const name = `consultations/${id}`;
  const c = await get(name, undefined, { signal: ctx.signal });
  const round = Number(ctx.query.get('round') || 0);
  const stats = await get('comments:statistics', { scope: name, round, include_sections: true }, { signal: ctx.signal });
  ctx.title(`Statistics — ${c.title}`);

  const total = num(stats.totalCount);
  const tiles = [
    ['Comments and replies', total, 'stat-total'],
    ['Comments', num(stats.topLevelCount), 'stat-top-level'],
    ['Replies', num(stats.replyCount), 'stat-replies'],
    ['Authors', num(stats.authorCount), 'stat-authors'],
    ['Organisations', num(stats.organisationCount), 'stat-organisations'],
    ['Awaiting a disposition', num(stats.awaitingDisposition), 'stat-awaiting'],
  ];
  const bySection = (stats.sections || []).map((s) => [s.sectionTitle || idOf(s.scope), num(s.totalCount)]);
  const byType = (stats.byType || []).map((t) => [commentTypeLabel(t.type), num(t.count)]);
  const byDisposition = (stats.byDisposition || []).map((d) => [d.outcome ? outcomeLabel(d.outcome) : 'Awaiting a disposition', num(d.count)]);
  const byOrg = (stats.byOrganisationType || []).map((o) => [orgTypeLabel(o.organisationType), num(o.count)]).sort((a, b) => b[1] - a[1]);
  const byCountry = (stats.byCountry || []).map((x) => [`${countryName(x.country)} (${x.country})`, num(x.count)]).sort((a, b) => b[1] - a[1]);

  ctx.render(
    h('p', { class: 'breadcrumbs' },
      h('a', { href: '#/admin/consultations', text: 'Manage consultations' }), ' › ',
      h('a', { href: `#/admin/c/${id}`, text: c.title })),
    pageTitle('Statistics'),
    h('p', { class: 'hint', text: 'Visible comments only: hidden and withdrawn ones are not counted.' }),
    (c.rounds || []).length
      ? h('nav', { class: 'tabs', 'aria-label': 'Rounds' },
        h('a', { href: `#/admin/c/${id}/statistics`, 'aria-current': round === 0 ? 'page' : null, text: 'All rounds' }),
        (c.rounds || []).map((r) => h('a', {
          href: `#/admin/c/${id}/statistics?round=${r.number}`,
          'aria-current': round === r.number ? 'page' : null,
          text: `Round ${r.number}`,
        })))
      : null,
    h('ul', { class: 'stat-tiles', 'data-testid': 'stat-tiles' }, tiles.map(([label, value, testid]) =>
      h('li', { class: 'stat-tile', 'data-testid': testid },
        h('span', { class: 'stat-value', text: String(value) }),
        h('span', { class: 'stat-label', text: label })))),
    h('div', { class: 'charts' },
      barChart('Comments per section', bySection, { testid: 'chart-sections', total }),
      barChart('By type', byType, { testid: 'chart-types', total }),
      barChart('By disposition', byDisposition, { testid: 'chart-dispositions', total }),
      barChart('By type of organisation', byOrg, { testid: 'chart-organisation-types', total }),
      barChart('By country', byCountry, { testid: 'chart-countries', total })),
    h('section', { class: 'card', 'aria-labelledby': 'export-h' },
      h('h2', { id: 'export-h', text: 'Export the comment–response record' }),
      exportControls(c)));
}
