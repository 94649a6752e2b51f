// Secretariat: the moderation queue (comments with open flags: hide, or
// restore = dismiss the flags) and the audit trail of moderation acts.

import { get, listAll } from './api.js';
import { session } from './session.js';
import { t } from './i18n.js';
import { commentCard } from './comments.js';
import { h, replace, idOf, pageTitle, timeEl, withButton } from './ui.js';

const KINDS = { FLAG: t('moderation.kind.flag'), HIDE: t('moderation.kind.hide'), RESTORE: t('moderation.kind.restore') };
const FLAG_REASONS = {
  SPAM: t('moderation.reason.spam'), ABUSIVE: t('moderation.reason.abusive'), OFF_TOPIC: t('moderation.reason.offTopic'),
  PERSONAL_DATA: t('moderation.reason.personalData'), OTHER: t('moderation.reason.other'),
};

export async function moderationView(ctx) {
  ctx.title(t('moderation.title'));
  let flagged = await listAll('comments', { flagged_only: true }, 'comments', { signal: ctx.signal, max: 1000 });
  const queue = h('ol', { class: 'card-list', 'data-testid': 'moderation-queue' });
  const renderQueue = () => {
    replace(queue, flagged.length ? flagged.map((c) => {
      let where = '';
      if (c.target && c.target.startsWith('consultations/')) {
        const [, cid, , key] = c.target.split('/');
        where = h('a', { href: `#/c/${cid}/s/${key}?comment=${idOf(c.name)}`, text: t('moderation.where', { consultation: cid, section: key }) });
      }
      return h('li', { class: 'card' },
        h('p', { class: 'muted small' }, where),
        commentCard(c, {
          me: session.member,
          isSecretariat: true,
          mayComment: false,
          mayAct: false,
          follow: false,
          onChange: (updated) => {
            if (updated.state !== 'VISIBLE' || !updated.flagCount) flagged = flagged.filter((x) => x.name !== updated.name);
            else flagged = flagged.map((x) => (x.name === updated.name ? updated : x));
            renderQueue();
            loadActions();
          },
        }));
    }) : h('li', { class: 'muted', text: t('moderation.emptyQueue') }));
  };
  renderQueue();

  const actions = h('ol', { class: 'plain-list audit', 'data-testid': 'moderation-actions' });
  let actionsToken = '';
  const more = h('button', { type: 'button', class: 'button secondary', text: t('common.showOlder'), hidden: true });
  const loadActions = async (append = false) => {
    const page = await get('moderationActions', { page_size: 25, page_token: append ? actionsToken : '' });
    actionsToken = page.nextPageToken || '';
    const items = (page.moderationActions || []).map((a) => h('li', {},
      h('strong', { text: KINDS[a.kind] || a.kind }),
      a.kind === 'FLAG' && a.flagReason ? ` (${FLAG_REASONS[a.flagReason] || a.flagReason})` : '',
      ' · ', h('a', { href: `#/comment/${idOf(a.comment)}`, text: idOf(a.comment) }),
      a.reason ? ` · “${a.reason}”` : '',
      ' · ', timeEl(a.createTime)));
    if (append) actions.append(...items);
    else replace(actions, items.length ? items : h('li', { class: 'muted', text: t('moderation.noActions') }));
    more.hidden = !actionsToken;
  };
  more.addEventListener('click', () => withButton(more, () => loadActions(true)));
  await loadActions();

  ctx.render(
    pageTitle(t('moderation.title')),
    h('p', { class: 'hint', text: t('moderation.hint') }),
    h('section', { 'aria-labelledby': 'queue-h' }, h('h2', { id: 'queue-h', text: t('moderation.queue') }), queue),
    h('section', { 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h', text: t('moderation.recent') }), actions, more));
}
