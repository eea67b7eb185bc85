// The web app end to end: the release build in dist/ served by
// `tessera serve`, the demo data set from a second origin with CORS, in
// Debian's headless Chromium. Expected values come from the GeoTIFFs,
// read with tifffile.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { existsSync, linkSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import {
  DEMO, DIST, serve, launch, openPage, waitView, waitQuery, canvasBytes, pixelAt, opaqueFraction,
  cameraOf, screenOf, pixelCentre, tilePath, readDn, noDataPixel, readout, shot, demoCopy, distCopy,
  recordingServer,
  useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

const refs = () => `${data.url}/refs.json`;
const appUrl = (query) => `${app.url}/?${query}`;

/** The map's box on the page (CSS pixels). */
const mapBox = (page) => page.locator('#map-wrap').boundingBox();

/** Gray colormap of COH over 0..1: the expected colour of a DN. */
const gray = (dn) => {
  const v = Math.round((dn / 100) * 255);
  return [v, v, v, 255];
};

/** A view centred on pixel (row, col) of `tile`, one data pixel ≈ 3.4 CSS px. */
function centredOn(tile, row, col, extra = '') {
  const { lat, lon } = pixelCentre(tile, row, col);
  return appUrl(`refs=${encodeURIComponent(refs())}&lat=${lat}&lon=${lon}&zoom=12&cmap=gray&min=0&max=1${extra}`);
}

test('the initial view draws the seed selection with coastlines and graticule', async () => {
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(refs())}`));
  await waitView(page);
  // The seed's selection: N36..N33 x W121..W116, those with land in the demo.
  const tiles = new Set(
    (await import('node:fs')).readdirSync(path.join(DEMO, 'data/tiles')),
  );
  assert.equal(await page.evaluate(() => document.body.dataset.files), `${tiles.size}/${tiles.size}`);
  assert.deepEqual(await page.locator('#files-progress').evaluate((e) => [e.value, e.max]), [tiles.size, tiles.size]);
  const q = await waitQuery(page, (p) => p.has('lat') && p.has('zoom'), 'gets the camera');
  assert.equal(q.get('var'), 'COH');
  assert.equal(q.get('season'), 'winter');
  assert.equal(q.get('days'), '12');
  const camera = cameraOf(page.url());
  const box = await mapBox(page);
  // Fitted: the selection's corners are on the canvas, its width fills it.
  const nw = screenOf(camera, box, 36, -121);
  const se = screenOf(camera, box, 32.5, -115);
  assert.ok(nw.x >= -1 && nw.y >= -1 && se.x <= box.width + 1 && se.y <= box.height + 1, JSON.stringify({ nw, se, box }));
  assert.ok(Math.abs(se.x - nw.x - box.width) < 2 || Math.abs(se.y - nw.y - box.height) < 2);
  const opaque = await opaqueFraction(page, '#map');
  assert.ok(opaque > 0.4, `only ${opaque} of the map is drawn`);
  // Coastlines and graticule load from www/ and draw on the overlay; a
  // decoder worker reads the coastlines, not the page.
  await page.waitForFunction(() => window.tesseraPerf?.['tessera:coastlines'], null, { timeout: 30000 });
  const coastlines = await page.evaluate(() => ({ ...window.tesseraPerf['tessera:coastlines'] }));
  assert.ok(coastlines.lines > 1000, JSON.stringify(coastlines));
  assert.equal(coastlines.inWorker, 1);
  await page.waitForFunction(() => {
    const c = document.querySelector('#overlay');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n > 5000;
  });
  assert.match(await page.locator('#refs-status').innerText(), /COH \(\d+ files\)/);
  assert.match(await page.locator('#scale').innerText(), /° = \d+ px/);
  // The tiles were decoded by the worker pool, not on the main thread.
  const stats = await page.locator('#cache-stats').innerText();
  assert.match(stats, /\d+ decoder workers, [\d.]+ ms per tile/);
  assert.deepEqual(page.errors, []);
  await shot(page, 'initial-view');
  await page.context().close();
});

test('the readout and the canvas show the DN the demo wrote there', async () => {
  const tile = 'N35W117';
  const file = tilePath(DEMO, tile, 'winter_vv_COH12');
  const page = await openPage(browser, centredOn(tile, 600, 600));
  await waitView(page);
  const camera = cameraOf(page.url());
  const box = await mapBox(page);
  const probes = [[600, 600], [600, 605], [593, 602], [610, 588], [589, 611]];
  const dns = readDn(file, ...probes);
  assert.ok(new Set(dns).size > 2, `probes too alike: ${dns}`);
  for (const [i, [row, col]] of probes.entries()) {
    const { lat, lon } = pixelCentre(tile, row, col);
    const { x, y } = screenOf(camera, box, lat, lon);
    assert.deepEqual(await pixelAt(page, x, y), gray(dns[i]), `canvas at pixel (${row}, ${col})`);
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForFunction(
      (want) => document.querySelector('[data-field=dn]').textContent === want,
      String(dns[i]),
    );
    const r = await readout(page);
    assert.equal(r.tile, tile);
    assert.equal(r.value, (dns[i] / 100).toFixed(2));
    assert.ok(Math.abs(Number(r.lat) - lat) < 1 / 1200 && Math.abs(Number(r.lon) - lon) < 1 / 1200, JSON.stringify(r));
  }
  await shot(page, 'readout');

  // No data (the sea): transparent, and the readout says so.
  const seaTile = 'N34W121';
  const sea = noDataPixel(tilePath(DEMO, seaTile, 'winter_vv_COH12'));
  assert.ok(sea, 'the demo has sea in N34W121');
  await page.goto(centredOn(seaTile, sea[0], sea[1]));
  await waitView(page);
  const c = await mapBox(page);
  assert.equal((await pixelAt(page, c.width / 2, c.height / 2))[3], 0, 'no data is transparent');
  await page.mouse.move(c.x + c.width / 2, c.y + c.height / 2);
  await page.waitForFunction(() => document.querySelector('[data-field=value]').textContent === 'no data');
  assert.equal((await readout(page)).dn, '0');
  await page.context().close();
});

test('dragging, the wheel, the buttons and the keys move the view and the URL', async () => {
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(refs())}&lat=34.5&lon=-118&zoom=8`));
  await waitView(page);
  const box = await mapBox(page);
  const at = (x, y) => [box.x + x, box.y + y];
  const step = 2 ** -8;

  await page.mouse.move(...at(500, 350));
  await page.mouse.down();
  await page.mouse.move(...at(560, 380), { steps: 4 });
  await page.mouse.move(...at(600, 400), { steps: 4 });
  await page.mouse.up();
  let q = await waitQuery(page, (p) => p.get('lon') !== '-118', 'follows the drag');
  assert.ok(Math.abs(Number(q.get('lon')) - (-118 - 100 * step)) < 1e-9, page.url());
  assert.ok(Math.abs(Number(q.get('lat')) - (34.5 + 50 * step)) < 1e-9, page.url());
  await shot(page, 'dragged');

  // The wheel zooms about the pointer: what is under it stays there.
  const before = cameraOf(page.url());
  // Browsers report whole client pixels; the map's top may be fractional.
  const [px, py] = [Math.round(box.x + 250) - box.x, Math.round(box.y + 200) - box.y];
  const under = { lat: before.lat - (py - box.height / 2) * 2 ** -before.zoom, lon: before.lon + (px - box.width / 2) * 2 ** -before.zoom };
  await page.mouse.move(...at(px, py));
  await page.mouse.wheel(0, -300);
  q = await waitQuery(page, (p) => Number(p.get('zoom')) > before.zoom, 'zooms in on the wheel');
  const after = cameraOf(page.url());
  const still = screenOf(after, box, under.lat, under.lon);
  // (Playwright rounds boxes to 1/64 px.)
  assert.ok(Math.abs(still.x - px) < 0.05 && Math.abs(still.y - py) < 0.05, JSON.stringify({ still, before, after }));

  await page.click('#zoom-in');
  await waitQuery(page, (p) => Math.abs(Number(p.get('zoom')) - (after.zoom + 1)) < 1e-9, 'zooms in on +');
  await page.focus('#map-wrap');
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  await waitQuery(page, (p) => Math.abs(Number(p.get('zoom')) - (after.zoom - 1)) < 1e-9, 'zooms out on -');
  const beforeKey = cameraOf(page.url());
  await page.keyboard.press('ArrowRight');
  await waitQuery(page, (p) => Number(p.get('lon')) > beforeKey.lon, 'moves east on →');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a shared URL restores identical canvas pixels', async () => {
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(refs())}&lat=34.2&lon=-117.3&zoom=9`));
  await waitView(page);
  const box = await mapBox(page);
  await page.mouse.move(box.x + 400, box.y + 300);
  await page.mouse.down();
  await page.mouse.move(box.x + 333, box.y + 251, { steps: 5 });
  await page.mouse.up();
  await page.selectOption('#season', 'fall');
  await page.selectOption('#colormap', 'magma');
  await waitQuery(page, (p) => p.get('season') === 'fall' && p.get('cmap') === 'magma' && p.get('lon') !== '-117.3', 'records the view');
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  await waitView(page);
  const url = page.url();
  const original = await canvasBytes(page);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  await page.click('#copy-link');
  await page.locator('#copy-link', { hasText: 'Link copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url, 'Copy link copies the page URL');

  const fresh = await openPage(browser, url);
  await waitView(fresh);
  assert.equal(fresh.url(), url, 'the restored page rewrites the same URL');
  const restored = await canvasBytes(fresh);
  assert.equal(restored.length, original.length);
  assert.ok(restored.equals(original), 'the canvas differs after restoring the URL');
  assert.ok((await opaqueFraction(fresh)) > 0.3);
  await shot(fresh, 'restored');
  await page.context().close();
  await fresh.context().close();
});

test('changing season or repeat interval shows that file\'s values', async () => {
  const tile = 'N35W117';
  const [row, col] = [600, 600];
  const page = await openPage(browser, centredOn(tile, row, col));
  await waitView(page);
  const box = await mapBox(page);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const expect = async (file) => {
    const [dn] = readDn(tilePath(DEMO, tile, file), [row, col]);
    await waitView(page);
    await page.waitForFunction((want) => document.querySelector('[data-field=dn]').textContent === want, String(dn));
    assert.deepEqual(await pixelAt(page, box.width / 2, box.height / 2), gray(dn), file);
    return dn;
  };
  const winter12 = await expect('winter_vv_COH12');
  await page.selectOption('#season', 'summer');
  await waitQuery(page, (p) => p.get('season') === 'summer', 'says summer');
  const summer12 = await expect('summer_vv_COH12');
  await page.selectOption('#interval', '36');
  await waitQuery(page, (p) => p.get('days') === '36', 'says 36 days');
  const summer36 = await expect('summer_vv_COH36');
  assert.ok(new Set([winter12, summer12, summer36]).size > 1, 'the demo values should differ between files');
  await shot(page, 'summer-36-days');
  await page.context().close();
});

test('a deleted tile is reported while the others draw, and retry loads it back', async () => {
  const copy = demoCopy();
  const server = await serve(copy.dir, { cors: '*' });
  try {
    const tile = 'N35W118';
    const missing = tilePath(copy.dir, tile, 'winter_vv_COH12');
    unlinkSync(missing);
    // A corrupt file (unlinked first: the copy's files are hard links).
    const corrupt = tilePath(copy.dir, 'N33W116', 'winter_vv_COH12');
    unlinkSync(corrupt);
    writeFileSync(corrupt, '<Error><Code>AccessDenied</Code></Error>');
    const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(`${server.url}/refs.json`)}`));
    await waitView(page);
    const failures = page.locator('li.failure');
    assert.equal(await failures.count(), 2);
    const listed = await failures.evaluateAll((items) =>
      items.map((li) => [li.querySelector('.url').textContent, li.querySelector('.reason').textContent]),
    );
    const find = (name) => listed.find(([url]) => url.endsWith(name)) || assert.fail(`${name} not listed: ${listed}`);
    assert.match(find('N35W118_winter_vv_COH12.tif')[1], /404/);
    assert.match(find('N33W116_winter_vv_COH12.tif')[1], /not a TIFF file/);
    assert.match(await page.locator('#progress').innerText(), /2 failed/);
    const camera = cameraOf(page.url());
    const box = await mapBox(page);
    // A land pixel of the broken tile is empty, one of its neighbour drawn.
    const inBroken = screenOf(camera, box, 34.5, -117.5);
    const inGood = screenOf(camera, box, 34.5, -116.5);
    assert.equal((await pixelAt(page, inBroken.x, inBroken.y))[3], 0);
    assert.equal((await pixelAt(page, inGood.x, inGood.y))[3], 255);
    assert.ok((await opaqueFraction(page)) > 0.3, 'the other tiles draw');
    await shot(page, 'deleted-tile');

    linkSync(tilePath(DEMO, tile, 'winter_vv_COH12'), missing);
    await page.locator('li.failure', { hasText: 'N35W118' }).locator('button.retry').click();
    await page.waitForFunction(() => document.querySelectorAll('li.failure').length === 1);
    await waitView(page);
    assert.equal((await pixelAt(page, inBroken.x, inBroken.y))[3], 255);
    assert.match(await page.locator('li.failure .url').innerText(), /N33W116/);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});

test('references that cannot be loaded say what was tried and why', async () => {
  for (const [given, expected] of [
    ['http://[bad', /http:\/\/\[bad/],
    [`${data.url}/missing/refs.json`, /404/],
    [`${data.url}/listing.txt`, /not valid fsspec references.*line 1/s],
  ]) {
    const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(given)}`));
    await waitView(page, ['error']);
    const text = await page.locator('#load-error').innerText();
    assert.match(text, expected, text);
    assert.ok(text.includes(given.replace(/^http:\/\/\[bad$/, 'http://[bad')), text);
    if (given.endsWith('listing.txt')) await shot(page, 'refs-error');
    await page.context().close();
  }
});

test('bad URL parameters become notices, and nothing in them runs as markup', async () => {
  const evil = '<img src=x onerror="window.__owned=1">';
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(evil)}&zoom=abc&lat=1&lon=2&season=monsoon&budget=-3`));
  await waitView(page, ['error']);
  await page.locator('.notice').first().waitFor();
  const notices = await page.locator('.notice').allInnerTexts();
  for (const p of ['zoom', 'season', 'budget', 'lat, lon, zoom']) {
    assert.ok(notices.some((n) => n.includes(p)), `no notice about ${p}: ${notices}`);
  }
  assert.ok((await page.locator('#load-error').innerText()).includes('<img src=x'));
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  await shot(page, 'notices');
  await page.context().close();
});

test('beyond the file budget the map shows coverage and asks to zoom in', async () => {
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(refs())}&budget=5&overviews=none`));
  await waitView(page, ['budget']);
  const note = await page.locator('#budget-note').innerText();
  assert.match(note, /Zoom in to load data/);
  assert.match(note, /needs 22 files, more than the budget of 5/);
  assert.ok((await opaqueFraction(page)) > 0.3, 'coverage squares are drawn');
  assert.match(page.url(), /budget=5/);
  await shot(page, 'budget');
  for (let i = 0; i < 4 && (await page.evaluate(() => document.body.dataset.view)) === 'budget'; i++) {
    await page.click('#zoom-in');
    await page.waitForTimeout(100);
  }
  await waitView(page);
  assert.equal(await page.locator('#budget-note').count(), 0);
  await page.context().close();
});

test('without ?refs= the app reads config.json, else the demo beside it; gzip references work', async () => {
  const site = distCopy();
  const copy = demoCopy();
  writeFileSync(path.join(copy.dir, 'refs.json.gz'), gzipSync(readFileSync(path.join(copy.dir, 'refs.json'))));
  rmSync(path.join(copy.dir, 'refs.json'));
  const server = await serve(site.dir);
  try {
    // No config.json, no demo beside the app: the error says what was tried.
    let page = await openPage(browser, `${server.url}/`);
    await waitView(page, ['error']);
    assert.match(await page.locator('#load-error').innerText(), /demo\/refs\.json.*404/s);
    await page.context().close();

    symlinkSync(copy.dir, path.join(site.dir, 'demo'));

    writeFileSync(path.join(site.dir, 'config.json'), JSON.stringify({ refs: 'demo/refs.json.gz' }));
    page = await openPage(browser, `${server.url}/`);
    await waitView(page);
    assert.match(await page.locator('#refs-status').innerText(), /demo\/refs\.json\.gz/);
    assert.ok((await opaqueFraction(page)) > 0.3);
    // A decoder worker decompressed it while the page parsed.
    const read = await page.evaluate(() => window.tesseraPerf['tessera:refs-pieces']);
    assert.deepEqual([read.inWorker, read.gzip], [1, 1], JSON.stringify(read));
    await page.context().close();
  } finally {
    await server.close();
    site.remove();
    copy.remove();
  }
});

test('variables list what the references hold; inc picks an orbit with files in view', async () => {
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(refs())}&lat=34.5&lon=-117.5&zoom=9`));
  await waitView(page);
  const variables = await page.locator('#variable option').evaluateAll((o) => o.map((e) => e.value));
  assert.deepEqual(variables.sort(), ['AMP', 'COH', 'inc', 'lsmap', 'rho', 'rmse', 'tau'].sort());
  await page.selectOption('#variable', 'AMP');
  await waitQuery(page, (p) => p.get('var') === 'AMP' && !p.has('days'), 'switches to AMP');
  await waitView(page);
  assert.match(await page.locator('#legend').innerText(), /dB/);
  await page.selectOption('#variable', 'inc');
  const q = await waitQuery(page, (p) => p.get('var') === 'inc' && p.has('orbit'), 'picks an orbit');
  await waitView(page);
  const orbits = await page.locator('#orbit option').evaluateAll((o) => o.map((e) => e.value));
  assert.ok(orbits.includes(q.get('orbit')), `${orbits} / ${q.get('orbit')}`);
  // Only orbits with a file in this view are offered.
  const camera = cameraOf(page.url());
  const box = await mapBox(page);
  const d = 2 ** -camera.zoom;
  const [west, east] = [camera.lon - (box.width / 2) * d, camera.lon + (box.width / 2) * d];
  const [south, north] = [camera.lat - (box.height / 2) * d, camera.lat + (box.height / 2) * d];
  const tilesInView = (await import('node:fs')).readdirSync(path.join(DEMO, 'data/tiles')).filter((t) => {
    const { lat: n, lon: w } = pixelCentre(t, -0.5, -0.5);
    return n > south && n - 1 < north && w < east && w + 1 > west;
  });
  assert.ok(tilesInView.length >= 4, `${tilesInView}`);
  const inView = new Set();
  for (const t of tilesInView) {
    for (const f of (await import('node:fs')).readdirSync(path.join(DEMO, 'data/tiles', t))) {
      const m = f.match(/_(\d{3})[AD]_inc\.tif$/);
      if (m) inView.add(String(Number(m[1])));
    }
  }
  for (const o of orbits) assert.ok(inView.has(o), `orbit ${o} has no file in view`);
  await page.selectOption('#variable', 'lsmap');
  await waitQuery(page, (p) => p.get('var') === 'lsmap', 'switches to lsmap');
  await waitView(page);
  assert.match(await page.locator('#legend').innerText(), /layover/);
  await shot(page, 'lsmap');
  await page.context().close();
});

test('parquet references: the same mosaic from .zmetadata and a few record files; the layer choices fill in', async () => {
  const options = (page, id) => page.locator(`#${id} option`).evaluateAll((o) => o.map((e) => e.value));
  // The seed's view from the reference JSON, as the reference.
  const json = await openPage(browser, appUrl(`refs=${encodeURIComponent(refs())}`));
  await waitView(json);
  const expected = await canvasBytes(json);
  const files = await json.evaluate(() => document.body.dataset.files);
  const choices = {};
  for (const id of ['season', 'polarization', 'interval']) choices[id] = await options(json, id);
  await json.context().close();

  const store = `${data.url}/refs.parq`;
  const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(store)}`));
  await waitView(page);
  assert.equal(await page.evaluate(() => document.body.dataset.files), files);
  assert.ok((await canvasBytes(page)).equals(expected), 'the mosaic differs from the JSON references\' one');
  // Only the metadata and the selected layer's record files were needed.
  const storeRequests = page.requests.filter((u) => u.startsWith(`${store}/`));
  assert.ok(storeRequests.includes(`${store}/.zmetadata`), storeRequests.join(' '));
  assert.ok(!page.requests.some((u) => u.endsWith('refs.json')), 'the reference JSON was fetched');
  const records = storeRequests.filter((u) => /\/COH\/refs\.\d+\.parq$/.test(u));
  assert.ok(records.length >= 1, storeRequests.join(' '));
  // (Record files that are not in the store are answered 404: no bytes.)
  const bytes = storeRequests.reduce((sum, u) => {
    const file = path.join(DEMO, 'refs.parq', u.slice(store.length + 1));
    return sum + (existsSync(file) ? statSync(file).size : 0);
  }, 0);
  assert.ok(bytes < 2e6, `${bytes} bytes of references`);
  // Then, with the view's files in, the other layers' record files: the
  // same choices as from the JSON.
  for (const id of Object.keys(choices)) {
    await page.waitForFunction(
      ([id, want]) => [...document.querySelectorAll(`#${id} option`)].map((o) => o.value).join() === want.join(),
      [id, choices[id]], { timeout: 20000 },
    ).catch(async () => assert.deepEqual(await options(page, id), choices[id], id));
  }
  assert.match(await page.locator('#records-read').innerText(), /parquet references: \d+ record files read/);
  // inc: an orbit with files here is picked once its record files are read.
  await page.selectOption('#variable', 'inc');
  const q = await waitQuery(page, (p) => p.get('var') === 'inc' && p.has('orbit'), 'picks an orbit');
  await waitView(page);
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  const inc = await canvasBytes(page);
  assert.ok((await opaqueFraction(page)) > 0.05);
  assert.deepEqual(page.errors, []);
  await shot(page, 'parquet-inc');
  // The same URL with the reference JSON: the same orbit, the same pixels.
  const same = new URL(page.url());
  same.searchParams.set('refs', refs());
  const check = await openPage(browser, same.href);
  await waitView(check);
  assert.equal(new URL(check.url()).searchParams.get('orbit'), q.get('orbit'));
  assert.ok((await canvasBytes(check)).equals(inc), 'inc from parquet differs from inc from JSON');
  await check.context().close();
  await page.context().close();
});

test('parquet references: a record file that cannot be read is named, and Retry reads it once it can be', async () => {
  const copy = demoCopy();
  const server = await serve(copy.dir, { cors: '*' });
  try {
    const store = `${server.url}/refs.parq`;
    let page = await openPage(browser, appUrl(`refs=${encodeURIComponent(store)}`));
    await waitView(page);
    const expected = await canvasBytes(page);
    const files = await page.evaluate(() => document.body.dataset.files);
    // The first record file the view asked for: the selected layer's.
    const first = page.requests.find((u) => /\/COH\/refs\.\d+\.parq$/.test(u));
    assert.ok(first, page.requests.join(' '));
    await page.context().close();

    // Damaged (unlinked first: the copy's files are hard links).
    const file = path.join(copy.dir, 'refs.parq', first.slice(store.length + 1));
    const good = readFileSync(file);
    unlinkSync(file);
    writeFileSync(file, 'PAR1 not a parquet file PAR1');
    page = await openPage(browser, appUrl(`refs=${encodeURIComponent(store)}`));
    await waitView(page);
    await page.locator('#retry-records').waitFor({ timeout: 20000 });
    assert.match(await page.locator('#notices').innerText(), new RegExp(`record file .*${first.split('/').slice(-2).join('/').replaceAll('.', '\\.')}`));
    assert.match(await page.locator('#records-read').innerText(), /1 failed/);
    assert.notEqual(await page.evaluate(() => document.body.dataset.files), files);

    // Mended on the host: Retry reads it, and the view completes as before.
    unlinkSync(file);
    writeFileSync(file, good);
    await page.locator('#retry-records').click();
    await page.waitForFunction((want) => document.body.dataset.files === want, files, { timeout: 20000 });
    await waitView(page);
    assert.equal(await page.locator('#retry-records').count(), 0);
    assert.ok((await canvasBytes(page)).equals(expected), 'the mosaic differs after the retry');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});

test('tiles from a host without CORS headers fail with a reason, and the page says so', async () => {
  const noCors = await serve(DEMO); // no --cors: the browser may not read it
  const copy = demoCopy();
  const server = await serve(copy.dir, { cors: '*' });
  try {
    // References readable by the page, whose chunks live on the other host.
    const refsFile = path.join(copy.dir, 'refs.json');
    const text = readFileSync(refsFile, 'utf8').replaceAll('["data/tiles/', `["${noCors.url}/data/tiles/`);
    unlinkSync(refsFile);
    writeFileSync(refsFile, text);
    const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(`${server.url}/refs.json`)}&lat=34.5&lon=-117&zoom=9`));
    await waitView(page);
    const reasons = await page.locator('li.failure .reason').allInnerTexts();
    assert.ok(reasons.length >= 4, `${reasons.length} failures`);
    for (const r of reasons) assert.match(r, /CORS|network/i);
    assert.equal(await opaqueFraction(page), 0);
    assert.match(await page.locator('#progress').innerText(), new RegExp(`0 of ${reasons.length} files, ${reasons.length} failed`));
    await shot(page, 'no-cors');
    // Retry all: the same reasons again, not a stuck "loading".
    const requests = async () => Number((await page.locator('#cache-stats').innerText()).match(/Requests: (\d+)/)[1]);
    const before = await requests();
    await page.click('#retry-all');
    await page.waitForFunction(
      (want) => Number(document.querySelector('#cache-stats').textContent.match(/Requests: (\d+)/)[1]) >= want,
      before + reasons.length,
    );
    await waitView(page);
    assert.equal((await page.locator('li.failure').count()), reasons.length);
    await page.context().close();
  } finally {
    await Promise.all([server.close(), noCors.close()]);
    copy.remove();
  }
});

test('tiles that leave the view while they download are cancelled in the decoder workers', async () => {
  // The demo from a server that holds tile responses until released, and
  // notes the requests the browser gave up before any answer came.
  const slow = await recordingServer(DEMO, { hold: () => true });
  const { held, abandoned } = slow;
  const base = slow.url;
  try {
    const page = await openPage(browser, appUrl(`refs=${encodeURIComponent(`${base}/refs.json`)}`));
    // The page has asked for 6 winter files (its limit; none can finish
    // while the server holds them), and the workers' requests reached it.
    await page.waitForFunction(() => /Requests: 6,/.test(document.querySelector('#cache-stats')?.textContent));
    for (const start = Date.now(); held.length < 4 && Date.now() - start < 10000;) await page.waitForTimeout(50);
    assert.ok(held.length >= 4, `${held.length} requests held`);
    // Summer: the winter files leave the view before any arrived.
    await page.selectOption('#season', 'summer');
    await page.waitForFunction(() => /cancelled [1-9]/.test(document.querySelector('#cache-stats').textContent));
    for (const start = Date.now(); abandoned.length === 0 && Date.now() - start < 10000;) await page.waitForTimeout(50);
    assert.ok(abandoned.length >= 1, 'the server saw no request given up');
    assert.ok(abandoned.every((u) => u.includes('_winter_')), abandoned.join(' '));
    // All 6 were cancelled: those at the server and any still queued for a worker.
    const cancelled = Number((await page.locator('#cache-stats').innerText()).match(/cancelled (\d+)/)[1]);
    assert.equal(cancelled, 6);
    // Released: the summer view completes, nothing failed.
    slow.release();
    await waitView(page);
    assert.equal(await page.locator('li.failure').count(), 0);
    assert.match(await page.evaluate(() => document.body.dataset.files), /^(\d+)\/\1$/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await slow.close();
  }
});

test('without decoder workers (their script missing) the page reads the references and decodes the tiles itself: the same pixels', async () => {
  const site = distCopy();
  unlinkSync(path.join(site.dir, 'tessera-decoder_loader.js'));
  const noWorkers = await serve(site.dir);
  try {
    const query = `refs=${encodeURIComponent(refs())}&lat=34.2&lon=-117.3&zoom=9`;
    const withWorkers = await openPage(browser, appUrl(query));
    await waitView(withWorkers);
    assert.match(await withWorkers.locator('#cache-stats').innerText(), /\d+ decoder workers, [\d.]+ ms per tile/);
    const workerRead = await withWorkers.evaluate(() => window.tesseraPerf['tessera:refs-pieces'].inWorker);
    assert.equal(workerRead, 1, 'a decoder worker read the references');
    const expected = await canvasBytes(withWorkers);

    const page = await openPage(browser, `${noWorkers.url}/?${query}`);
    await waitView(page);
    assert.match(await page.locator('#cache-stats').innerText(), /decoding on the main thread/);
    assert.equal(await page.evaluate(() => window.tesseraPerf['tessera:refs-pieces'].inWorker), 0);
    assert.match(await page.locator('#progress').innerText(), /(\d+) of \1 files$/);
    const bytes = await canvasBytes(page);
    assert.ok(bytes.equals(expected), 'the page alone draws what the workers gave');
    assert.ok((await opaqueFraction(page)) > 0.3);
    await withWorkers.context().close();
    await page.context().close();
  } finally {
    await noWorkers.close();
    site.remove();
  }
});

test('dist/ runs from a sub-path of a plain static server (python3 -m http.server)', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const site = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-site-'));
  mkdirSync(path.join(site, 'some/where'), { recursive: true });
  symlinkSync(DIST, path.join(site, 'some/where/tessera'));
  const python = spawn('python3', ['-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', site], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      python.stdout.on('data', (c) => {
        out += c;
        const m = out.match(/port (\d+)/);
        if (m) resolve(m[1]);
      });
      python.on('exit', (code) => reject(new Error(`http.server exited with ${code}`)));
    });
    const page = await openPage(browser, `http://127.0.0.1:${port}/some/where/tessera/?refs=${encodeURIComponent(refs())}`);
    await waitView(page);
    assert.ok((await opaqueFraction(page)) > 0.3);
    assert.match(page.url(), /\/some\/where\/tessera\/\?refs=/);
    // The decoder worker loads from the sub-path too.
    assert.match(await page.locator('#cache-stats').innerText(), /decoder workers, [\d.]+ ms per tile/);
    await page.context().close();
  } finally {
    python.kill();
    rmSync(site, { recursive: true, force: true });
  }
});
