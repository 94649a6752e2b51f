// Secretariat: applications to approve or reject, and the members by
// state (suspend, reinstate).

import { get, post } from './api.js';
import { session } from './session.js';
import {
  h, replace, idOf, pageTitle, withButton, confirmDialog, toast, announce,
  orgTypeLabel, countryName, roleLabel, memberStateLabel, timeEl, notice, ROLES,
} from './ui.js';
import { t } from './i18n.js';

const TABS = [
  ['PENDING', t('adminMembers.tab.PENDING')],
  ['ACTIVE', t('adminMembers.tab.ACTIVE')],
  ['SUSPENDED', t('adminMembers.tab.SUSPENDED')],
  ['REJECTED', t('adminMembers.tab.REJECTED')],
];

export async function membersView(ctx) {
  const stateFilter = TABS.some(([s]) => s === ctx.query.get('state')) ? ctx.query.get('state') : 'PENDING';
  ctx.title(stateFilter === 'PENDING' ? t('adminMembers.applications') : t('adminMembers.title'));
  const list = h('ul', { class: 'card-list', 'data-testid': 'member-list' });
  const more = h('button', { type: 'button', class: 'button secondary', text: t('adminMembers.showMore'), hidden: true });
  const members = [];
  let pageToken = '';

  const render = () => {
    replace(list, members.length ? members.map((m) => memberCard(m, () => {
      members.splice(members.indexOf(m), 1);
      render();
    })) : h('li', { class: 'muted', text: stateFilter === 'PENDING' ? t('adminMembers.noApplication') : t('adminMembers.nobody') }));
    more.hidden = !pageToken;
  };
  const load = async () => {
    const page = await get('members', { state: stateFilter, page_size: 50, page_token: pageToken }, { signal: ctx.signal });
    members.push(...(page.members || []));
    pageToken = page.nextPageToken || '';
    render();
  };
  more.addEventListener('click', () => withButton(more, load));

  await load();
  ctx.render(
    pageTitle(t('adminMembers.title')),
    h('nav', { class: 'tabs', 'aria-label': t('adminMembers.byState') },
      TABS.map(([state, label]) => h('a', {
        href: `#/admin/members?state=${state}`,
        'aria-current': state === stateFilter ? 'page' : null,
        'data-testid': `members-tab-${state.toLowerCase()}`,
        text: label,
      }))),
    stateFilter === 'PENDING'
      ? h('p', { class: 'hint', text: t('adminMembers.hint') })
      : null,
    list,
    more);
}

function memberCard(m, removed) {
  const id = idOf(m.name);
  const actions = h('div', { class: 'actions' });
  const card = h('li', { class: 'card member-card', 'data-testid': 'member-card', 'data-email': m.email || '', 'data-name': m.name },
    h('div', { class: 'card-head' },
      h('h2', { class: 'h3', text: m.displayName }),
      h('span', { class: 'badge', text: memberStateLabel(m.state) })),
    h('dl', { class: 'facts compact' },
      h('dt', { text: t('adminMembers.email') }), h('dd', {}, h('a', { href: `mailto:${m.email}`, text: m.email || '' })),
      h('dt', { text: t('adminMembers.organisation') }), h('dd', { text: `${m.organisation} (${orgTypeLabel(m.organisationType)})` }),
      h('dt', { text: t('adminMembers.country') }), h('dd', { text: `${countryName(m.country)} (${m.country})` }),
      h('dt', { text: t('adminMembers.languages') }), h('dd', { text: (m.languages || []).join(', ') }),
      m.state !== 'PENDING' ? [h('dt', { text: t('adminMembers.role') }), h('dd', { text: roleLabel(m.role) })] : null,
      h('dt', { text: t('adminMembers.applied') }), h('dd', {}, timeEl(m.createTime)),
      m.stateReason ? [h('dt', { text: t('adminMembers.reasonGiven') }), h('dd', { text: m.stateReason })] : null),
    m.biography ? h('p', { class: 'biography', text: m.biography }) : null,
    actions);

  const decided = (updated, message) => {
    window.dispatchEvent(new CustomEvent('cdc:members-changed'));
    toast(message, 'success');
    announce(message);
    removed(updated);
  };

  if (m.state === 'PENDING') {
    const roleId = `role-${id}`;
    const role = h('select', { id: roleId, 'data-testid': 'approve-role' },
      ROLES.filter(([r]) => r !== 'ROLE_PARTNER').map(([value, label]) => h('option', { value, text: label })));
    actions.append(
      h('div', { class: 'field inline' }, h('label', { for: roleId, text: t('adminMembers.role') }), role),
      h('button', {
        type: 'button', class: 'button primary', text: t('adminMembers.approve'), 'data-testid': 'approve',
        onclick: (event) => withButton(event.currentTarget, async () => {
          const updated = await post(m.name, { role: role.value }, { verb: 'approve' });
          decided(updated, t('adminMembers.approved', { name: m.displayName, role: roleLabel(updated.role).toLowerCase() }));
        }),
      }),
      h('button', {
        type: 'button', class: 'button secondary danger-text', text: t('adminMembers.reject'), 'data-testid': 'reject',
        onclick: async (event) => {
          const button = event.currentTarget;
          const reason = await confirmDialog({
            title: t('adminMembers.rejectTitle', { name: m.displayName }),
            confirmLabel: t('adminMembers.reject'), danger: true, testid: 'reject-dialog',
            input: { label: t('adminMembers.reasonApplicant'), required: true, multiline: true },
          });
          if (!reason) return;
          await withButton(button, async () => {
            const updated = await post(m.name, { reason }, { verb: 'reject' });
            decided(updated, t('adminMembers.rejected', { name: m.displayName }));
          });
        },
      }));
  } else if (m.state === 'ACTIVE' && m.name !== session.member) {
    actions.append(h('button', {
      type: 'button', class: 'button secondary danger-text', text: t('adminMembers.suspend'),
      onclick: async (event) => {
        const button = event.currentTarget;
        const reason = await confirmDialog({
          title: t('adminMembers.suspendTitle', { name: m.displayName }),
          message: t('adminMembers.suspendMessage'),
          confirmLabel: t('adminMembers.suspend'), danger: true,
          input: { label: t('adminMembers.reasonMember'), required: true, multiline: true },
        });
        if (!reason) return;
        await withButton(button, async () => {
          const updated = await post(m.name, { reason }, { verb: 'suspend' });
          decided(updated, t('adminMembers.suspended', { name: m.displayName }));
        });
      },
    }));
  } else if (m.state === 'SUSPENDED') {
    actions.append(h('button', {
      type: 'button', class: 'button secondary', text: t('adminMembers.reinstate'),
      onclick: (event) => withButton(event.currentTarget, async () => {
        const updated = await post(m.name, {}, { verb: 'reinstate' });
        decided(updated, t('adminMembers.reinstated', { name: m.displayName }));
      }),
    }));
  } else if (m.name === session.member) {
    actions.append(notice(t('adminMembers.thisIsYou'), 'info'));
  }
  return card;
}
