// The end-to-end tests' harness: the real `tessera serve` on 127.0.0.1 for
// the built app and (from a second origin, with CORS) for the demo data,
// Debian's Chromium driven by playwright-core, and tifffile (Python) as an
// independent reader of the GeoTIFFs the demo wrote.

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TESSERA = process.env.TESSERA_BIN || path.join(root, 'target/release/tessera');
export const DIST = process.env.TESSERA_DIST || path.join(root, 'dist');
export const DEMO = process.env.TESSERA_E2E_DEMO || path.join(root, 'tests/out/e2e-demo');
export const SHOTS = path.join(root, 'tests/out/e2e-screenshots');
const PYTHON = process.env.TESSERA_PYTHON || path.join(root, '.venv/bin/python');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Serves `dir` with `tessera serve` on a free port; resolves to { url, close }. */
export function serve(dir, { cors } = {}) {
  const args = ['serve', dir, '--port', '0', '-q'];
  if (cors) args.push('--cors', cors);
  const child = spawn(TESSERA, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tessera serve ${dir}: no "Serving" line`)), 20000);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`tessera serve ${dir} exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/Serving .* at (http:\/\/\S+?)\/?\n/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          close: () =>
            new Promise((done) => {
              child.removeAllListeners('exit');
              child.on('exit', done);
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

/**
 * For a test file: serves the built app and the demo (from a second
 * origin, with CORS) and launches Chromium before its tests, closes them
 * after; hands `set` the { app, data, browser } once they are up.
 */
export function useAppAndDemo(set) {
  let site = {};
  before(async () => {
    const [app, data] = await Promise.all([serve(DIST), serve(DEMO, { cors: '*' })]);
    site = { app, data, browser: await launch() };
    set(site);
  });
  after(async () => {
    await site.browser?.close();
    await Promise.all([site.app?.close(), site.data?.close()]);
  });
}

/** A copy of the demo made of hard links (instant), to delete files from. */
export function demoCopy() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-demo-'));
  execFileSync('cp', ['-al', `${DEMO}/.`, dir]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of the built app, to add a config.json or the demo beside it. */
export function distCopy() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-dist-'));
  cpSync(DIST, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/** How long benchmarks let a new window settle before a cold load (see openPage). */
export const SETTLE_MS = 2000;

/**
 * A fresh page (own context: no shared cache or storage) at `url`.
 * `settleMs`: time the new window is given before it navigates. Chromium
 * sets up its own UI for every new window (its omnibox popup is a WebUI
 * page in a renderer of its own): on this two-core machine that took
 * 0.6-0.9 s of CPU in that renderer and 0.3 s in the browser process,
 * right while a page opened at once loaded. Benchmarks of a cold load
 * wait for it, as a page opened in a browser already running does.
 */
export async function openPage(browser, url, { width = 1000, height = 700, init, settleMs = 0 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  if (settleMs > 0) await new Promise((done) => setTimeout(done, settleMs));
  // A script to run in the page before its own (e.g. a PerformanceObserver).
  if (init) await page.addInitScript(init);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // Every URL the page requests, in order.
  page.requests = [];
  page.on('request', (r) => page.requests.push(r.url()));
  await page.goto(url);
  return page;
}

/** Waits until `<body data-view>` is one of `modes`. */
export async function waitView(page, modes = ['ready'], timeout = 30000) {
  try {
    await page.waitForFunction((m) => m.includes(document.body.dataset.view), modes, { timeout });
  } catch (e) {
    const view = await page.evaluate(() => `${document.body.dataset.view} ${document.body.dataset.files}`);
    throw new Error(`waiting for data-view ${modes.join('|')}: still ${view}`);
  }
}

/** Waits until the page URL's query satisfies `test(URLSearchParams)`. */
export async function waitQuery(page, test, what, timeout = 10000) {
  const start = Date.now();
  for (;;) {
    const params = new URL(page.url()).searchParams;
    if (test(params)) return params;
    if (Date.now() - start > timeout) throw new Error(`URL never ${what}: ${page.url()}`);
    await page.waitForTimeout(50);
  }
}

/** All RGBA bytes of a canvas, as a Buffer. */
export async function canvasBytes(page, selector = '#map') {
  const b64 = await page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = '';
    for (let i = 0; i < data.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }, selector);
  return Buffer.from(b64, 'base64');
}

/** The RGBA of the canvas pixel at device position (x, y). */
export function pixelAt(page, x, y, selector = '#map') {
  return page.evaluate(
    ([sel, px, py]) => Array.from(document.querySelector(sel).getContext('2d').getImageData(px, py, 1, 1).data),
    [selector, Math.floor(x), Math.floor(y)],
  );
}

/** Fraction of opaque pixels of a canvas. */
export async function opaqueFraction(page, selector = '#map') {
  const bytes = await canvasBytes(page, selector);
  let opaque = 0;
  for (let i = 3; i < bytes.length; i += 4) if (bytes[i] > 0) opaque++;
  return opaque / (bytes.length / 4);
}

/** The camera of a page URL. */
export function cameraOf(url) {
  const q = new URL(url).searchParams;
  return { lat: Number(q.get('lat')), lon: Number(q.get('lon')), zoom: Number(q.get('zoom')) };
}

/** CSS position in the map of (lat, lon), as the app's camera places it:
 * the centre in the middle, 2^-zoom degrees per CSS pixel. */
export function screenOf(camera, box, lat, lon) {
  const dpp = 2 ** -camera.zoom;
  return { x: box.width / 2 + (lon - camera.lon) / dpp, y: box.height / 2 - (lat - camera.lat) / dpp };
}

/** The lat/lon of the centre of pixel (row, col) of a tile like "N36W121". */
export function pixelCentre(tile, row, col) {
  const m = tile.match(/^([NS])(\d\d)([EW])(\d\d\d)$/);
  const north = (m[1] === 'N' ? 1 : -1) * Number(m[2]);
  const west = (m[3] === 'E' ? 1 : -1) * Number(m[4]);
  return { lat: north - (row + 0.5) / 1200, lon: west + (col + 0.5) / 1200 };
}

export function tilePath(demo, tile, file) {
  return path.join(demo, 'data/tiles', tile, `${tile}_${file}.tif`);
}

/** DNs read by tifffile at (row, col) pairs of a GeoTIFF. */
export function readDn(file, ...pixels) {
  const out = execFileSync(PYTHON, [path.join(root, 'tests/e2e/read_dn.py'), file, ...pixels.flat().map(String)]);
  return out.toString().trim().split(' ').map(Number);
}

/** (row, col) of a no-data pixel amid no data, or null. */
export function noDataPixel(file) {
  const out = execFileSync(PYTHON, [path.join(root, 'tests/e2e/read_dn.py'), file, '--nodata']).toString().trim();
  return out ? out.split(' ').map(Number) : null;
}

/** Text of the readout fields. */
export function readout(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll('#readout [data-field]')).map((e) => [e.dataset.field, e.textContent]),
    ),
  );
}

/** Saves a screenshot as a test artifact. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export function tiles(demo) {
  return readdirSync(path.join(demo, 'data/tiles'));
}

/**
 * Serves `dir` over HTTP on 127.0.0.1 with CORS for any origin, noting
 * every request for a `.tif` (`requests`, in order) and the bytes of the
 * `.tif` bodies it sends (`bytes`), holding the answers to those
 * `hold(url)` says to hold until `release()`; a request the browser gives
 * up before its answer is noted in `abandoned`. It answers Range requests
 * (`bytes=A-B`, `bytes=A-`, `bytes=-N`) with 206 and an exposed
 * Content-Range, as S3 does, unless `ignoreRange` (then 200 and the whole
 * file, as some static hosts do).
 * Resolves to { url, requests, bytes, held, abandoned, release, close }.
 */
export async function recordingServer(dir, { hold = () => false, ignoreRange = false } = {}) {
  const { createServer } = await import('node:http');
  const { openSync, fstatSync, readSync, closeSync } = await import('node:fs');
  const requests = [];
  const held = [];
  const abandoned = [];
  const sent = { bytes: 0 };
  let holding = true;
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': 'Range',
    'Access-Control-Expose-Headers': 'Content-Range, Content-Length',
  };
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      sent.preflights = (sent.preflights || 0) + 1;
      return res.writeHead(204, cors).end();
    }
    const file = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const tif = file.endsWith('.tif');
    const answer = () => {
      if (res.destroyed) return;
      // Only the bytes asked for are read: a range of a large file costs
      // what it sends.
      let fd;
      try { fd = openSync(file, 'r'); } catch { res.writeHead(404, cors).end(); return; }
      try {
        const size = fstatSync(fd).size;
        const m = !ignoreRange && /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
        let [start, end] = [0, size - 1];
        let status = 200;
        const headers = { ...cors };
        if (m && (m[1] !== '' || m[2] !== '')) {
          [start, end] = m[1] === '' ? [size - Number(m[2]), size - 1] : [Number(m[1]), m[2] === '' ? size - 1 : Number(m[2])];
          start = Math.max(0, start);
          end = Math.min(end, size - 1);
          if (start > end) { res.writeHead(416, { ...cors, 'Content-Range': `bytes */${size}` }).end(); return; }
          headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
          status = 206;
        }
        const body = Buffer.alloc(end - start + 1);
        readSync(fd, body, 0, body.length, start);
        headers['Content-Length'] = body.length;
        if (tif) sent.bytes += body.length;
        res.writeHead(status, headers).end(body);
      } finally {
        closeSync(fd);
      }
    };
    if (!tif) return answer();
    requests.push(req.url);
    if (!holding || !hold(req.url)) return answer();
    held.push(answer);
    res.on('close', () => { if (!res.writableEnded) abandoned.push(req.url); });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    held,
    abandoned,
    /** Bytes of .tif bodies sent so far. */
    get bytes() { return sent.bytes; },
    /** CORS preflight requests (OPTIONS) answered so far. */
    get preflights() { return sent.preflights || 0; },
    /** Answers what is held, and holds nothing from now on. */
    release: () => {
      holding = false;
      held.splice(0).forEach((answer) => answer());
    },
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((done) => server.close(done));
    },
  };
}

/** Every GeoTIFF of a tile's folder read by tifffile at (row, col): {file: DN}. */
export function readPixel(folder, row, col) {
  const out = execFileSync(PYTHON, [path.join(root, 'tests/e2e/read_pixel.py'), folder, String(row), String(col)]);
  return JSON.parse(out.toString());
}

/** Runs tests/e2e/check_pixel.py on a snippet and a CSV: its output. */
export function checkPixel(snippetFile, csvFile) {
  return execFileSync(PYTHON, [path.join(root, 'tests/e2e/check_pixel.py'), snippetFile, csvFile], { encoding: 'utf8' });
}
