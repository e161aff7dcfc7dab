// The fleet page's script: reads the token (URL fragment, then sessionStorage, else a form),
// polls /v1/runtimes, /v1/controllers and the first APIS_SHOWN of /v1/apis every POLL_MS, and renders them with
// plain DOM calls (textContent only: runtime-supplied strings never become markup).
import {
  ago,
  apisCaption,
  APIS_SHOWN,
  configText,
  controllerStatusText,
  groupByZone,
  nackText,
  POLL_MS,
  runtimeStatusText,
  TOKEN_KEY,
  tokenFromFragment,
  utc,
  type ApisList,
  type ControllersReport,
  type RuntimesReport,
  type RuntimeView,
} from './fleet-model.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** A request the controller refused with 401: the token is wrong, expired or revoked. */
class Unauthorized extends Error {}

/** The controller answered, with an error (e.g. 503 while its database is down). */
class HttpError extends Error {}

let timer: number | undefined;
let lastSuccess: string | undefined;

function readToken(): string | undefined {
  const fromUrl = tokenFromFragment(location.hash);
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl.token);
    // The token must not stay in the address bar, the history or a bookmark.
    history.replaceState(history.state, '', `${location.pathname}${location.search}${fromUrl.rest}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

async function getJson<T>(path: string, token: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, cache: 'no-store', credentials: 'omit' });
  if (res.status === 401) throw new Unauthorized(`${path}: 401`);
  if (!res.ok) {
    let detail = '';
    try {
      detail = ((await res.json()) as { detail?: string }).detail ?? '';
    } catch {
      // Not a problem document (a proxy in between, say): the status says enough.
    }
    throw new HttpError(`${path} answered ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  return (await res.json()) as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** A table whose rows read as "label: value" cards on narrow windows (the label is each cell's data-label). */
function table(caption: string, headers: readonly string[], rows: readonly (readonly Cell[])[], rowKey: (i: number) => Record<string, string>): HTMLTableElement {
  const t = el('table');
  t.append(el('caption', caption));
  const head = el('tr');
  for (const h of headers) {
    const th = el('th', h);
    th.scope = 'col';
    head.append(th);
  }
  t.createTHead().append(head);
  const body = t.createTBody();
  rows.forEach((cells, i) => {
    const tr = el('tr');
    for (const [k, v] of Object.entries(rowKey(i))) tr.dataset[k] = v;
    cells.forEach((cell, c) => {
      // The first cell names the row: a row header, so screen readers announce it with every cell.
      const td = c === 0 ? el('th') : el('td');
      if (c === 0) (td as HTMLTableCellElement).scope = 'row';
      td.dataset['label'] = headers[c] ?? '';
      const span = el('span', cell.text, cell.className);
      if (cell.title) span.title = cell.title;
      td.append(span);
      tr.append(td);
    });
    body.append(tr);
  });
  return t;
}

interface Cell {
  text: string;
  className?: string;
  title?: string;
}

const timeCell = (iso: string | null, now: string): Cell => (iso ? { text: ago(iso, now), title: utc(iso) } : { text: '—' });

function runtimeStateClass(r: RuntimeView): string {
  if (r.state !== 'connected') return `status state-${r.state}`;
  if (r.nackPending) return 'status state-nacked';
  return r.inSync ? 'status state-connected' : 'status state-outofsync';
}

function renderZones(report: RuntimesReport): HTMLElement[] {
  const groups = groupByZone(report.runtimes);
  if (groups.length === 0) return [el('p', 'No runtime has connected yet.', 'empty')];
  return groups.map((g) => {
    const section = el('section');
    section.className = 'zone';
    section.dataset['zone'] = g.zone;
    const id = `zone-${encodeURIComponent(g.zone).replace(/%/g, '_')}`;
    section.setAttribute('aria-labelledby', id);
    const h = el('h3', `Zone ${g.zone}`);
    h.id = id;
    const c = g.counts;
    const counts = el(
      'p',
      `${c.total} runtime(s): ${c.connected} connected, ${c.inSync} in sync, ${c.stale} stale, ${c.disconnected} disconnected`,
      'zone-counts',
    );
    const rows = g.runtimes.map((r): Cell[] => [
      { text: r.runtimeId },
      { text: runtimeStatusText(r), className: runtimeStateClass(r) },
      { text: r.controllerId },
      { text: configText(r.applied), title: `hash ${r.applied.hash}` },
      { text: r.state === 'connected' ? (r.inSync ? 'Yes' : 'No') : 'No (not connected)' },
      { text: nackText(r.lastNack, r.nackPending), ...(r.lastNack ? { title: utc(r.lastNack.at) } : {}) },
      timeCell(r.lastSeenAt, report.checkedAt),
      { text: r.buildVersion || '—' },
      { text: r.identity ?? 'none (insecure mode)', className: 'muted' },
    ]);
    const t = table(
      `Runtimes in zone ${g.zone}`,
      ['Runtime', 'Status', 'Controller', 'Config', 'In sync', 'Last NACK', 'Last seen', 'Build', 'Identity'],
      rows,
      (i) => ({ runtimeId: g.runtimes[i]!.runtimeId, state: g.runtimes[i]!.state }),
    );
    section.append(h, counts, t);
    return section;
  });
}

function renderControllers(report: ControllersReport): HTMLElement {
  if (report.controllers.length === 0) return el('p', 'No controller heartbeat recorded yet.', 'empty');
  const rows = report.controllers.map((c): Cell[] => [
    { text: c.self ? `${c.controllerId} (this page)` : c.controllerId },
    { text: controllerStatusText(c), className: `status state-${c.state}` },
    { text: c.zone },
    { text: configText(c.snapshot), ...(c.snapshot ? { title: `hash ${c.snapshot.hash}` } : {}) },
    timeCell(c.startedAt, report.checkedAt),
    timeCell(c.lastSeenAt, report.checkedAt),
    { text: c.buildVersion || '—' },
  ]);
  return table('Controller replicas (heartbeats)', ['Controller', 'Status', 'Zone', 'Serving config', 'Started', 'Last heartbeat', 'Build'], rows, (i) => ({
    controllerId: report.controllers[i]!.controllerId,
    state: report.controllers[i]!.state,
  }));
}

function renderApis(list: ApisList, now: string): HTMLElement {
  if (list.items.length === 0) return el('p', 'No API deployed yet.', 'empty');
  const rows = list.items.map((a): Cell[] => [{ text: a.api.name }, { text: String(a.revision) }, { text: a.updatedBy ?? '—' }, timeCell(a.updatedAt, now)]);
  return table(apisCaption(list), ['API', 'Latest revision', 'Made by', 'Updated'], rows, (i) => ({ api: list.items[i]!.api.name }));
}

function showError(message: string | undefined): void {
  const banner = $('error');
  // Only touch the live region when the text changes, so a screen reader is not told the same thing every 2 s.
  if (message === undefined) {
    banner.hidden = true;
    banner.textContent = '';
  } else if (banner.textContent !== message || banner.hidden) {
    banner.textContent = message;
    banner.hidden = false;
  }
}

function showLogin(reason?: string): void {
  window.clearTimeout(timer);
  timer = undefined;
  $('fleet').hidden = true;
  $('forget').hidden = true;
  $('login').hidden = false;
  if (reason) $('login-reason').textContent = reason;
  $<HTMLInputElement>('token').focus();
}

async function poll(token: string): Promise<void> {
  try {
    const [runtimes, controllers, apis] = await Promise.all([
      getJson<RuntimesReport>('/v1/runtimes', token),
      getJson<ControllersReport>('/v1/controllers', token),
      getJson<ApisList>(`/v1/apis?limit=${APIS_SHOWN}`, token),
    ]);
    $('summary').textContent =
      `Desired config: ${configText(runtimes.config)}. ` +
      `${runtimes.runtimes.filter((r) => r.inSync).length} of ${runtimes.runtimes.length} runtime(s) in sync; ` +
      `${controllers.controllers.filter((c) => c.state === 'live').length} of ${controllers.controllers.length} controller replica(s) live.`;
    $('zones').replaceChildren(...renderZones(runtimes));
    $('controllers').replaceChildren(renderControllers(controllers));
    $('apis').replaceChildren(renderApis(apis, runtimes.checkedAt));
    $('fleet').hidden = false;
    lastSuccess = new Date().toISOString();
    $('updated').textContent = `Last updated ${utc(runtimes.checkedAt)} (refreshes every ${POLL_MS / 1000} s).`;
    showError(undefined);
  } catch (err) {
    if (err instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError(undefined);
      showLogin('The controller refused the token (401: unknown, expired or revoked). Enter a token with the viewer role or higher.');
      return;
    }
    const why = err instanceof Error ? err.message : String(err);
    const what = err instanceof HttpError ? `The controller could not answer (${why})` : `Cannot reach the controller (${why})`;
    const kept = lastSuccess ? `Showing the last answer, from ${utc(lastSuccess)}` : 'Nothing to show yet';
    showError(`${what}. ${kept}; retrying every ${POLL_MS / 1000} s.`);
  }
  // The next round starts after this one ended: rounds never overlap, at most one every POLL_MS.
  timer = window.setTimeout(() => void poll(token), POLL_MS);
}

function start(token: string): void {
  $('login').hidden = true;
  $('forget').hidden = false;
  window.clearTimeout(timer);
  void poll(token);
}

function main(): void {
  $<HTMLFormElement>('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('token');
    const token = input.value.trim();
    if (token === '') return;
    input.value = '';
    sessionStorage.setItem(TOKEN_KEY, token);
    start(token);
    $('main').focus();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showError(undefined);
    showLogin('Token forgotten. Enter a token to look again.');
  });
  // A link with a new #token= opened in the same tab replaces the one in use.
  window.addEventListener('hashchange', () => {
    if (tokenFromFragment(location.hash)) start(readToken()!);
  });
  const token = readToken();
  if (token) start(token);
  else showLogin();
}

main();
