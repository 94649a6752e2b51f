// Secretariat: API tokens for partner systems. The secret is shown once,
// right after it is issued.

import { post, del, listAll } from './api.js';
import {
  h, replace, field, pageTitle, submitting, withButton, confirmDialog, toast,
  timeEl, notice, uid,
} from './ui.js';
import { t } from './i18n.js';

export async function tokensView(ctx) {
  ctx.title(t('tokens.title'));
  const showRevoked = ctx.query.get('revoked') === '1';
  const [members, tokens] = await Promise.all([
    listAll('members', { state: 'ACTIVE' }, 'members', { signal: ctx.signal, max: 2000 }),
    listAll('tokens', { show_revoked: showRevoked }, 'apiTokens', { signal: ctx.signal, max: 2000 }),
  ]);
  const names = new Map(members.map((m) => [m.name, `${m.displayName} — ${m.organisation}`]));

  const member = h('select', { name: 'member', required: true, 'data-testid': 'token-member' },
    h('option', { value: '', text: t('tokens.chooseMember') }),
    members.map((m) => h('option', { value: m.name, text: t('tokens.option', { name: m.displayName, organisation: m.organisation, country: m.country }) })));
  const displayName = h('input', { type: 'text', name: 'displayName', required: true, maxlength: 100, 'data-testid': 'token-name' });
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 366, value: 90, required: true, 'data-testid': 'token-days' });
  const secretArea = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'form', 'data-testid': 'token-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: t('tokens.issueLegend') }),
      field(t('tokens.actsFor'), member, { field: 'member', hint: t('tokens.actsForHint') }),
      field(t('tokens.systemName'), displayName, { field: 'display_name', hint: t('tokens.systemNameHint') }),
      field(t('tokens.validFor'), days, { field: 'ttl', hint: t('tokens.validForHint') })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', text: t('tokens.issue'), 'data-testid': 'token-submit' })));
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
      h('h2', { class: 'h3', text: t('tokens.issuedTitle', { name: created.apiToken.displayName }) }),
      h('p', {}, h('strong', { text: t('tokens.copyNow') }), t('tokens.secureChannel')),
      h('label', { for: secretId, text: t('tokens.secret') }),
      h('div', { class: 'copy-row' },
        input,
        h('button', {
          type: 'button', class: 'button secondary', text: t('tokens.copy'),
          onclick: async () => {
            input.select();
            try {
              await navigator.clipboard.writeText(created.secret);
              toast(t('tokens.copied'), 'success');
            } catch {
              toast(t('tokens.pressCopy'), 'info');
            }
          },
        })),
      h('p', { class: 'muted small' }, t('tokens.expires'), timeEl(created.apiToken.expireTime), '.')));
    input.focus();
    input.select();
    tokens.unshift(created.apiToken);
    renderList();
  });

  const list = h('ul', { class: 'card-list', 'data-testid': 'token-list' });
  const renderList = () => {
    replace(list, tokens.length ? tokens.map((tok) => h('li', { class: ['card row', tok.revoked && 'revoked'], 'data-testid': 'token-card', 'data-name': tok.name },
      h('div', {},
        h('h3', { text: tok.displayName }),
        h('p', { class: 'muted small' },
          t('tokens.for', { member: names.get(tok.member) || tok.member }), timeEl(tok.createTime),
          ' · ', tok.revoked ? t('tokens.revokedLower') : [t('tokens.expiresLower'), timeEl(tok.expireTime)])),
      tok.revoked ? h('span', { class: 'badge', text: t('tokens.revoked') }) : h('button', {
        type: 'button', class: 'button small secondary danger-text', text: t('tokens.revoke'), 'data-testid': 'token-revoke',
        onclick: async (event) => {
          const button = event.currentTarget;
          const ok = await confirmDialog({
            title: t('tokens.revokeTitle', { name: tok.displayName }),
            message: t('tokens.revokeMessage'),
            confirmLabel: t('tokens.revoke'), danger: true, testid: 'revoke-dialog',
          });
          if (!ok) return;
          await withButton(button, async () => {
            const updated = await del(tok.name);
            Object.assign(tok, updated, { revoked: true });
            if (!showRevoked) tokens.splice(tokens.indexOf(tok), 1);
            renderList();
            toast(t('tokens.revokedToast', { name: tok.displayName }), 'success');
          });
        },
      }))) : h('li', { class: 'muted', text: t('tokens.none') }));
  };
  renderList();

  ctx.render(
    pageTitle(t('tokens.heading')),
    h('p', { class: 'lead', text: t('tokens.lead') }),
    members.length ? form : notice(t('tokens.noMember'), 'info'),
    secretArea,
    h('div', { class: 'page-head' },
      h('h2', { text: t('tokens.issued') }),
      h('a', { class: 'button small secondary', href: showRevoked ? '#/admin/tokens' : '#/admin/tokens?revoked=1', text: showRevoked ? t('tokens.hideRevoked') : t('tokens.showRevoked') })),
    list);
}

