// End to end through the web UI's community pages, in a real browser
// (Chromium, headless, driven by playwright-core; no mocks), against the
// services deploy/local/run started (cdc-community among them).
//
// Three people, each in a browser context of their own: the secretariat
// (the token deploy/local/run prints) and two members, Amina and Bruno,
// who apply and are approved through the HTTP API (the first scenario,
// ui_e2e.mjs, walks applying through the UI). The walk: the secretariat
// creates an open space -> Amina joins it and starts a topic (following it)
// -> Bruno joins and posts on the topic -> Amina sees his post appear on the
// topic's page without reloading (the live notification stream) -> the
// space lists the topic with its post count; the secretariat pins it ->
// search finds the topic -> Bruno writes to Amina privately, she answers
// (the secretariat gets "not found" there) -> Amina blocks and unblocks
// him -> Amina shares a resource, Bruno finds it with the library's
// filters, endorses it and comments on it -> Amina registers an initiative in Kenya -> it waits in "My submissions"
// -> the secretariat approves it from the review queue -> it is on the map:
// Kenya's count rises and its shape is coloured, and the table lists it
// (and the CSV export, Kenya chosen on the map) -> the secretariat closes
// the topic with a reason (Amina reads it, may not post) and reopens it ->
// the space becomes invite-only with Amina facilitating: she removes and
// re-adds Bruno -> Bruno's initiative is returned with a note, which his
// "My submissions" shows; the map page laid out right to left has no horizontal overflow. Along
// the way: no form control without a label, no script error.
//
// Run:  node community_ui_e2e.mjs <gateway URL> <secretariat token>
//   (or CDC_GATEWAY / CDC_TOKEN); CHROMIUM, UI_E2E_SCREENSHOTS and
//   UI_E2E_CONSOLE as for ui_e2e.mjs. Screenshots: community-topic.png,
//   initiative-map.png. The whole run is bounded to 80 s.

import { readFileSync } from 'node:fs';
import {
  harness, args, check, sel, shot, visible, click, type, waitText, go, openApp as open,
  checkLabelled, confirmDialog, rtlOverflow,
} from './ui_harness.mjs';

const { base, token: secretariatToken } = args('community_ui_e2e');
const openApp = (page, hash) => open(page, base, hash);
const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const spaceId = `e2e-${run}`;
const space = { title: `Household survey methods (${run})`, description: 'Sampling, questionnaires and inclusion in household surveys.' };
const topic = {
  title: `Reaching people without a fixed address (${run})`,
  body: 'How do national statistical offices include homeless people and nomadic communities in household surveys?',
  tags: 'sampling, inclusion',
  word: `kerbside${run}`,
};
const reply = `In Kenya we pair the census frame with lists kept by community organisations (${run}).`;
const resource = { title: `Inclusive sampling toolkit (${run})` };
const initiative = {
  name: `Community water point monitoring (${run})`,
  lead: 'Kenya Civil Society Data Network',
};

// ---- members, made through the API ----------------------------------------------

async function call(method, path, body, token) {
  const response = await fetch(`${base}/v1/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} /v1/${path}: ${response.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : {};
}

/** Applies, is approved as a MEMBER and signs in: the session token. */
async function newMember(displayName, country) {
  const email = `${displayName.toLowerCase().split(' ')[0]}-${run}@example.org`;
  const password = 'a long passphrase of mine, for the community test';
  const applied = await call('POST', 'members:apply', {
    member: {
      email, displayName: `${displayName} ${run}`, organisation: 'Citizen Data Network', organisationType: 'ORGANISATION_TYPE_CIVIL_SOCIETY',
      country, languages: ['en'],
    },
    password,
  });
  await call('POST', `${applied.name}:approve`, { role: 'ROLE_MEMBER' }, secretariatToken);
  const { token } = await call('POST', 'members:signIn', { email, password });
  return { name: applied.name, displayName: `${displayName} ${run}`, token };
}

/** Opens the app signed in with `token` (as the sign-in page leaves it). */
async function signedIn(page, token, hash) {
  // A page of the origin first (the app itself would start signed out).
  await page.goto(`${base}/favicon.svg`);
  await page.evaluate((value) => localStorage.setItem('cdc.token', value), token);
  await openApp(page, hash);
}

/** Kenya's count and fill on the map page. */
async function kenya(page) {
  await visible(page, `${sel('world-map')} path[data-country="KEN"]`);
  return page.$eval(`${sel('world-map')} path[data-country="KEN"]`, (el) => ({ count: Number(el.dataset.count), fill: el.getAttribute('fill') }));
}

// ---- the scenario ---------------------------------------------------------------

const ui = harness({ name: 'community_ui_e2e', totalTimeout: 80000 });
const { step, pageErrors } = ui;
const [sec, amina, bruno] = await ui.pages(['secretariat', 'amina', 'bruno']);
let a;
let b;

await step('two members are approved and signed in (through the API)', async () => {
  [a, b] = await Promise.all([newMember('Amina Odhiambo', 'KEN'), newMember('Bruno Tavares', 'BRA')]);
  await Promise.all([
    signedIn(sec, secretariatToken, '#/spaces'),
    signedIn(amina, a.token, '#/community'),
    signedIn(bruno, b.token, '#/community'),
  ]);
  await visible(amina, sel('nav-community'));
  await visible(amina, sel('space-list'));
});

await step('the secretariat creates an open space', async () => {
  await click(sec, sel('new-space'));
  await type(sec, sel('space-title-input'), space.title);
  await type(sec, sel('space-id-input'), spaceId);
  await type(sec, sel('space-description-input'), space.description);
  await visible(sec, `${sel('space-visibility-open')}:checked`);
  await checkLabelled(sec, 'the space form');
  await click(sec, sel('space-submit'));
  await waitText(sec, sel('space-title'), space.title);
  await waitText(sec, sel('space-visibility'), 'Open');
});

await step('Amina joins the space and starts a topic, following it', async () => {
  await go(amina, '#/spaces');
  const card = `${sel('space-card')}[data-id="${spaceId}"]`;
  await click(amina, `${card} ${sel('join-space')}`);
  await visible(amina, `${card} ${sel('leave-space')}`);
  await click(amina, `${card} ${sel('space-link')}`);
  await click(amina, sel('new-topic'));
  await type(amina, sel('topic-title-input'), topic.title);
  await type(amina, sel('topic-body-input'), `${topic.body} (${topic.word})`);
  await type(amina, sel('topic-tags-input'), topic.tags);
  check(await amina.isChecked(sel('topic-follow')), 'following one\'s topic is not offered by default');
  await checkLabelled(amina, 'the topic form');
  await click(amina, sel('topic-submit'));
  await waitText(amina, sel('topic-title'), topic.title);
  await waitText(amina, sel('topic-body'), topic.word);
  await amina.waitForFunction((s) => document.querySelector(s)?.getAttribute('aria-pressed') === 'true', sel('follow-topic'));
  await visible(amina, sel('post-form'));
  await amina.waitForFunction(() => document.body.dataset.live === 'open');
});

await step('Bruno joins the space and posts on the topic', async () => {
  await go(bruno, `#/spaces/${spaceId}`);
  await click(bruno, sel('join-space'));
  await click(bruno, `${sel('topic-row')} ${sel('topic-link')}`);
  await waitText(bruno, sel('topic-title'), topic.title);
  await type(bruno, sel('post-body'), reply);
  await checkLabelled(bruno, 'the topic page');
  await click(bruno, sel('post-submit'));
  await waitText(bruno, sel('comment'), reply);
});

await step("Amina sees Bruno's post appear on the topic's page without reloading", async () => {
  // A mark on the page's window: a reload would drop it.
  await amina.evaluate(() => { window.cdcE2eSamePage = true; });
  await waitText(amina, `${sel('post-list')} ${sel('comment')}`, reply);
  await waitText(amina, sel('post-count'), '(1)');
  check(await amina.evaluate(() => window.cdcE2eSamePage === true), 'the page was reloaded');
  await shot(amina, 'community-topic');
});

await step('the space lists the topic with its post; the secretariat pins it', async () => {
  // The post count comes from the comment events, a moment after the post.
  const row = sel('topic-row');
  for (let i = 0; ; i += 1) {
    await go(sec, `#/spaces/${spaceId}`);
    await waitText(sec, row, topic.title);
    if ((await sec.textContent(row)).includes('1 post')) break;
    check(i < 20, `the topic's post count stays at: ${await sec.textContent(row)}`);
    await sec.waitForTimeout(250);
  }
  await click(sec, `${row} ${sel('topic-link')}`);
  await click(sec, sel('pin-topic'));
  await visible(sec, `${sel('topic-actions')} ${sel('pin-topic')}`);
  await go(sec, `#/spaces/${spaceId}`);
  await visible(sec, `${sel('topic-row')} ${sel('topic-pinned')}`);
});

await step('search finds the topic by a word of its opening post', async () => {
  await go(amina, `#/search?q=${encodeURIComponent(topic.word)}`);
  await waitText(amina, `${sel('search-hit')}[data-kind="TOPIC"]`, topic.title);
  await checkLabelled(amina, 'the search page');
});

await step('Bruno writes to Amina privately; she answers; the secretariat cannot read it', async () => {
  await go(bruno, '#/messages');
  await click(bruno, sel('new-conversation'));
  await type(bruno, sel('participants-search'), a.displayName);
  await click(bruno, `${sel('participants-option')}[data-value="${a.name}"]`);
  await type(bruno, sel('conversation-subject'), `Survey frames (${run})`);
  await type(bruno, sel('conversation-body'), `Could you share the list you mentioned? (${run})`);
  await checkLabelled(bruno, 'the new conversation form');
  await click(bruno, sel('conversation-submit'));
  await waitText(bruno, sel('conversation-title'), 'Survey frames');
  await waitText(bruno, sel('comment'), 'Could you share the list');
  const conversation = new URL(bruno.url()).hash;
  await go(amina, '#/messages');
  await waitText(amina, `${sel('conversation-row')}`, 'Survey frames');
  await visible(amina, `${sel('conversation-row')} ${sel('conversation-new')}`);
  await click(amina, `${sel('conversation-row')} ${sel('conversation-link')}`);
  await type(amina, sel('post-body'), 'Yes: I will send it after the meeting.');
  await click(amina, sel('post-submit'));
  await waitText(bruno, sel('comment'), 'I will send it after the meeting');
  // Anyone else, the secretariat included, finds nothing there.
  await go(sec, conversation);
  await waitText(sec, 'main h1', 'Not found');
});

await step('Amina blocks Bruno, finds him in her blocked list, and unblocks him', async () => {
  await click(amina, `${sel('participant')}[data-member="${b.name}"] ${sel('block')}`);
  await confirmDialog(amina, 'block-dialog');
  await visible(amina, `${sel('participant')}[data-member="${b.name}"] ${sel('unblock')}`);
  await go(amina, '#/messages/blocked');
  await click(amina, `${sel('blocked-member')}[data-member="${b.name}"] ${sel('unblock')}`);
  await amina.locator(`${sel('blocked-member')}[data-member="${b.name}"]`).waitFor({ state: 'detached' });
});

await step('Amina shares a resource; Bruno finds it by type and country, endorses and discusses it', async () => {
  await go(amina, '#/library');
  await click(amina, sel('share-resource'));
  await type(amina, sel('resource-title-input'), resource.title);
  await type(amina, sel('resource-link-input'), 'https://example.org/toolkits/inclusive-sampling');
  await amina.getByTestId('resource-type-input').selectOption('TOOLKIT');
  await type(amina, sel('resource-summary-input'), 'Checklists for including hard-to-reach groups in survey frames.');
  await type(amina, sel('resource-countries-search'), 'Kenya');
  await click(amina, `${sel('resource-countries-option')}[data-value="KEN"]`);
  await type(amina, sel('resource-languages-input'), 'en, sw');
  await click(amina, sel('resource-sdg-10'));
  await type(amina, sel('resource-tags-input'), 'sampling');
  await checkLabelled(amina, 'the share form');
  await click(amina, sel('resource-submit'));
  await waitText(amina, sel('resource-title'), resource.title);
  await go(bruno, '#/library?type=TOOLKIT&country=KEN');
  await click(bruno, bruno.locator(sel('resource-card')).filter({ hasText: resource.title }).getByTestId('resource-link'));
  await click(bruno, sel('endorse-resource'));
  await bruno.waitForFunction((s) => document.querySelector(s)?.getAttribute('aria-pressed') === 'true', sel('endorse-resource'));
  await waitText(bruno, sel('endorsement-count'), '1');
  await type(bruno, sel('post-body'), 'We used the checklist in two districts: it works.');
  await click(bruno, sel('post-submit'));
  await waitText(bruno, sel('comment'), 'it works');
});

let kenyaBefore = 0;
await step('Amina registers an initiative in Kenya; it waits for review', async () => {
  await go(amina, '#/map');
  kenyaBefore = (await kenya(amina)).count;
  await click(amina, sel('register-initiative'));
  await type(amina, sel('initiative-name-input'), initiative.name);
  await type(amina, sel('initiative-description-input'), 'Residents report the state of water points by SMS; the county publishes the results monthly.');
  await type(amina, sel('initiative-lead-input'), initiative.lead);
  await amina.getByTestId('initiative-lead-type-input').selectOption('ORGANISATION_TYPE_CIVIL_SOCIETY');
  await type(amina, sel('initiative-countries-search'), 'Kenya');
  await click(amina, `${sel('initiative-countries-option')}[data-value="KEN"]`);
  await visible(amina, `${sel('initiative-countries-chip')}[data-value="KEN"]`);
  await click(amina, sel('level-engaging'));
  await amina.getByTestId('initiative-status-input').selectOption('ACTIVE');
  await click(amina, sel('initiative-sdg-6'));
  await type(amina, sel('initiative-indicators-input'), '6.1.1');
  await checkLabelled(amina, 'the initiative form');
  await click(amina, sel('initiative-submit'));
  await waitText(amina, sel('initiative-title'), initiative.name);
  await waitText(amina, sel('review-state'), 'Waiting for review');
  await go(amina, '#/initiatives/mine');
  await waitText(amina, sel('initiative-row'), initiative.name);
});

await step('the secretariat approves it from the review queue', async () => {
  await go(sec, '#/initiatives/review');
  const card = sec.locator(sel('review-card')).filter({ hasText: initiative.name });
  await visible(sec, card);
  await card.getByTestId('approve-initiative').click();
  await confirmDialog(sec, 'approve-dialog', 'Thank you: a clear description.');
  await card.waitFor({ state: 'detached' });
});

await step('the approved initiative is on the map: Kenya is counted and coloured', async () => {
  await go(amina, '#/map');
  const after = await kenya(amina);
  check(after.count === kenyaBefore + 1, `Kenya counted ${after.count}, ${kenyaBefore} before the approval`);
  check(after.fill && after.fill !== '#e7ebef', `Kenya's shape is not coloured (${after.fill})`);
  await waitText(amina, sel('initiative-row'), initiative.name);
  await checkLabelled(amina, 'the map page');
  await shot(amina, 'initiative-map', { at: sel('map-area') });
  await click(amina, `${sel('world-map')} path[data-country="KEN"]`);
  await waitText(amina, sel('map-total'), 'Kenya');
  await waitText(amina, sel('initiative-row'), initiative.name);
});

await step("the map's initiatives export as CSV, with the approved one", async () => {
  const [download] = await Promise.all([amina.waitForEvent('download'), click(amina, sel('export-initiatives-csv'))]);
  check(download.suggestedFilename() === 'initiatives.csv', `downloaded ${download.suggestedFilename()}`);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r\n/);
  check(lines[0].includes('display_name') && lines[0].includes('participation_level'), `CSV header: ${lines[0]}`);
  check(lines.some((l) => l.includes(initiative.name) && l.includes('ENGAGING') && l.includes('KEN')), `CSV: ${csv.slice(0, 300)}`);
  await waitText(amina, sel('map-export-status'), 'Downloaded');
});

await step('the secretariat closes the topic with a reason; Amina reads it and may not post until it reopens', async () => {
  await go(sec, `#/spaces/${spaceId}`);
  await click(sec, `${sel('topic-row')} ${sel('topic-link')}`);
  await click(sec, sel('close-topic'));
  await confirmDialog(sec, 'close-topic-dialog', 'Answered: see the toolkit in the library.');
  await waitText(sec, sel('topic-state'), 'Closed');
  const topicHash = new URL(sec.url()).hash;
  await go(amina, topicHash);
  await waitText(amina, sel('close-reason'), 'see the toolkit');
  await waitText(amina, sel('cannot-post'), 'closed');
  await click(sec, sel('reopen-topic'));
  await sec.locator(sel('topic-state')).waitFor({ state: 'detached' });
  await go(amina, topicHash);
  await visible(amina, sel('post-form'));
});

await step('the secretariat makes the space invite-only with Amina facilitating; she removes and re-adds Bruno', async () => {
  await go(sec, `#/spaces/${spaceId}/edit`);
  await click(sec, sel('space-visibility-invite_only'));
  await type(sec, sel('facilitators-search'), a.displayName);
  await click(sec, `${sel('facilitators-option')}[data-value="${a.name}"]`);
  await checkLabelled(sec, 'the space edit form');
  await click(sec, sel('space-submit'));
  await waitText(sec, sel('space-visibility'), 'Invite only');
  await go(amina, `#/spaces/${spaceId}`);
  await click(amina, sel('space-members-link'));
  const brunoRow = `${sel('space-member')}[data-member="${b.name}"]`;
  await click(amina, `${brunoRow} ${sel('remove-space-member')}`);
  await confirmDialog(amina, 'remove-member-dialog');
  await amina.locator(brunoRow).waitFor({ state: 'detached' });
  await type(amina, sel('add-members-search'), b.displayName);
  await click(amina, `${sel('add-members-option')}[data-value="${b.name}"]`);
  await click(amina, sel('add-members-submit'));
  await visible(amina, brunoRow);
});

await step('an initiative returned with a note shows the note in "My submissions"', async () => {
  const second = `Youth data collectors (${run})`;
  await go(bruno, '#/initiatives/new');
  await type(bruno, sel('initiative-name-input'), second);
  await type(bruno, sel('initiative-lead-input'), 'Rede Dados Cidadãos');
  await bruno.getByTestId('initiative-lead-type-input').selectOption('ORGANISATION_TYPE_CITIZEN_SCIENCE_NETWORK');
  await type(bruno, sel('initiative-countries-search'), 'Brazil');
  await click(bruno, `${sel('initiative-countries-option')}[data-value="BRA"]`);
  await click(bruno, sel('level-driving'));
  await bruno.getByTestId('initiative-status-input').selectOption('PLANNED');
  await click(bruno, sel('initiative-submit'));
  await waitText(bruno, sel('review-state'), 'Waiting for review');
  await go(sec, '#/initiatives/review');
  const card = sec.locator(sel('review-card')).filter({ hasText: second });
  await card.getByTestId('return-initiative').click();
  await confirmDialog(sec, 'return-dialog', 'Please add the SDG goals it serves.');
  await card.waitFor({ state: 'detached' });
  await go(bruno, '#/initiatives/mine');
  const row = bruno.locator(sel('initiative-row')).filter({ hasText: second });
  await waitText(bruno, sel('initiative-row'), 'Returned');
  check((await row.getByTestId('review-note').textContent()).includes('SDG goals'), 'the note is not shown');
});

await step('right to left: the map and topic pages have no horizontal overflow', async () => {
  for (const hash of ['#/map', `#/spaces/${spaceId}`]) {
    await go(amina, hash);
    const overflow = await rtlOverflow(amina);
    check(overflow <= 0, `${hash}: ${overflow} px of horizontal overflow`);
  }
});

await step('no script error happened in any page', async () => {
  check(pageErrors.length === 0, pageErrors.join(' | '));
});

ui.finish();
