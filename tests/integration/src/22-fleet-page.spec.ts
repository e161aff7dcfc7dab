// The fleet page (/ui/) in a real browser: Debian's Chromium driven by playwright-core (CI
// installs the `chromium` package; nothing ever downloads a browser). Two controller
// replicas and two runtimes in two zones, as processes. The page, opened on ctl-1 with a
// viewer token in the URL fragment, lists the runtimes by zone, both replicas' heartbeats
// and the APIs; a killed runtime turns disconnected (or stale) without a reload, and so
// does a killed replica (stale); a refused token asks again; a controller that went away
// shows the error banner. Screenshots are kept in test-artifacts/ (git-ignored).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { waitFor } from '@gw/test-kit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  ADMIN_TOKEN,
  putApi,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { repoRoot, stopAll } from './support/processes.js';

/** Debian's package puts it here; the spec fails (never skips) without it. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
// Heartbeats every second; stale after 5 s without one (room for a loaded machine).
const FLEET_ENV = { FLEET_HEARTBEAT_MS: '1000', FLEET_STALE_AFTER_MS: '5000', CHANGE_FEED_POLL_MS: '500' };
// Page updates come every 2 s; a kill is seen at once (the stream breaks) or at worst after the stale time.
const PAGE_WAIT = { timeoutMs: 30_000, intervalMs: 200 };

let db: TempDatabase;
let ctl: ControllerProcess;
let ctl2: ControllerProcess;
let rtA: RuntimeProcess;
let rtB: RuntimeProcess;
let browser: Browser;
let page: Page;
let viewerToken: string;
/** Script errors and CSP violations the page reported: there must be none. */
const pageProblems: string[] = [];

async function runtimesConnected(): Promise<boolean> {
  const res = await http('GET', `${ctl.http}/v1/runtimes`, { headers: authHeaders });
  const rts = res.json().runtimes as { runtimeId: string; state: string }[];
  return ['rt-a', 'rt-b'].every((id) => rts.some((r) => r.runtimeId === id && r.state === 'connected'));
}

/** Evaluates an expression in the page (a string: the specs are type-checked without the DOM library). */
function inPage<T = unknown>(expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** The text of a runtime's row on the page (empty while it is not there). */
async function runtimeRow(zone: string, runtimeId: string): Promise<string> {
  const row = page.locator(`section.zone[data-zone="${zone}"] tr[data-runtime-id="${runtimeId}"]`);
  return (await row.count()) === 1 ? ((await row.textContent()) ?? '') : '';
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The fleet page spec needs Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does). It never downloads a browser.`);
  }
  db = await createTempDatabase();
  ctl = await startControllerProcess({ id: 'ctl-1', zone: 'a', databaseUrl: db.url, env: FLEET_ENV });
  ctl2 = await startControllerProcess({ id: 'ctl-2', zone: 'b', databaseUrl: db.url, env: FLEET_ENV });
  await waitControllerReady(ctl);
  await waitControllerReady(ctl2);
  rtA = await startRuntimeProcess({ id: 'rt-a', zone: 'a', controllers: ctl.grpc });
  rtB = await startRuntimeProcess({ id: 'rt-b', zone: 'b', controllers: ctl.grpc });
  const put = await putApi(ctl, 'fleet-api', simpleApi('fleet-api', 'http://127.0.0.1:9'));
  expect(put.status, put.body).toBe(201);
  const created = await http('POST', `${ctl.http}/v1/tokens`, {
    headers: { ...authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fleet-page', role: 'viewer' }),
  });
  expect(created.status, created.body).toBe(201);
  viewerToken = created.json().token;
  await withOutput(ctl.proc, waitFor('both runtimes connected', runtimesConnected, PAGE_WAIT));

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000 });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) pageProblems.push(`console: ${msg.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await db?.drop();
});

describe('the fleet page in Chromium', () => {
  it('opens with a viewer token from the fragment, takes the token out of the URL, and lists runtimes by zone, the controller and the APIs', async () => {
    await page.goto(`${ctl.http}/ui/#token=${encodeURIComponent(viewerToken)}`);
    await waitFor('both zones on the page', async () => (await runtimeRow('a', 'rt-a')).includes('Connected, in sync') && (await runtimeRow('b', 'rt-b')).includes('Connected, in sync'), PAGE_WAIT);

    expect(page.url()).toBe(`${ctl.http}/ui/`);
    expect(await inPage<string | null>("sessionStorage.getItem('gw.fleet.token')")).toBe(viewerToken);
    expect(await page.locator('section.zone h3').allTextContents()).toEqual(['Zone a', 'Zone b']);
    const rowA = await runtimeRow('a', 'rt-a');
    expect(rowA).toContain('ctl-1');
    expect(rowA).toMatch(/v\d+ · epoch 1/);
    expect(rowA).toContain('spiffe://gateway/runtime/rt-a');
    await waitFor('both replicas on the page', async () => (await page.locator('#controllers tr[data-controller-id="ctl-2"]').count()) === 1, PAGE_WAIT);
    expect(await page.locator('#controllers tr[data-controller-id="ctl-1"]').textContent()).toMatch(/ctl-1 \(this page\)Livea/);
    expect(await page.locator('#controllers tr[data-controller-id="ctl-2"]').textContent()).toMatch(/^ctl-2Liveb/);
    expect(await page.locator('#apis tr[data-api="fleet-api"]').textContent()).toMatch(/fleet-api1admin/);
    expect(await page.locator('#updated').textContent()).toMatch(/^Last updated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await page.locator('#login').isHidden()).toBe(true);

    // Keyboard: the first Tab lands on the skip link, which is visible when focused.
    await page.keyboard.press('Tab');
    expect(await inPage<string>('document.activeElement?.textContent')).toBe('Skip to the fleet');
    expect(await page.locator('a.skip').isVisible()).toBe(true);
    expect(pageProblems).toEqual([]);
  });

  it('is readable at 360 px: no sideways scrolling, every row a card of labelled values', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await inPage<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    // The labels come from the column headers (data-label), so a card still says what each value is.
    expect(await page.locator('section.zone[data-zone="a"] tr[data-runtime-id="rt-a"] td').first().getAttribute('data-label')).toBe('Status');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-page-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a killed runtime as disconnected or stale without a reload, and keeps a screenshot', async () => {
    // Survives only if the page is never reloaded.
    await inPage('window.notReloaded = true');
    await rtB.proc.kill9();
    const row = await waitFor(
      'rt-b disconnected or stale on the page',
      async () => {
        const text = await runtimeRow('b', 'rt-b');
        return /Disconnected|Stale/.test(text) ? text : undefined;
      },
      PAGE_WAIT,
    );
    expect(row).toMatch(/No \(not connected\)/);
    expect(await runtimeRow('a', 'rt-a')).toContain('Connected, in sync');
    expect(await inPage<boolean>('window.notReloaded')).toBe(true);
    expect(await page.locator('section.zone[data-zone="b"] .zone-counts').textContent()).toMatch(/1 runtime\(s\): 0 connected/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-page.png'), fullPage: true });
    expect(existsSync(path.join(ARTIFACTS, 'fleet-page.png'))).toBe(true);
    expect(pageProblems).toEqual([]);
  });

  it('shows a killed controller replica as stale without a reload (its heartbeat stopped), in the page and in GET /v1/controllers', async () => {
    await ctl2.proc.kill9();
    const row = page.locator('#controllers tr[data-controller-id="ctl-2"]');
    await waitFor('ctl-2 stale on the page', async () => /Stale \(no heartbeat\)/.test((await row.textContent()) ?? ''), PAGE_WAIT);
    expect(await page.locator('#controllers tr[data-controller-id="ctl-1"]').textContent()).toContain('Live');
    expect(await inPage<boolean>('window.notReloaded')).toBe(true);
    const res = await http('GET', `${ctl.http}/v1/controllers`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(res.status, res.body).toBe(200);
    const byId = Object.fromEntries((res.json().controllers as { controllerId: string }[]).map((c) => [c.controllerId, c]));
    expect(byId['ctl-1']).toMatchObject({ zone: 'a', state: 'live', stale: false, self: true, snapshot: { epoch: 1 } });
    expect(byId['ctl-2']).toMatchObject({ zone: 'b', state: 'stale', stale: true, self: false });
    // The kept screenshot shows both: the killed runtime disconnected, the killed replica stale.
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-page.png'), fullPage: true });
  });

  it('asks for a token once when the kept one is refused, and keeps the new one for the tab', async () => {
    await inPage("sessionStorage.setItem('gw.fleet.token', 'gwt_not-a-real-token')");
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible', timeout: PAGE_WAIT.timeoutMs });
    expect(await page.locator('#login-reason').textContent()).toMatch(/refused the token \(401/);
    expect(await inPage<string | null>("sessionStorage.getItem('gw.fleet.token')")).toBeNull();
    // The form: focus is already in the field; Enter submits.
    expect(await inPage<string>('document.activeElement?.id')).toBe('token');
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await waitFor('the fleet after signing in', async () => (await runtimeRow('a', 'rt-a')).includes('Connected'), PAGE_WAIT);
    expect(await inPage<string | null>("sessionStorage.getItem('gw.fleet.token')")).toBe(ADMIN_TOKEN);
    // A reload without a fragment uses the kept token: no second question.
    await page.reload();
    await waitFor('the fleet after a reload', async () => (await runtimeRow('a', 'rt-a')).includes('Connected'), PAGE_WAIT);
    expect(await page.locator('#login').isHidden()).toBe(true);
  });

  it('lists the first 200 APIs by name and says so once there are more (it asks every 2 s: the whole list of 10,000 is ~10 MiB)', async () => {
    const bulk = Array.from({ length: 200 }, (_, i) => simpleApi(`zz-bulk-${String(i).padStart(3, '0')}`, 'http://127.0.0.1:9'));
    const applied = await http('POST', `${ctl.http}/v1/apply`, { headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ apis: bulk }), timeoutMs: 30_000 });
    expect(applied.status, applied.body).toBe(200);
    const caption = page.locator('#apis caption');
    await waitFor('the caption says only the first APIs are listed', async () => /the first 200 by name, more are not listed here/.test((await caption.textContent()) ?? ''), PAGE_WAIT);
    expect(await page.locator('#apis tr[data-api]').count()).toBe(200);
    // In name order: fleet-api first, the last bulk API (zz-bulk-199, the 201st) left out.
    expect(await page.locator('#apis tr[data-api="fleet-api"]').count()).toBe(1);
    expect(await page.locator('#apis tr[data-api="zz-bulk-198"]').count()).toBe(1);
    expect(await page.locator('#apis tr[data-api="zz-bulk-199"]').count()).toBe(0);
    expect(pageProblems).toEqual([]);
  });

  it('shows an error banner, and keeps the last answer, when the controller cannot be reached', async () => {
    await ctl.proc.stop();
    const banner = await waitFor(
      'the error banner',
      async () => {
        // While it shuts down it may still answer with an error first ("could not answer"); then nothing listens.
        const e = page.locator('#error');
        const text = (await e.isVisible()) ? await e.textContent() : undefined;
        return text?.startsWith('Cannot reach the controller') ? text : undefined;
      },
      PAGE_WAIT,
    );
    expect(banner).toMatch(/^Cannot reach the controller \(.+\)\. Showing the last answer, from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; retrying every 2 s\.$/);
    expect(await runtimeRow('a', 'rt-a')).not.toBe('');
    expect(await page.locator('#error').getAttribute('role')).toBe('alert');
  });
});
