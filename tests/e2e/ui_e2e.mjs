// End to end through the web UI, in a real browser (Chromium, headless,
// driven by playwright-core; no mocks): the pages served by cdc-gateway from
// gateway/web/, talking to the real services behind it.
//
// Two people, each in a browser context of their own (separate storage):
// the secretariat, who signs in with the token deploy/local/run prints, and
// a new member, who applies through the UI. The walk: apply (a refused
// password first) -> approval -> sign-in -> the demo draft (contents with
// counts, live countdown) -> a comment anchored to a passage selected with
// the mouse -> follow -> the secretariat sees it and replies -> the
// member's bell rises live (the server-sent event stream, no reload) ->
// profile -> inbox -> the member endorses the reply and flags it -> the
// secretariat dismisses the flag from the moderation queue; then a second
// consultation made through the UI: import with a preview, open, a
// comment, close, disposition, statistics, publish, CSV export, and the
// member sees the disposition. The demo round stays open. Then the
// language switcher (French and back) and the main pages laid out right to
// left (dir="rtl": no horizontal overflow). Along the way: no form control
// without a label, no module loaded without its version, no script error.
//
// Run:  node ui_e2e.mjs <gateway URL> <secretariat token>
//   (or CDC_GATEWAY / CDC_TOKEN). CHROMIUM overrides /usr/bin/chromium;
//   UI_E2E_SCREENSHOTS=<dir> saves screenshots of the main pages there;
//   UI_E2E_CONSOLE=1 prints the pages' console.
// Prints "ok - <step>" or "not ok - <step>: <why>" per step, then
// "N passed, M failed"; the exit code is 0 only if every step passed. A
// step after a failed one is reported as failed without running (they
// build on each other). The whole run is bounded to 85 s. The harness
// (Chromium, steps, waits, screenshots) is ui_harness.mjs, shared with the
// community scenario (community_ui_e2e.mjs); ui_e2e.sh runs both.

import { readFileSync } from 'node:fs';
import {
  harness, args, check, sel, shot, visible, click, type, textOf, waitText, go, openApp as open, STEP_TIMEOUT,
  checkLabelled, confirmDialog,
} from './ui_harness.mjs';

const { base, token: secretariatToken } = args('ui_e2e');
const openApp = (page, hash) => open(page, base, hash);

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const member = {
  email: `ui-e2e-${run}@example.org`,
  name: `Amina Njoroge ${run}`,
  organisation: 'Kenya Civil Society Data Network',
  password: 'a long passphrase of mine, for the browser test',
};
const second = {
  id: `ui-e2e-${run}`,
  title: `Data stewardship guidance (UI test ${run})`,
  markdown: [
    '# Purpose {#purpose}',
    '',
    'This guidance explains how partners steward citizen data responsibly.',
    '',
    '## Consent and control {#consent}',
    '',
    'People who contribute data keep control over how it is used.',
    'Consent is asked for in plain language and can be withdrawn.',
    '',
    '## Review {#review}',
    '',
    'The guidance is reviewed every two years with the community.',
    '',
  ].join('\n'),
};

async function bellCount(page) {
  return page.$eval(sel('bell-count'), (el) => (el.hidden ? 0 : Number(el.textContent)));
}

/** The unread count the server has for the page's signed-in member. */
async function serverUnread(page) {
  return page.evaluate(async () => {
    const token = localStorage.getItem('cdc.token');
    const who = await (await fetch('/v1/members:authenticate', { headers: { authorization: `Bearer ${token}` } })).json();
    const r = await fetch(`/v1/${who.member}/notifications:unreadCount`, { headers: { authorization: `Bearer ${token}` } });
    return Number((await r.json()).unreadCount || 0);
  });
}

/** Selects `phrase` in the section text with the mouse, as a person does. */
async function dragSelect(page, phrase) {
  const box = await page.evaluate((p) => {
    const root = document.querySelector('[data-testid="section-text"]');
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = n.data.indexOf(p);
      if (i < 0) continue;
      const rectOf = (a, b) => {
        const r = document.createRange();
        r.setStart(n, a);
        r.setEnd(n, b);
        return r.getBoundingClientRect();
      };
      n.parentElement.scrollIntoView({ block: 'center' });
      const first = rectOf(i, i + 1);
      const last = rectOf(i + p.length - 1, i + p.length);
      return {
        x1: first.left + 1, y1: first.top + first.height / 2,
        x2: last.right - 1, y2: last.top + last.height / 2,
      };
    }
    return null;
  }, phrase);
  check(box, `the section text lacks "${phrase}"`);
  await page.mouse.move(box.x1, box.y1);
  await page.mouse.down();
  await page.mouse.move((box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2, { steps: 5 });
  await page.mouse.move(box.x2, box.y2, { steps: 5 });
  await page.mouse.up();
}

// ---- the scenario ----------------------------------------------------------------

const ui = harness({ name: 'ui_e2e', totalTimeout: 85000 });
const step = ui.step;
const { pageErrors, unversioned } = ui;
const [sec, mem] = await ui.pages(['secretariat', 'member']);

let demoCommentName = '';
const demoPhrase = 'connectivity and cost should be identified early';
const demoBody = `Accessibility audits should be part of the design stage (${run}).`;

await step('the web UI loads from the gateway, with its modules and styles', async () => {
  await openApp(sec);
  const title = await textOf(sec, 'main h1');
  check(/citizen data/i.test(title), `start page heading: ${title}`);
  const css = await sec.evaluate(() => getComputedStyle(document.body).fontFamily);
  check(css && !/^"?Times/.test(css), 'styles.css is not applied');
  // Modules and styles are cached for an hour: index.html (revalidated on
  // every load) asks for them with its version, through its import map.
  check(unversioned.size === 0, `loaded without ?v=: ${[...unversioned].join(', ')}`);
});

await step('the secretariat signs in with its token', async () => {
  await go(sec, '#/sign-in');
  await click(sec, `${sel('token-sign-in')} summary`);
  await type(sec, sel('sign-in-token'), secretariatToken);
  await click(sec, sel('sign-in-token-submit'));
  await visible(sec, sel('nav-admin-members'));
  await visible(sec, sel('consultation-list'));
});

await step('an application with a short password is refused, naming the problem', async () => {
  await openApp(mem, '#/apply');
  await type(mem, sel('apply-email'), member.email);
  await type(mem, sel('profile-display-name'), member.name);
  await type(mem, sel('profile-organisation'), member.organisation);
  await mem.getByTestId('profile-organisation-type').selectOption('ORGANISATION_TYPE_CIVIL_SOCIETY');
  await mem.getByTestId('profile-country').selectOption('KEN');
  await type(mem, sel('profile-languages'), 'en, sw');
  await type(mem, sel('apply-password'), 'too short');
  await type(mem, sel('apply-password-confirm'), 'too short');
  await checkLabelled(mem, 'the application form');
  await click(mem, sel('apply-submit'));
  await waitText(mem, sel('form-error'), 'password');
  const invalid = await mem.$eval(sel('apply-password'), (el) => el.getAttribute('aria-invalid'));
  check(invalid === 'true', 'the password field is not marked invalid');
});

await step('a new member applies through the UI', async () => {
  await type(mem, sel('apply-password'), member.password);
  await type(mem, sel('apply-password-confirm'), member.password);
  await click(mem, sel('apply-submit'));
  await waitText(mem, sel('apply-done'), 'waiting for the secretariat');
});

await step('before approval, signing in says the application is waiting', async () => {
  await go(mem, '#/sign-in');
  await type(mem, sel('sign-in-email'), member.email);
  await type(mem, sel('sign-in-password'), member.password);
  await click(mem, sel('sign-in-submit'));
  await waitText(mem, sel('form-error'), 'approval');
});

await step('the secretariat approves the application in the UI', async () => {
  await go(sec, '#/admin/members');
  const card = `${sel('member-card')}[data-email="${member.email}"]`;
  await visible(sec, card);
  await sec.locator(`${card} ${sel('approve-role')}`).selectOption('ROLE_MEMBER');
  await click(sec, `${card} ${sel('approve')}`);
  await sec.locator(card).waitFor({ state: 'hidden' });
});

await step('the member signs in and sees the consultations, with a live countdown', async () => {
  await type(mem, sel('sign-in-password'), member.password);
  await click(mem, sel('sign-in-submit'));
  await visible(mem, sel('bell'));
  const card = `${sel('consultation-card')}[data-id="copenhagen-framework"]`;
  await visible(mem, card);
  const first = await textOf(mem, `${card} ${sel('countdown')}`);
  check(/^Closes in \d+ days? \d+ h \d+ min \d+ s$/.test(first), `countdown: ${first}`);
  await mem.waitForFunction(([s, t]) => document.querySelector(s).textContent.trim() !== t,
    [`${card} ${sel('countdown')}`, first], { timeout: 3000 });
  await shot(mem, 'consultations');
});

await step('the member opens the demo draft: contents with comment counts, section text', async () => {
  await click(mem, `${sel('consultation-card')}[data-id="copenhagen-framework"] ${sel('consultation-link')}`);
  await visible(mem, sel('section-text'));
  const links = await mem.$$(sel('toc-link'));
  check(links.length >= 20, `contents: ${links.length} sections`);
  const counts = await mem.$$(sel('toc-count'));
  check(counts.length === links.length, 'a section lacks its comment count');
  await click(mem, `${sel('toc-link')}[data-key="inclusion"]`);
  await waitText(mem, sel('section-title'), 'Inclusion');
  await waitText(mem, sel('section-changes'), 'First version');
});

await step('the member selects a passage and posts a comment anchored to it', async () => {
  await mem.waitForSelector(`${sel('section')}[data-key="inclusion"]`);
  const tocCount = `${sel('toc-link')}[data-key="inclusion"] ${sel('toc-count')} [aria-hidden]`;
  const before = Number(await textOf(mem, tocCount));
  await dragSelect(mem, demoPhrase);
  await click(mem, sel('quote-selection'));
  const quote = await textOf(mem, sel('composer-quote'));
  check(quote === demoPhrase, `quoted "${quote}", selected "${demoPhrase}"`);
  await mem.getByTestId('comment-type').selectOption('TECHNICAL');
  await type(mem, sel('comment-body'), demoBody);
  await type(mem, sel('comment-proposed-change'), 'identified during design, with accessibility audits, and removed');
  await click(mem, sel('comment-submit'));
  await waitText(mem, sel('comment'), demoBody);
  demoCommentName = await mem.$eval(`${sel('comment')}.own`, (el) => el.dataset.name);
  const marks = await mem.$$eval(`${sel('section-text')} mark${sel('anchor-mark')}`, (els) => els.map((el) => el.textContent));
  check(marks.includes(demoPhrase), `highlighted: ${JSON.stringify(marks)}`);
  const quoted = await textOf(mem, `${sel('comment')}.own ${sel('comment-quote')}`);
  check(quoted.includes(demoPhrase), `the comment quotes "${quoted}"`);
  await mem.waitForFunction(([s, n]) => Number(document.querySelector(s).textContent) === n, [tocCount, before + 1]);
  await checkLabelled(mem, 'the reader');
});

await step('the member follows the section', async () => {
  await click(mem, sel('follow-section'));
  await mem.waitForFunction((s) => document.querySelector(s).getAttribute('aria-pressed') === 'true', sel('follow-section'));
});

await step('the secretariat sees the comment beside the section, its passage highlighted', async () => {
  await go(sec, '#/c/copenhagen-framework/s/inclusion');
  const card = `${sel('comment')}[data-name="${demoCommentName}"]`;
  await waitText(sec, card, demoBody);
  await waitText(sec, `${sel('section-text')} mark${sel('anchor-mark')}`, demoPhrase);
});

await step("the member's bell rises live when the secretariat replies", async () => {
  await mem.waitForFunction(() => document.body.dataset.live === 'open', null, { timeout: STEP_TIMEOUT });
  const unread = await serverUnread(mem);
  await mem.waitForFunction((n) => {
    const el = document.querySelector('[data-testid="bell-count"]');
    return el && (el.hidden ? 0 : Number(el.textContent)) === n;
  }, unread, { timeout: STEP_TIMEOUT });
  const card = `${sel('comment')}[data-name="${demoCommentName}"]`;
  await click(sec, `${card} ${sel('reply-button')}`);
  await type(sec, `${card} ${sel('reply-body')}`, 'Thank you: the secretariat will consider audits in the next draft.');
  await click(sec, `${card} ${sel('reply-submit')}`);
  await visible(sec, `${sel('reply')}`);
  // No reload: the count comes over the server-sent event stream.
  await mem.waitForFunction((n) => {
    const el = document.querySelector('[data-testid="bell-count"]');
    return el && !el.hidden && Number(el.textContent) > n;
  }, unread, { timeout: STEP_TIMEOUT });
  await waitText(mem, sel('toast-info'), 'New notification');
  await visible(mem, sel('show-activity'));
});

await step('the member edits their profile', async () => {
  await click(mem, sel('nav-profile'));
  await type(mem, sel('profile-biography'), 'Works on inclusive household surveys.');
  await checkLabelled(mem, 'the profile');
  await click(mem, sel('profile-save'));
  await waitText(mem, sel('toast-success'), 'profile is saved');
});

await step('the member reads the inbox and marks everything read', async () => {
  await click(mem, sel('bell'));
  await waitText(mem, sel('notification'), 'repl');
  await click(mem, sel('mark-all-read'));
  await mem.waitForFunction(() => document.querySelector('[data-testid="bell-count"]').hidden, null, { timeout: STEP_TIMEOUT });
  const unread = await mem.$$(`${sel('notification')}[data-unread="true"]`);
  check(unread.length === 0, `${unread.length} notifications still unread`);
  await shot(mem, 'notifications');
});

let replyName = '';
await step("the member endorses the secretariat's reply", async () => {
  await go(mem, '#/c/copenhagen-framework/s/inclusion');
  const thread = mem.locator('li.thread').filter({ has: mem.locator(`${sel('comment')}[data-name="${demoCommentName}"]`) });
  const reply = thread.getByTestId('reply').first();
  replyName = await (await visible(mem, reply)).getAttribute('data-name');
  const endorse = `${sel('reply')}[data-name="${replyName}"] ${sel('endorse')}`;
  check((await textOf(mem, `${endorse} ${sel('endorsement-count')}`)).endsWith('0'), 'the reply already has an endorsement');
  await click(mem, endorse);
  await mem.waitForFunction((s) => document.querySelector(s)?.getAttribute('aria-pressed') === 'true', endorse);
  await waitText(mem, `${endorse} ${sel('endorsement-count')}`, '1');
  await shot(mem, 'reader');
});

await step('the member flags the reply for the moderators', async () => {
  const reply = `${sel('reply')}[data-name="${replyName}"]`;
  await click(mem, `${reply} ${sel('flag')}`);
  await mem.locator(`${reply} ${sel('flag-reason')}`).selectOption('OFF_TOPIC');
  await type(mem, `${reply} ${sel('flag-text')}`, 'A test flag from the browser test.');
  await checkLabelled(mem, 'the flag form');
  await click(mem, `${reply} ${sel('flag-submit')}`);
  await waitText(mem, sel('toast-success'), 'moderators');
});

await step('the secretariat dismisses the flag from the moderation queue', async () => {
  await go(sec, '#/admin/moderation');
  const card = `${sel('moderation-queue')} [data-name="${replyName}"]`;
  await waitText(sec, card, 'open flag');
  await click(sec, `${card} ${sel('restore')}`);
  await confirmDialog(sec, 'restore-dialog', 'The reply is on topic: it answers the comment.');
  await sec.locator(card).waitFor({ state: 'hidden' });
  await waitText(sec, sel('moderation-actions'), 'Restored');
});

await step('the secretariat creates a second consultation through the UI', async () => {
  await go(sec, '#/admin/consultations');
  await click(sec, sel('new-consultation'));
  await type(sec, sel('consultation-title-input'), second.title);
  await type(sec, sel('consultation-id'), second.id);
  await type(sec, sel('consultation-description'), 'A short consultation made by the browser test.');
  await click(sec, sel('consultation-create'));
  await waitText(sec, sel('manage-title'), second.title);
  await waitText(sec, sel('state-badge'), 'Draft');
});

await step('imports a 3-section Markdown draft after a preview', async () => {
  await sec.$eval(sel('import-markdown'), (el, text) => {
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, second.markdown);
  const disabled = await sec.$eval(sel('import-submit'), (el) => el.disabled);
  check(disabled, 'import is possible before a preview');
  await click(sec, sel('import-preview-button'));
  await waitText(sec, sel('preview-summary'), '3 sections');
  const previewed = await sec.$$(`${sel('preview-sections')} li`);
  check(previewed.length === 3, `preview lists ${previewed.length} sections`);
  await sec.waitForFunction((s) => !document.querySelector(s).disabled, sel('import-submit'));
  await click(sec, sel('import-submit'));
  await visible(sec, sel('open-form'));
  await checkLabelled(sec, 'the manage page');
});

await step('opens the round', async () => {
  await click(sec, sel('open-submit'));
  await waitText(sec, sel('state-badge'), 'Open');
  await visible(sec, sel('close-round'));
});

await step('the member comments on the new consultation', async () => {
  await go(mem, `#/c/${second.id}/s/consent`);
  await waitText(mem, sel('section-title'), 'Consent and control');
  await dragSelect(mem, 'can be withdrawn');
  await click(mem, sel('quote-selection'));
  await type(mem, sel('comment-body'), 'Say how a withdrawal of consent reaches data already shared.');
  await click(mem, sel('comment-submit'));
  await waitText(mem, sel('comment'), 'withdrawal of consent');
});

await step('the secretariat closes the round', async () => {
  await sec.reload({ waitUntil: 'domcontentloaded' });
  await sec.waitForFunction(() => document.body.dataset.ready === 'true');
  await click(sec, sel('close-round'));
  await confirmDialog(sec, 'close-dialog');
  await waitText(sec, sel('state-badge'), 'Closed');
});

await step('the secretariat answers the comment in the disposition workflow', async () => {
  await click(sec, sel('go-dispositions'));
  await waitText(sec, sel('disposition-section-title'), 'Consent and control');
  await waitText(sec, sel('progress-section'), '0 of 1');
  await click(sec, sel('outcome-partly_accepted'));
  await type(sec, sel('disposition-response'), 'Partly accepted: the next draft explains withdrawal for new uses.');
  await click(sec, sel('disposition-save'));
  await waitText(sec, sel('progress-section'), '1 of 1 answered');
  await waitText(sec, sel('progress-overall'), '1 of 1');
  await shot(sec, 'dispositions');
});

await step('the statistics show the comment by section, type, organisation type and country', async () => {
  await go(sec, `#/admin/c/${second.id}/statistics`);
  await waitText(sec, sel('stat-total'), '1');
  await waitText(sec, sel('chart-countries'), 'Kenya');
  await waitText(sec, sel('chart-organisation-types'), 'Civil society');
  await waitText(sec, sel('chart-sections'), 'Consent and control');
  await shot(sec, 'statistics');
});

await step('the secretariat publishes the record and exports it as CSV', async () => {
  await go(sec, `#/admin/c/${second.id}`);
  await click(sec, sel('publish'));
  await confirmDialog(sec, 'publish-dialog');
  await waitText(sec, sel('state-badge'), 'Record published');
  const [download] = await Promise.all([sec.waitForEvent('download'), click(sec, sel('export-csv'))]);
  await waitText(sec, sel('export-status'), 'Downloaded 1 row');
  // The file itself, as the browser saved it.
  check(download.suggestedFilename().endsWith('.csv'), `downloaded ${download.suggestedFilename()}`);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r\n/);
  check(lines[0].includes('section_key') && lines.length === 2, `CSV: ${csv.slice(0, 200)}`);
  check(csv.includes('Partly accepted') && csv.includes('consent'), `CSV row: ${lines[1]}`);
});

await step('the member sees the published disposition beside the comment', async () => {
  await mem.reload({ waitUntil: 'domcontentloaded' });
  await mem.waitForFunction(() => document.body.dataset.ready === 'true');
  await waitText(mem, sel('disposition-outcome'), 'Partly accepted');
  await waitText(mem, sel('disposition'), 'explains withdrawal');
  await visible(mem, sel('cannot-comment'));
});

await step('the demo round is still open', async () => {
  await go(mem, '#/consultations');
  await waitText(mem, `${sel('consultation-card')}[data-id="copenhagen-framework"] ${sel('state-badge')}`, 'Open');
});

/** Chooses a language in the footer's switcher (the page reloads in it). */
async function chooseLanguage(page, code) {
  await Promise.all([page.waitForEvent('load'), page.getByTestId('language-select').selectOption(code)]);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

await step('the language switcher shows the UI in French, kept across reloads, and back', async () => {
  await go(mem, '#/consultations');
  await chooseLanguage(mem, 'fr');
  const html = await mem.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
  check(html.join() === 'fr,ltr', `<html lang dir>: ${html}`);
  await waitText(mem, sel('sign-out'), 'Se déconnecter');
  await waitText(mem, `${sel('consultation-card')}[data-id="copenhagen-framework"]`, 'Lire et commenter');
  await waitText(mem, `${sel('consultation-card')}[data-id="copenhagen-framework"] ${sel('countdown')}`, 'Clôture dans');
  await mem.reload({ waitUntil: 'domcontentloaded' });
  await mem.waitForFunction(() => document.body.dataset.ready === 'true');
  await waitText(mem, sel('sign-out'), 'Se déconnecter');
  await chooseLanguage(mem, 'en');
  await waitText(mem, sel('sign-out'), 'Sign out');
  check(await mem.evaluate(() => document.documentElement.lang) === 'en', 'the page is not back in English');
});

await step('right to left: the pages keep their navigation and content, without horizontal overflow', async () => {
  for (const hash of ['#/consultations', '#/c/copenhagen-framework/s/inclusion']) {
    await go(mem, hash);
    await mem.evaluate(() => { document.documentElement.dir = 'rtl'; });
    await visible(mem, sel('nav-consultations'));
    await visible(mem, 'main h1');
    const layout = await mem.evaluate(() => {
      const brand = document.querySelector('.brand').getBoundingClientRect();
      const signOut = document.querySelector('[data-testid="sign-out"]').getBoundingClientRect();
      return {
        direction: getComputedStyle(document.querySelector('main')).direction,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        mirrored: brand.left > signOut.left,
      };
    });
    check(layout.direction === 'rtl', `${hash}: direction ${layout.direction}`);
    check(layout.overflow <= 0, `${hash}: ${layout.overflow} px of horizontal overflow`);
    check(layout.mirrored, `${hash}: the header is not mirrored`);
    if (hash.includes('/s/')) {
      await visible(mem, sel('section-text'));
      await shot(mem, 'reader-rtl');
    }
    await mem.evaluate(() => { document.documentElement.dir = 'ltr'; });
  }
});

await step('the member signs out', async () => {
  await click(mem, sel('sign-out'));
  await visible(mem, sel('sign-in-form'));
  const token = await mem.evaluate(() => localStorage.getItem('cdc.token'));
  check(!token, 'the token is still stored');
});

await step('no script error happened in either page', async () => {
  check(pageErrors.length === 0, pageErrors.join(' | '));
});

ui.finish();
