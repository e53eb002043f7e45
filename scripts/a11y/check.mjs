// check.mjs — the browser half of scripts/a11y-check.sh.
//
// Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) in Debian's Chromium on the
// pages of a running Meetinghouse, signed out and signed in as the demo admin,
// plus two simple checks of our own on every page:
//   reflow-320     at a 320 CSS px wide viewport the page must not scroll
//                  sideways (WCAG 1.4.10 Reflow);
//   focus-visible  every element reached with Tab must show a focus indicator
//                  (an outline or a box-shadow; WCAG 2.4.7 Focus Visible).
// Both count as impact "serious" when they fail.
//
// Usage: node check.mjs BASE_URL OUT_DIR
// Environment: A11Y_CHROMIUM (default /usr/bin/chromium), A11Y_TAGS (comma
// separated axe tags), A11Y_EMAIL, A11Y_PASSWORD (the demo admin),
// A11Y_EXTRA_PAGES / A11Y_EXTRA_PAGES_SIGNED_IN (more paths, space separated,
// checked signed out / signed in).
// Writes OUT_DIR/results.json and the screenshots; prints a table; exit code
// 1 when any violation has impact serious or critical, 2 on a broken run.

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
// Evaluated through the DevTools protocol, which the pages' Content-Security-
// Policy (no scripts at all) does not block; the CSP itself stays in force.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_VERSION = require('axe-core/package.json').version;

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node check.mjs BASE_URL OUT_DIR');
  process.exit(2);
}
const TAGS = (process.env.A11Y_TAGS || 'wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22a,wcag22aa')
  .split(',').map((t) => t.trim()).filter(Boolean);
const EMAIL = process.env.A11Y_EMAIL || 'sam@demo.meetinghouse.test';
const PASSWORD = process.env.A11Y_PASSWORD || 'meetinghouse-demo';
const DESKTOP = { width: 1280, height: 800 };
const NARROW = { width: 320, height: 640 };
const MAX_TABS = 80;
const BAD = new Set(['serious', 'critical']);

mkdirSync(outDir, { recursive: true });

// --- the checks on one loaded page --------------------------------------------

async function runAxe(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'] });
    const slim = (v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary || '' })) });
    return { violations: r.violations.map(slim), incomplete: r.incomplete.map(slim) };
  }, TAGS);
}

// At 320 px: does the page scroll sideways, and which elements stick out?
async function checkReflow(page) {
  await page.setViewportSize(NARROW);
  const r = await page.evaluate(() => {
    const root = document.scrollingElement || document.documentElement;
    const width = document.documentElement.clientWidth;
    const overflow = root.scrollWidth - width;
    const culprits = [];
    if (overflow > 0) {
      const path = (el) => {
        const parts = [];
        for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
          let s = e.localName;
          if (e.id) { s += '#' + e.id; parts.unshift(s); break; }
          if (e.classList.length) s += '.' + [...e.classList].join('.');
          parts.unshift(s);
        }
        return parts.join(' > ');
      };
      for (const el of document.body.querySelectorAll('*')) {
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 || rect.right <= width + 1) continue;
        // report the outermost culprit only
        if (el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1) continue;
        culprits.push(`${path(el)} (right edge ${Math.round(rect.right)}px)`);
        if (culprits.length >= 5) break;
      }
      // And the innermost elements that reach the far right edge (these can
      // be absolutely positioned ones that escape a scroll container).
      const far = [...document.body.querySelectorAll('*')]
        .filter((el) => el.getBoundingClientRect().right >= root.scrollWidth - 1);
      for (const el of far.slice(-3)) culprits.push(`${path(el)} (reaches the far edge)`);
    }
    return { scrollWidth: root.scrollWidth, width, overflow, culprits };
  });
  await page.setViewportSize(DESKTOP);
  return r;
}

// Tab through the page; every element that takes focus must show an outline
// or a box-shadow that differs from its unfocused style.
async function checkFocus(page) {
  await page.evaluate(() => { window.scrollTo(0, 0); if (document.activeElement) document.activeElement.blur(); });
  const seen = new Set();
  const missing = [];
  let stops = 0;
  for (let i = 0; i < MAX_TABS; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      const key = el.outerHTML.slice(0, 200) + '|' + [...document.querySelectorAll('*')].indexOf(el);
      const cs = getComputedStyle(el);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      const label = (el.localName + (el.id ? '#' + el.id : '') + ' "' +
        (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40) + '"');
      const rect = el.getBoundingClientRect();
      return { key, visible: outline || shadow, label, onScreen: rect.width > 0 && rect.height > 0 };
    });
    if (!info) { if (stops > 0) break; else continue; }
    if (seen.has(info.key)) break;
    seen.add(info.key);
    stops++;
    if (!info.visible || !info.onScreen) missing.push(info.label + (info.onScreen ? '' : ' (off screen or zero size)'));
  }
  return { stops, missing };
}

async function checkPage(page, name) {
  const started = Date.now();
  const entry = { name, url: page.url(), violations: [], incomplete: [], notes: [] };
  try {
    const axeResult = await runAxe(page);
    entry.violations = axeResult.violations;
    entry.incomplete = axeResult.incomplete;
    const reflow = await checkReflow(page);
    entry.reflow = reflow;
    if (reflow.overflow > 0) {
      entry.violations.push({ id: 'reflow-320', impact: 'serious',
        help: `scrolls sideways at 320px (content ${reflow.scrollWidth}px wide)`,
        nodes: reflow.culprits.map((c) => ({ target: c, summary: '' })) });
    }
    const focus = await checkFocus(page);
    entry.focus = focus;
    if (focus.missing.length) {
      entry.violations.push({ id: 'focus-visible', impact: 'serious',
        help: 'focused element shows no outline or box-shadow',
        nodes: focus.missing.map((m) => ({ target: m, summary: '' })) });
    }
  } catch (e) {
    entry.error = String(e && e.stack || e);
  }
  entry.ms = Date.now() - started;
  return entry;
}

async function visit(context, name, path, expectStatus = 200) {
  const page = await context.newPage();
  try {
    const resp = await page.goto(base + path, { waitUntil: 'load', timeout: 30000 });
    const entry = await checkPage(page, name);
    entry.status = resp ? resp.status() : null;
    if (entry.status !== expectStatus) entry.notes.push(`HTTP ${entry.status}, expected ${expectStatus}`);
    return entry;
  } catch (e) {
    return { name, url: base + path, violations: [], incomplete: [], notes: [], error: String(e && e.stack || e) };
  } finally {
    await page.close();
  }
}

async function screenshots(context, name, path) {
  const page = await context.newPage();
  try {
    await page.setViewportSize(DESKTOP);
    await page.goto(base + path, { waitUntil: 'load', timeout: 30000 });
    await page.screenshot({ path: join(outDir, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(NARROW);
    await page.screenshot({ path: join(outDir, `${name}-320.png`), fullPage: true });
  } finally {
    await page.close();
  }
}

// Extra paths from the environment, separated by spaces.
function extra(name) {
  return (process.env[name] || '').split(/\s+/).filter((p) => p.startsWith('/'));
}

// --- run -----------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: process.env.A11Y_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results = [];
let broken = 0;
try {
  // Signed out.
  const out = await browser.newContext({ viewport: DESKTOP, reducedMotion: 'reduce' });
  const signedOut = [
    ['/', '/'], ['/orgs', '/orgs'], ['/orgs/tiverton-museum', '/orgs/tiverton-museum'],
    ['/groups', '/groups'], ['/groups/tiverton-together', '/groups/tiverton-together'],
    ['/@sam', '/@sam'], ['/signup', '/signup'], ['/login', '/login'], ['/reset', '/reset'],
    ['/conduct', '/conduct'], ['/about', '/about'],
    ['/common-ground', '/common-ground'], ['/common-ground/1', '/common-ground/1'],
    ['/common-ground/1/report', '/common-ground/1/report'],
  ];
  for (const p of extra('A11Y_EXTRA_PAGES')) signedOut.push([`${p} (extra)`, p]);
  for (const [name, path] of signedOut) results.push(await visit(out, name, path));
  results.push(await visit(out, '404 (/no-such-page)', '/no-such-page-a11y-check', 404));

  // The sign-up form re-rendered with errors: a bad handle.
  {
    const page = await out.newPage();
    try {
      await page.goto(base + '/signup', { waitUntil: 'load' });
      await page.fill('#email', 'a11y-check@example.test');
      await page.fill('#handle', 'not a handle!');
      await page.fill('#display_name', 'A11y Check');
      await page.fill('#password', 'a long enough password');
      await page.check('#accept_conduct');
      const [resp] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.click('form[action="/signup"] button[type=submit]'),
      ]);
      const entry = await checkPage(page, '/signup (with errors)');
      entry.status = resp ? resp.status() : null;
      if (!(await page.$('.error-summary'))) entry.notes.push('no error summary on the re-rendered form');
      results.push(entry);
    } catch (e) {
      results.push({ name: '/signup (with errors)', violations: [], incomplete: [], notes: [], error: String(e && e.stack || e) });
    } finally { await page.close(); }
  }

  await screenshots(out, 'home', '/');
  await screenshots(out, 'group', '/groups/tiverton-together');
  await out.close();

  // Signed in as the demo admin, through the /login form.
  const inCtx = await browser.newContext({ viewport: DESKTOP, reducedMotion: 'reduce' });
  {
    const page = await inCtx.newPage();
    await page.goto(base + '/login', { waitUntil: 'load' });
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.click('form[action="/login"] button[type=submit]'),
    ]);
    const me = await page.goto(base + '/me', { waitUntil: 'load' });
    const landed = page.url();
    const signedIn = me && me.status() === 200 && new URL(landed).pathname === '/me';
    await page.close();
    if (!signedIn) throw new Error(`signing in as ${EMAIL} failed (GET /me ended at ${landed})`);
  }
  const signedInPages = ['/me', '/me/profile', '/orgs/new', '/groups/new', '/groups/tiverton-together',
    '/orgs/tiverton-museum', '/moderation', '/moderation/log', '/notifications',
    '/admin', '/admin/settings', '/admin/people', '/admin/outbox',
    '/common-ground/new', '/common-ground/1', '/common-ground/1/mine', '/common-ground/1/report', ...extra('A11Y_EXTRA_PAGES_SIGNED_IN')];
  for (const path of signedInPages) {
    const name = path === "/groups/tiverton-together" ? `${path} (host view)` : path === "/orgs/tiverton-museum" ? `${path} (admin view)` : path;
    results.push(await visit(inCtx, `${name} [signed in]`, path));
  }
  await inCtx.close();
} catch (e) {
  console.error(`a11y check: ${e && e.stack || e}`);
  broken++;
} finally {
  await browser.close();
}

// --- report --------------------------------------------------------------------

writeFileSync(join(outDir, 'results.json'), JSON.stringify({ base, axeVersion: AXE_VERSION, tags: TAGS, results }, null, 2));

const rows = [];
let serious = 0;
for (const r of results) {
  if (r.error) { broken++; rows.push([r.name, 'ERROR', '', r.error.split('\n')[0].slice(0, 100)]); continue; }
  for (const n of r.notes) { broken++; rows.push([r.name, 'NOTE', '', n]); }
  if (!r.violations.length && !r.notes.length) rows.push([r.name, '-', '', '']);
  for (const v of r.violations) {
    if (BAD.has(v.impact)) serious++;
    rows.push([r.name, v.id, v.impact || '', String(v.nodes.length)]);
  }
}
const head = ['page', 'rule', 'impact', 'count'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
console.log(`axe-core ${AXE_VERSION}, tags ${TAGS.join(' ')}; plus reflow-320 and focus-visible`);
console.log(line(head));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));

// Details of each violation (which elements), for fixing.
for (const r of results) {
  for (const v of r.violations || []) {
    console.log(`\n${r.name}: ${v.id} (${v.impact}) — ${v.help}`);
    for (const n of v.nodes.slice(0, 8)) console.log(`    ${n.target}`);
    if (v.nodes.length > 8) console.log(`    … and ${v.nodes.length - 8} more`);
  }
}
const review = results.reduce((a, r) => a + (r.incomplete || []).length, 0);
const pages = results.length;
const total = results.reduce((a, r) => a + (r.violations || []).length, 0);
console.log(`\n${pages} pages, ${total} violation rule(s), ${serious} serious or critical; ` +
  `${review} "needs review" result(s) from axe (listed in results.json, not failures)`);
if (broken) console.log(`${broken} problem(s) kept pages from being checked as expected (ERROR/NOTE rows, messages above)`);
process.exitCode = broken ? 2 : serious ? 1 : 0;
