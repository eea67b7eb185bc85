// Overviews end to end: zooming out from the seed's view to the whole
// world draws data at every step (never an empty frame), from the level
// of the demo's COG that rasterio reads to the same values; the URL
// restores identical pixels; a missing or truncated COG is named while
// the coverage squares draw.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  DEMO, serve, openPage, waitView, waitQuery, cameraOf, canvasBytes, opaqueFraction,
  readout, shot, demoCopy, root, useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

const PYTHON = process.env.TESSERA_PYTHON || path.join(root, '.venv/bin/python');
const COG = 'overviews/COH/winter_vv_COH12.tif';
const manifest = () => JSON.parse(readFileSync(path.join(DEMO, 'overviews/overviews.json'), 'utf8'));

/** DN of the COG at `level` at each (lat, lon), as rasterio reads it. */
function rasterioDn(file, level, points) {
  const args = [path.join(root, 'tests/e2e/read_cog.py'), file, String(level), ...points.flatMap((p) => [String(p.lat), String(p.lon)])];
  return execFileSync(PYTHON, args).toString().trim().split(' ').map(Number);
}

const gray = (dn) => {
  const v = Math.round((dn / 100) * 255);
  return [v, v, v, 255];
};

/** Latitude and longitude of the centre of CSS pixel (x, y) of the map. */
function latLonAt(camera, box, x, y) {
  const dpp = 2 ** -camera.zoom;
  return { lat: camera.lat - (y + 0.5 - box.height / 2) * dpp, lon: camera.lon + (x + 0.5 - box.width / 2) * dpp };
}

/** Samples the canvas until the view settles: every sample must show data. */
async function settleNeverEmpty(page, step) {
  const samples = [];
  for (let i = 0; i < 400; i++) {
    samples.push(await opaqueFraction(page));
    const view = await page.evaluate(() => document.body.dataset.view);
    if (view === 'overview' || view === 'ready') break;
    await page.waitForTimeout(25);
  }
  await waitView(page, ['overview', 'ready']);
  samples.push(await opaqueFraction(page));
  assert.ok(samples.every((f) => f > 0), `step ${step}: an empty frame among ${samples.length}: ${samples}`);
}

/** Opaque canvas pixels well inside an overview pixel of `degrees`. */
async function dataPoints(page, camera, box, degrees, count) {
  const bytes = await canvasBytes(page);
  const width = Math.round(box.width);
  const found = [];
  const inside = (v) => {
    const f = v / degrees - Math.floor(v / degrees);
    return f > 0.05 && f < 0.95;
  };
  // Spread the picks over the data drawn: a stride through its pixels.
  const opaque = [];
  for (let k = 0; k < bytes.length / 4; k++) if (bytes[k * 4 + 3] !== 0) opaque.push(k);
  const stride = Math.max(1, Math.floor(opaque.length / (count * 4)));
  for (let i = 0; i < opaque.length && found.length < count; i += stride) {
    const k = opaque[i];
    const x = k % width;
    const y = Math.floor(k / width);
    const p = latLonAt(camera, box, x, y);
    if (!inside(p.lon + 180) || !inside(82 - p.lat)) continue;
    found.push({ x, y, ...p, rgba: Array.from(bytes.subarray(k * 4, k * 4 + 4)) });
  }
  return found;
}

test('zooming out to the whole world draws data at every step, as rasterio reads the COG', async () => {
  const levels = manifest().levels;
  // The demo has 22 files a layer: a budget of 4 puts every view wider
  // than a few files over it. From a view of a few files inside the seed's.
  const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&lat=34.25&lon=-118&zoom=10&budget=4&cmap=gray&min=0&max=1`);
  await waitView(page);
  const box = await page.locator('#map-wrap').boundingBox();
  const seen = new Set();
  let step = 0;
  for (; step < 14; step++) {
    const asked = page.requests.length;
    const zoom = cameraOf(page.url()).zoom;
    await page.click('#zoom-out');
    await settleNeverEmpty(page, step);
    // The URL follows the camera 300 ms after a change.
    await waitQuery(page, (q) => Number(q.get('zoom')) === zoom - 1, `zoomed out from ${zoom}`);
    await waitView(page, ['overview', 'ready']);
    // No view asks for more overview reads than the budget (4).
    const reads = page.requests.slice(asked).filter((u) => u.includes('/overviews/'));
    assert.ok(reads.length <= 4, `step ${step}: ${reads.length} overview requests`);
    const mode = await page.evaluate(() => document.body.dataset.view);
    const camera = cameraOf(page.url());
    if (mode === 'overview') {
      // The level the map reads, from the readout at a data pixel.
      const note = await page.locator('#budget-note').innerText();
      const scale = Number(note.match(/Overview 1:(\d+)/)[1]);
      const level = levels.findIndex((l) => Math.round(l.degrees * 1200) === scale);
      assert.ok(level >= 0, `step ${step}: 1:${scale} is not a level of the manifest`);
      seen.add(level);
      const points = await dataPoints(page, camera, box, levels[level].degrees, 6);
      assert.ok(points.length >= 1, `step ${step}: no data pixel on the canvas`);
      const dns = rasterioDn(path.join(DEMO, COG), level, points);
      points.forEach((p, i) => {
        assert.deepEqual(p.rgba, gray(dns[i]), `step ${step}, level ${level}, (${p.lat}, ${p.lon})`);
      });
      // The readout reads the same level and value.
      const p = points[0];
      await page.mouse.move(box.x + p.x + 0.5, box.y + p.y + 0.5);
      await page.waitForFunction(() => document.querySelector('[data-field=source]')?.textContent.startsWith('overview'));
      const r = await readout(page);
      assert.equal(r.source, `overview 1:${scale}`);
      // The readout's own place (the pointer's position is whole CSS
      // pixels), read by rasterio.
      const at = { lat: Number(r.lat), lon: Number(r.lon) };
      const [dn] = rasterioDn(path.join(DEMO, COG), level, [at]);
      assert.equal(r.dn, String(dn), `readout at (${at.lat}, ${at.lon})`);
    }
    if (2 ** -camera.zoom * box.width >= 360) break;
  }
  assert.ok(step < 14, 'the world never came into view');
  assert.ok(seen.size >= 3, `only levels ${[...seen]} were drawn`);
  assert.ok(seen.has(levels.length - 1) || seen.has(levels.length - 2), `the world view reads a coarse level: ${[...seen]}`);
  await shot(page, 'overview-world');
  // The shared link restores identical pixels.
  const url = page.url();
  const before = await canvasBytes(page);
  const again = await openPage(browser, url);
  await waitView(again, ['overview']);
  assert.ok(before.equals(await canvasBytes(again)), 'the link shows other pixels');
  assert.deepEqual(page.errors, []);
  await again.context().close();
  await page.context().close();
});

test('a missing or truncated COG is named, and the coverage squares draw', async () => {
  const copy = demoCopy();
  const server = await serve(copy.dir, { cors: '*' });
  try {
    const cog = path.join(copy.dir, COG);
    const bytes = readFileSync(cog);
    const world = (extra = '') => `${app.url}/?refs=${encodeURIComponent(`${server.url}/refs.json`)}&lat=0&lon=0&zoom=1.5&budget=4${extra}`;
    for (const [what, change] of [
      ['missing', () => {}],
      // The copy's files are hard links: a new file, not one written over.
      ['truncated', () => writeFileSync(cog, bytes.subarray(0, 200))],
    ]) {
      rmSync(cog, { force: true });
      change();
      const page = await openPage(browser, world());
      await waitView(page, ['budget']);
      await page.waitForSelector('#notices');
      const notices = await page.locator('#notices').innerText();
      assert.match(notices, /winter_vv_COH12\.tif/, `${what}: ${notices}`);
      assert.match(notices, what === 'missing' ? /HTTP 404/ : /truncated/, `${what}: ${notices}`);
      assert.ok((await opaqueFraction(page)) > 0, `${what}: coverage squares are drawn`);
      assert.match(await page.locator('#budget-note').innerText(), /squares show where files exist/);
      await shot(page, `overview-${what}`);
      await page.context().close();
    }
    // overviews=none: coverage, and no request for an overview.
    writeFileSync(cog, bytes);
    const page = await openPage(browser, world('&overviews=none'));
    await waitView(page, ['budget']);
    assert.deepEqual(page.requests.filter((u) => u.includes('/overviews/')), []);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});

test('a URL template reads COGs by configuration alone', async () => {
  // The demo's COGs named by a template, as the bucket's data/mosaics/ would be.
  const template = `${data.url}/overviews/{variable}/{season}_{polarization}_COH{interval}.tif`;
  const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&lat=34&lon=-118&zoom=4&budget=4&cmap=gray&min=0&max=1&overviews=${encodeURIComponent(template)}`);
  await waitView(page, ['overview']);
  assert.ok(page.requests.some((u) => u.endsWith('/overviews/COH/winter_vv_COH12.tif')));
  assert.ok(!page.requests.some((u) => u.endsWith('overviews.json')), 'no manifest is read');
  // No file is loaded over the budget: the tiles cached are the COG's,
  // in the cache the files share.
  assert.match(await page.locator('#cache-stats').innerText(), /Cache: [1-9]\d* tiles/);
  const box = await page.locator('#map-wrap').boundingBox();
  const camera = cameraOf(page.url());
  const note = await page.locator('#budget-note').innerText();
  const scale = Number(note.match(/Overview 1:(\d+)/)[1]);
  const levels = manifest().levels;
  const level = levels.findIndex((l) => Math.round(l.degrees * 1200) === scale);
  const points = await dataPoints(page, camera, box, levels[level].degrees, 4);
  assert.ok(points.length > 0);
  const dns = rasterioDn(path.join(DEMO, COG), level, points);
  points.forEach((p, i) => assert.deepEqual(p.rgba, gray(dns[i])));
  assert.match(page.url(), /overviews=/);
  await page.context().close();
});

test("COGs GDAL wrote (Deflate, LZW, with and without predictor, 256² and 512² tiles) read in the app as rasterio reads them", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-gdal-cogs-'));
  execFileSync(PYTHON, [path.join(root, 'tests/interop/gdal_cogs.py'), dir]);
  const cogs = await serve(dir, { cors: '*' });
  try {
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    assert.equal(expected.length, 16);
    for (const entry of expected) {
      // uint8 COGs as COH, uint16 as AMP: the layer's stored type.
      const variable = entry.dtype === 'uint8' ? 'COH' : 'AMP';
      // GDAL's COG covers 125–100 W, 27–40 N at 0.01°: a mid level, then
      // the coarsest.
      for (const zoom of [5.6, 2.5]) {
        const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&var=${variable}&lat=34&lon=-113&zoom=${zoom}&budget=4&cmap=gray&min=0&max=1&overviews=${encodeURIComponent(`${cogs.url}/${entry.file}`)}`);
        await waitView(page, ['overview']);
        const note = await page.locator('#budget-note').innerText();
        const scale = Number(note.match(/Overview 1:(\d+)/)[1]);
        const level = Math.round(Math.log2(scale / 12));
        assert.ok(level >= 0 && level < entry.levels.length, `${entry.file}: 1:${scale}`);
        const box = await page.locator('#map-wrap').boundingBox();
        const camera = cameraOf(page.url());
        const degrees = 0.01 * 2 ** level;
        const points = await dataPoints(page, camera, box, degrees, 5);
        assert.ok(points.length > 0, `${entry.file} zoom ${zoom}: nothing drawn`);
        const dns = rasterioDn(path.join(dir, entry.file), level, points);
        for (const [i, p] of points.entries()) {
          if (variable === 'COH') {
            // COH in gray over 0–1: DN 0 is no data, above 100 is white.
            const want = dns[i] === 0 ? [0, 0, 0, 0] : gray(Math.min(dns[i], 100));
            assert.deepEqual(p.rgba, want, `${entry.file} level ${level} (${p.lat}, ${p.lon}): DN ${dns[i]}`);
          }
        }
        // The readout's DN, for every type.
        for (const p of points.slice(0, 3)) {
          await page.mouse.move(box.x + p.x + 0.5, box.y + p.y + 0.5);
          await page.waitForFunction(() => document.querySelector('[data-field=source]')?.textContent.startsWith('overview'));
          const r = await readout(page);
          const at = { lat: Number(r.lat), lon: Number(r.lon) };
          const f = (v) => v / degrees - Math.floor(v / degrees);
          if ([f(at.lon + 125), f(40 - at.lat)].some((v) => v < 0.01 || v > 0.99)) continue;
          const [dn] = rasterioDn(path.join(dir, entry.file), level, [at]);
          assert.equal(r.dn, String(dn), `${entry.file} level ${level}: readout at (${at.lat}, ${at.lon})`);
        }
        assert.deepEqual(page.errors, []);
        await page.context().close();
      }
    }
  } finally {
    await cogs.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
