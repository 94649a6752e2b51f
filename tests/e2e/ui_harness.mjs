// What the browser scenarios (ui_e2e.mjs, community_ui_e2e.mjs) share:
// reading the arguments, starting Chromium through playwright-core with one
// context per person, steps that report "ok - ..." / "not ok - ...", a
// watchdog over the whole run, screenshots, and helpers that wait for the
// UI's elements (found by data-testid) as a person would.
//
// A scenario:
//   const run = harness({ name: 'ui_e2e', totalTimeout: 85000 });
//   const [a, b] = await run.pages(['secretariat', 'member']);
//   await run.step('something works', async () => { ... });
//   run.finish();

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium as playwrightChromium, selectors } from 'playwright-core';

export const STEP_TIMEOUT = 15000;

/** The gateway's URL and the secretariat's token, from argv or the environment. */
export function args(name) {
  const base = (process.argv[2] || process.env.CDC_GATEWAY || '').replace(/\/$/, '');
  const token = process.argv[3] || process.env.CDC_TOKEN || '';
  if (!base || !token) {
    console.error(`${name}: usage: node ${name}.mjs <gateway URL> <secretariat token>`);
    process.exit(2);
  }
  return { base, token };
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export const sel = (testid) => `[data-testid="${testid}"]`;

/**
 * A run: steps, a report ("N passed, M failed", exit code 0 only if all
 * passed), a watchdog that fails the run after totalTimeout ms, and the
 * browser with one context (separate storage) per person. A step after a
 * failed one is reported as failed without running (they build on each
 * other). Every page's script errors are collected in pageErrors; every
 * module or stylesheet loaded without its ?v= version in unversioned.
 */
export function harness({ name, totalTimeout }) {
  const results = [];
  const pageErrors = [];
  const unversioned = new Set();
  let browser = null;
  let stopped = false;
  const opened = []; // [who, page]

  const report = (extraFailures = 0) => {
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed + extraFailures;
    console.log(`${passed} passed, ${failed} failed`);
    clearTimeout(watchdog);
    const done = () => process.exit(failed === 0 ? 0 : 1);
    setTimeout(done, 5000).unref();
    if (browser) browser.close().then(done, done);
    else done();
  };
  const watchdog = setTimeout(() => {
    stopped = true;
    console.log(`not ok - ${name}: the whole run finished within ${totalTimeout / 1000} s: it did not`);
    report(1);
  }, totalTimeout);

  return {
    pageErrors,
    unversioned,

    /** Starts Chromium and opens one page per person (named for the logs). */
    async pages(people) {
      const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
      try {
        selectors.setTestIdAttribute('data-testid');
        browser = await playwrightChromium.launch({
          executablePath: chromium,
          headless: true,
          args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
        });
      } catch (error) {
        console.log(`not ok - Chromium (${chromium}) starts: ${String(error.message).split('\n')[0]}`);
        report(1);
        await new Promise(() => {}); // report() exits
      }
      // No smooth scrolling (a click lands where the element is); downloads kept.
      const contextOptions = { viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', acceptDownloads: true };
      const out = [];
      for (const who of people) {
        const context = await browser.newContext(contextOptions);
        const page = await context.newPage();
        page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
        page.on('request', (request) => {
          const url = new URL(request.url());
          if ((url.pathname.startsWith('/js/') || url.pathname.endsWith('.css')) && !url.searchParams.get('v')) unversioned.add(url.pathname);
        });
        if (process.env.UI_E2E_CONSOLE) page.on('console', (m) => console.log(`  [${who} console.${m.type()}] ${m.text()}`));
        page.setDefaultTimeout(STEP_TIMEOUT);
        out.push(page);
        opened.push([who, page]);
      }
      return out;
    },

    async step(title, body) {
      if (stopped) return;
      if (results.some((r) => !r.ok)) {
        results.push({ ok: false });
        console.log(`not ok - ${title}: skipped, an earlier step failed`);
        return;
      }
      try {
        await body();
        results.push({ ok: true });
        console.log(`ok - ${title}`);
      } catch (error) {
        results.push({ ok: false });
        console.log(`not ok - ${title}: ${String(error && error.message ? error.message : error).split('\n')[0]}`);
        // What each person saw then, beside the screenshots.
        const screenshots = process.env.UI_E2E_SCREENSHOTS || '';
        for (const [who, page] of screenshots ? opened : []) {
          await page.screenshot({ path: join(screenshots, `${name}-failed-${who}.png`), fullPage: true }).catch(() => {});
          console.log(`  ${who} was at ${page.url()}`);
        }
      }
    },

    /** Reports and exits (unless the watchdog already did). */
    finish() {
      if (!stopped) report();
    },
  };
}

/**
 * Saves a screenshot of the viewport as <UI_E2E_SCREENSHOTS>/<name>.png,
 * from the top of the page or, with `at` (a selector), scrolled to it.
 */
export async function shot(page, name, { at = '' } = {}) {
  const screenshots = process.env.UI_E2E_SCREENSHOTS || '';
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  await page.mouse.move(0, 0);
  // Without the toasts of earlier steps.
  await page.evaluate((selector) => {
    for (const toast of document.querySelectorAll('#toasts > *')) toast.remove();
    const el = selector && document.querySelector(selector);
    if (el) el.scrollIntoView({ block: 'center' });
    else window.scrollTo({ top: 0 });
  }, at);
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

/** The first element matching a CSS selector (or a locator), once visible. */
export async function visible(page, selector, timeout = STEP_TIMEOUT) {
  const el = (typeof selector === 'string' ? page.locator(selector) : selector).first();
  await el.waitFor({ state: 'visible', timeout });
  return el;
}

export async function click(page, selector) {
  const el = await visible(page, selector);
  await el.click();
  return el;
}

export async function type(page, selector, text) {
  const el = await visible(page, selector);
  await el.fill('');
  await el.pressSequentially(text);
  return el;
}

export async function textOf(page, selector) {
  const el = await visible(page, selector);
  return (await el.textContent()).trim();
}

/** Waits until `selector` shows text containing `text`. */
export async function waitText(page, selector, text, timeout = STEP_TIMEOUT) {
  try {
    await page.waitForFunction(([s, t]) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(t)),
      [selector, text], { timeout });
  } catch {
    const seen = await page.$$eval(selector, (els) => els.map((el) => el.textContent.trim().slice(0, 160)));
    throw new Error(`no ${selector} shows "${text}"; seen: ${JSON.stringify(seen).slice(0, 400)}`);
  }
}

/**
 * Navigates within the app (hash routes) and waits for the view. Going to
 * the page already shown reloads it, as a person would to see what changed.
 */
export async function go(page, hash) {
  const same = await page.evaluate((h) => location.hash === h, hash);
  if (same) {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: STEP_TIMEOUT });
  } else {
    await page.evaluate((h) => { location.hash = h; }, hash);
  }
  await page.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: STEP_TIMEOUT });
}

export async function openApp(page, base, hash = '#/') {
  await page.goto(`${base}/${hash}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: STEP_TIMEOUT });
}

/** Form controls on the page that have no label (none should). */
export async function checkLabelled(page, where) {
  const bare = await page.$$eval('main input:not([type="hidden"]), main select, main textarea, dialog input, dialog textarea',
    (els) => els.filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') &&
      !el.getAttribute('aria-labelledby')).map((el) => el.outerHTML.slice(0, 100)));
  check(bare.length === 0, `${where}: controls without a label: ${bare.join(' ')}`);
}

/** Confirms the open <dialog> (typing `text` into it first, if given). */
export async function confirmDialog(page, testid, text) {
  await visible(page, `dialog${sel(testid)}`);
  if (text !== undefined) await type(page, sel(`${testid}-input`), text);
  await click(page, sel(`${testid}-confirm`));
  await page.locator(`dialog${sel(testid)}`).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
}

/** Horizontal overflow of the page, in pixels, laid out right to left. */
export async function rtlOverflow(page) {
  await page.evaluate(() => { document.documentElement.dir = 'rtl'; });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.evaluate(() => { document.documentElement.dir = 'ltr'; });
  return overflow;
}
