// Secretariat: API tokens for partner systems. The secret is shown once,
// right after it is issued.

import { post, del, listAll } from './api.js';
import {
  h, replace, field, pageTitle, submitting, withButton, confirmDialog, toast,
  timeEl, notice, uid,
} from './ui.js';

export async function tokensView(ctx) {
  ctx.title('API tokens');
  const showRevoked = ctx.query.get('revoked') === '1';
  const [members, tokens] = await Promise.all([
    listAll('members', { state: 'ACTIVE' }, 'members', { signal: ctx.signal, max: 2000 }),
    listAll('tokens', { show_revoked: showRevoked }, 'apiTokens', { signal: ctx.signal, max: 2000 }),
  ]);
  const names = new Map(members.map((m) => [m.name, `${m.displayName} — ${m.organisation}`]));

  const member = h('select', { name: 'member', required: true, 'data-testid': 'token-member' },
    h('option', { value: '', text: 'Choose the member account' }),
    members.map((m) => h('option', { value: m.name, text: `${m.displayName} — ${m.organisation} (${m.country})` })));
  const displayName = h('input', { type: 'text', name: 'displayName', required: true, maxlength: 100, 'data-testid': 'token-name' });
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 366, value: 90, required: true, 'data-testid': 'token-days' });
  const secretArea = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'form', 'data-testid': 'token-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: 'Issue a token for a partner system' }),
      field('Acts for', member, { field: 'member', hint: 'The member account that stands for the partner organisation. The token has the partner role.' }),
      field('Name of the system', displayName, { field: 'display_name', hint: 'For example: UNICEF data portal.' }),
      field('Valid for (days)', days, { field: 'ttl', hint: 'From 1 to 366 days.' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', text: 'Issue token', 'data-testid': 'token-submit' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ttlDays = Math.round(Number(days.value || 0));
    const created = await submitting(form, () => post('tokens', {
      member: member.value,
      displayName: displayName.value.trim(),
      ttl: `${ttlDays * 86400}s`,
    }));
    if (!created) return;
    displayName.value = '';
    const secretId = uid('secret');
    const input = h('input', { id: secretId, type: 'text', readOnly: true, value: created.secret, class: 'secret', 'data-testid': 'token-secret' });
    replace(secretArea, h('div', { class: 'notice notice-success secret-box', 'data-testid': 'token-created' },
      h('h2', { class: 'h3', text: `Token issued: ${created.apiToken.displayName}` }),
      h('p', {}, h('strong', { text: 'Copy the secret now: it is shown only this once.' }), ' Give it to the partner over a secure channel.'),
      h('label', { for: secretId, text: 'Secret' }),
      h('div', { class: 'copy-row' },
        input,
        h('button', {
          type: 'button', class: 'button secondary', text: 'Copy',
          onclick: async () => {
            input.select();
            try {
              await navigator.clipboard.writeText(created.secret);
              toast('The secret is copied.', 'success');
            } catch {
              toast('Press Ctrl+C (or Cmd+C) to copy the selected secret.', 'info');
            }
          },
        })),
      h('p', { class: 'muted small' }, 'Expires ', timeEl(created.apiToken.expireTime), '.')));
    input.focus();
    input.select();
    tokens.unshift(created.apiToken);
    renderList();
  });

  const list = h('ul', { class: 'card-list', 'data-testid': 'token-list' });
  const renderList = () => {
    replace(list, tokens.length ? tokens.map((t) => h('li', { class: ['card row', t.revoked && 'revoked'], 'data-testid': 'token-card', 'data-name': t.name },
      h('div', {},
        h('h3', { text: t.displayName }),
        h('p', { class: 'muted small' },
          `For ${names.get(t.member) || t.member} · issued `, timeEl(t.createTime),
          ' · ', t.revoked ? 'revoked' : ['expires ', timeEl(t.expireTime)])),
      t.revoked ? h('span', { class: 'badge', text: 'Revoked' }) : h('button', {
        type: 'button', class: 'button small secondary danger-text', text: 'Revoke', 'data-testid': 'token-revoke',
        onclick: async (event) => {
          const button = event.currentTarget;
          const ok = await confirmDialog({
            title: `Revoke "${t.displayName}"?`,
            message: 'The partner system can no longer use it, at once. This cannot be undone.',
            confirmLabel: 'Revoke', danger: true, testid: 'revoke-dialog',
          });
          if (!ok) return;
          await withButton(button, async () => {
            const updated = await del(t.name);
            Object.assign(t, updated, { revoked: true });
            if (!showRevoked) tokens.splice(tokens.indexOf(t), 1);
            renderList();
            toast(`"${t.displayName}" is revoked.`, 'success');
          });
        },
      }))) : h('li', { class: 'muted', text: 'No token yet.' }));
  };
  renderList();

  ctx.render(
    pageTitle('API tokens for partner systems'),
    h('p', { class: 'lead', text: 'Partner systems integrate over the API with a token issued here. It acts for a member account with the partner role.' }),
    members.length ? form : notice('No active member to issue a token for.', 'info'),
    secretArea,
    h('div', { class: 'page-head' },
      h('h2', { text: 'Issued tokens' }),
      h('a', { class: 'button small secondary', href: showRevoked ? '#/admin/tokens' : '#/admin/tokens?revoked=1', text: showRevoked ? 'Hide revoked tokens' : 'Show revoked tokens' })),
    list);
}

