// Secretariat: applications to approve or reject, and the members by
// state (suspend, reinstate).

import { get, post } from './api.js';
import { session } from './session.js';
import {
  h, replace, idOf, pageTitle, withButton, confirmDialog, toast, announce,
  orgTypeLabel, countryName, roleLabel, memberStateLabel, timeEl, notice, ROLES,
} from './ui.js';

const TABS = [
  ['PENDING', 'Applications'],
  ['ACTIVE', 'Active'],
  ['SUSPENDED', 'Suspended'],
  ['REJECTED', 'Rejected'],
];

export async function membersView(ctx) {
  const stateFilter = TABS.some(([s]) => s === ctx.query.get('state')) ? ctx.query.get('state') : 'PENDING';
  ctx.title(stateFilter === 'PENDING' ? 'Applications' : 'Members');
  const list = h('ul', { class: 'card-list', 'data-testid': 'member-list' });
  const more = h('button', { type: 'button', class: 'button secondary', text: 'Show more', hidden: true });
  const members = [];
  let pageToken = '';

  const render = () => {
    replace(list, members.length ? members.map((m) => memberCard(m, () => {
      members.splice(members.indexOf(m), 1);
      render();
    })) : h('li', { class: 'muted', text: stateFilter === 'PENDING' ? 'No application is waiting.' : 'Nobody in this state.' }));
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
    pageTitle('Members'),
    h('nav', { class: 'tabs', 'aria-label': 'Members by state' },
      TABS.map(([state, label]) => h('a', {
        href: `#/admin/members?state=${state}`,
        'aria-current': state === stateFilter ? 'page' : null,
        'data-testid': `members-tab-${state.toLowerCase()}`,
        text: label,
      }))),
    stateFilter === 'PENDING'
      ? h('p', { class: 'hint', text: 'Approve an application with the role it should have, or reject it with a reason the applicant will see.' })
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
      h('dt', { text: 'Email' }), h('dd', {}, h('a', { href: `mailto:${m.email}`, text: m.email || '' })),
      h('dt', { text: 'Organisation' }), h('dd', { text: `${m.organisation} (${orgTypeLabel(m.organisationType)})` }),
      h('dt', { text: 'Country' }), h('dd', { text: `${countryName(m.country)} (${m.country})` }),
      h('dt', { text: 'Languages' }), h('dd', { text: (m.languages || []).join(', ') }),
      m.state !== 'PENDING' ? [h('dt', { text: 'Role' }), h('dd', { text: roleLabel(m.role) })] : null,
      h('dt', { text: 'Applied' }), h('dd', {}, timeEl(m.createTime)),
      m.stateReason ? [h('dt', { text: 'Reason given' }), h('dd', { text: m.stateReason })] : null),
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
      h('div', { class: 'field inline' }, h('label', { for: roleId, text: 'Role' }), role),
      h('button', {
        type: 'button', class: 'button primary', text: 'Approve', 'data-testid': 'approve',
        onclick: (event) => withButton(event.currentTarget, async () => {
          const updated = await post(m.name, { role: role.value }, { verb: 'approve' });
          decided(updated, `${m.displayName} is approved as ${roleLabel(updated.role).toLowerCase()}.`);
        }),
      }),
      h('button', {
        type: 'button', class: 'button secondary danger-text', text: 'Reject', 'data-testid': 'reject',
        onclick: async (event) => {
          const button = event.currentTarget;
          const reason = await confirmDialog({
            title: `Reject the application of ${m.displayName}?`,
            confirmLabel: 'Reject', danger: true, testid: 'reject-dialog',
            input: { label: 'Reason (the applicant sees it)', required: true, multiline: true },
          });
          if (!reason) return;
          await withButton(button, async () => {
            const updated = await post(m.name, { reason }, { verb: 'reject' });
            decided(updated, `The application of ${m.displayName} is rejected.`);
          });
        },
      }));
  } else if (m.state === 'ACTIVE' && m.name !== session.member) {
    actions.append(h('button', {
      type: 'button', class: 'button secondary danger-text', text: 'Suspend',
      onclick: async (event) => {
        const button = event.currentTarget;
        const reason = await confirmDialog({
          title: `Suspend ${m.displayName}?`,
          message: 'Every session and API token of this member is revoked at once.',
          confirmLabel: 'Suspend', danger: true,
          input: { label: 'Reason (the member sees it)', required: true, multiline: true },
        });
        if (!reason) return;
        await withButton(button, async () => {
          const updated = await post(m.name, { reason }, { verb: 'suspend' });
          decided(updated, `${m.displayName} is suspended.`);
        });
      },
    }));
  } else if (m.state === 'SUSPENDED') {
    actions.append(h('button', {
      type: 'button', class: 'button secondary', text: 'Reinstate',
      onclick: (event) => withButton(event.currentTarget, async () => {
        const updated = await post(m.name, {}, { verb: 'reinstate' });
        decided(updated, `${m.displayName} is active again.`);
      }),
    }));
  } else if (m.name === session.member) {
    actions.append(notice('This is you.', 'info'));
  }
  return card;
}
