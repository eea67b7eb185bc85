// Taking the data away, end to end: the GeoTIFF the page downloads has
// the bytes `tessera export` writes for the same view and area (both go
// through tessera_core::export), and rasterio reads it with the values
// xarray selects when the page's own "Copy Python" snippet runs against
// the same references over HTTP (tests/interop/check_export.py), for a
// stored layer of the seed's view and for γ(t) over a drawn rectangle at
// a coarser resolution; files not yet loaded are fetched with a progress
// bar; a file that cannot be read is no data and named; a view over the
// pixel cap gets the message, not a download; the PNG's map pixels are
// the canvas's, with the legend band below; with parquet references the
// export reads the record files its area needs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  DEMO, TESSERA, root, serve, openPage, waitView, waitQuery, shot, demoCopy, tilePath,
  useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

const PYTHON = process.env.TESSERA_PYTHON || path.join(root, '.venv/bin/python');

function scratch() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-export-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the page would export now: its snapped area, step and Python. */
function exportInfo(page) {
  return page.evaluate(() => {
    const size = document.querySelector('#export-size');
    return {
      text: size.textContent,
      bbox: size.dataset.bbox,
      step: size.dataset.step,
      python: document.querySelector('#export-python').textContent,
      disabled: document.querySelector('#export-geotiff').disabled,
    };
  });
}

/** Clicks GeoTIFF and saves the download in `dir`; returns its path and name. */
async function downloadGeoTiff(page, dir) {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60000 }),
    page.click('#export-geotiff'),
  ]);
  const file = path.join(dir, 'page.tif');
  await download.saveAs(file);
  await page.waitForFunction(() => document.body.dataset.export === 'done', null, { timeout: 10000 });
  return { file, name: download.suggestedFilename() };
}

/** `tessera export` of the page's view and area from `demo`'s references. */
function cliExport(page, info, demo, refsUrl, out) {
  const query = new URL(page.url()).search.slice(1);
  return spawnSync(TESSERA, [
    'export', path.join(demo, 'refs.json'), '--view', query, '--bbox', info.bbox,
    '--step', info.step, '-o', out, '--references-url', refsUrl, '-q',
  ]);
}

/** Runs check_export.py on a GeoTIFF and the page's snippet. */
function checkWithXarray(tif, python, dir, extra = []) {
  const snippet = path.join(dir, 'export.py');
  writeFileSync(snippet, python);
  return execFileSync(PYTHON, [path.join(root, 'tests/interop/check_export.py'), tif, snippet, ...extra], {
    env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
  }).toString();
}

const refsOf = (url) => `${url}/refs.json`;

test('the view as a GeoTIFF: the bytes tessera export writes, the values xarray reads', async () => {
  const work = scratch();
  const page = await openPage(browser, `${app.url}/?refs=${refsOf(data.url)}`, { width: 1000, height: 700 });
  try {
    await waitView(page);
    const info = await exportInfo(page);
    assert.match(info.text, /^\d+ × \d+ pixels of uint8, \d+ GeoTIFF tiles$/);
    assert.equal(info.step, '1');
    const { file, name } = await downloadGeoTiff(page, work.dir);
    assert.match(name, /^COH_winter_vv_12_N\d+\.\d{3}W121\.000\.tif$/);
    assert.match(await page.textContent('#export-message'), /^Saved COH_winter_vv_12_.*uint8.* MB in [\d.]+ s$/);
    const cli = path.join(work.dir, 'cli.tif');
    const run = cliExport(page, info, DEMO, refsOf(data.url), cli);
    assert.equal(run.status, 0, run.stderr.toString());
    assert.ok(readFileSync(file).equals(readFileSync(cli)), 'the download is byte for byte what tessera export writes');
    const report = checkWithXarray(file, info.python, work.dir);
    assert.match(report, /OK: .* uint8, step 1/);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
    work.remove();
  }
});

test('γ(t) over a drawn rectangle at 1/600°, its files fetched with a progress bar', async () => {
  const work = scratch();
  // Over the file budget: the map shows the overviews, so the export
  // reads every file itself.
  const query = 'season=summer&pol=vv&derive=gamma&t=36&lat=34.5&lon=-118.5&zoom=6&budget=4';
  const page = await openPage(browser, `${app.url}/?refs=${refsOf(data.url)}&${query}`, { width: 1000, height: 700 });
  try {
    await waitView(page, ['overview', 'budget']);
    await page.click('#export-draw');
    const box = await page.locator('#map').boundingBox();
    // From about 35.3 N 120.2 W to 33.7 N 116.8 W: across tile borders.
    await page.mouse.move(box.x + 270, box.y + 300);
    await page.mouse.down();
    await page.mouse.move(box.x + 500, box.y + 400, { steps: 4 });
    await page.mouse.move(box.x + 710, box.y + 450, { steps: 4 });
    await page.mouse.up();
    assert.equal(await page.getAttribute('body', 'data-drawing'), 'false');
    assert.match(await page.textContent('#export-area-text'), /^Drawn: /);
    assert.ok(await page.isVisible('#export-area'));
    // The rectangle is in the URL (tessera export reads it from there too).
    const drawn = (await waitQuery(page, (q) => q.has('area'), 'given the drawn area')).get('area');
    assert.equal(drawn.split(',').length, 4);
    await page.selectOption('#export-step', '2');
    const info = await exportInfo(page);
    assert.match(info.text, /pixels of float32/);
    assert.equal(info.step, '2');
    const sawProgress = page.waitForSelector('#export-progress', { timeout: 30000 });
    const { file, name } = await downloadGeoTiff(page, work.dir);
    await sawProgress;
    assert.match(name, /^gamma36_summer_vv_N/);
    const cli = path.join(work.dir, 'cli.tif');
    const run = cliExport(page, info, DEMO, refsOf(data.url), cli);
    assert.equal(run.status, 0, run.stderr.toString());
    assert.ok(readFileSync(file).equals(readFileSync(cli)), 'the download is byte for byte what tessera export writes');
    const report = checkWithXarray(file, info.python, work.dir);
    assert.match(report, /OK: .* float32, step 2/);
    // "Use the view" goes back to the view's extent.
    await page.click('#export-use-view');
    assert.equal(await page.isVisible('#export-area'), false);
    await waitQuery(page, (q) => !q.has('area'), 'without the area');
    await shot(page, 'export-gamma-drawn');
  } finally {
    await page.context().close();
    work.remove();
  }
});

test('a file that cannot be read is no data in the GeoTIFF and named', async () => {
  const copy = demoCopy();
  const work = scratch();
  const gone = tilePath(copy.dir, 'N35W119', 'winter_vv_COH12');
  unlinkSync(gone);
  const server = await serve(copy.dir, { cors: '*' });
  const page = await openPage(browser, `${app.url}/?refs=${refsOf(server.url)}`, { width: 1000, height: 700 });
  try {
    await waitView(page);
    const info = await exportInfo(page);
    const { file } = await downloadGeoTiff(page, work.dir);
    const message = await page.textContent('#export-message');
    assert.match(message, /1 file\(s\) could not be read and are no data: .*N35W119_winter_vv_COH12\.tif/);
    const cli = path.join(work.dir, 'cli.tif');
    const run = cliExport(page, info, copy.dir, refsOf(server.url), cli);
    assert.equal(run.status, 2, 'tessera export exits 2 when a file cannot be read');
    assert.ok(readFileSync(file).equals(readFileSync(cli)), 'the same bytes, the missing file listed in both');
    // xarray reads the complete demo; the export has no data where the file was.
    const complete = info.python.replace(server.url, data.url);
    const report = checkWithXarray(file, complete, work.dir, ['1', 'N35W119']);
    assert.match(report, /OK: /);
  } finally {
    await page.context().close();
    await server.close();
    copy.remove();
    work.remove();
  }
});

test('a view over the pixel cap gets the message, and a coarser resolution the download', async () => {
  const page = await openPage(browser, `${app.url}/?refs=${refsOf(data.url)}&lat=34&lon=-118&zoom=3`, { width: 1000, height: 700 });
  try {
    await waitView(page, ['ready', 'overview', 'budget']);
    let info = await exportInfo(page);
    const advice = info.text.match(/pixels is \d+ pixels, more than the 50000000 an export may write: choose 1\/(\d+)° pixels/);
    assert.ok(advice, info.text);
    assert.equal(info.disabled, true, 'no download over the cap');
    // The resolution the message names fits.
    await page.selectOption('#export-step', String(1200 / Number(advice[1])));
    info = await exportInfo(page);
    assert.match(info.text, /^\d+ × \d+ pixels of uint8/);
    assert.equal(info.disabled, false);
  } finally {
    await page.context().close();
  }
});

test('the PNG has the canvas\'s map pixels and the legend band below', async () => {
  const page = await openPage(browser, `${app.url}/?refs=${refsOf(data.url)}`, { width: 900, height: 600 });
  try {
    await waitView(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    const png = readFileSync(await download.path());
    assert.match(download.suggestedFilename(), /^tessera_COH_winter_vv_12\.png$/);
    // Decoded by the browser, compared with the two canvases.
    const result = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      const map = document.querySelector('#map');
      const overlay = document.querySelector('#overlay');
      const picture = ctx.getImageData(0, 0, map.width, map.height).data;
      const mine = map.getContext('2d').getImageData(0, 0, map.width, map.height).data;
      const over = overlay.getContext('2d').getImageData(0, 0, map.width, map.height).data;
      let compared = 0, differ = 0, first = null;
      for (let i = 0; i < mine.length; i += 4) {
        // Data pixels no line is drawn over.
        if (mine[i + 3] !== 255 || over[i + 3] !== 0) continue;
        compared++;
        if (picture[i] !== mine[i] || picture[i + 1] !== mine[i + 1] || picture[i + 2] !== mine[i + 2]) {
          differ++;
          first ??= i / 4;
        }
      }
      return { width: bitmap.width, height: bitmap.height, mapWidth: map.width, mapHeight: map.height, compared, differ, first };
    }, png.toString('base64'));
    assert.equal(result.width, result.mapWidth);
    assert.ok(result.height > result.mapHeight + 40, `a legend band below the map (${result.height} > ${result.mapHeight})`);
    assert.ok(result.compared > result.mapWidth * result.mapHeight * 0.3, `${result.compared} data pixels compared`);
    assert.equal(result.differ, 0, `pixels differ from the canvas, first at ${result.first}`);
    assert.equal(
      await page.textContent('#export-message'),
      `Saved tessera_COH_winter_vv_12.png: ${result.width} × ${result.height} pixels`,
    );
  } finally {
    await page.context().close();
  }
});

test('parquet references: the export reads the record files and files its area needs', async () => {
  const work = scratch();
  // A view of a quarter degree; the area is 2° × 2°: record files and
  // files outside the view are read for the export.
  const query = 'var=AMP&season=summer&pol=vh&area=35.5,33.5,-119.5,-117.5&lat=34.1&lon=-118.2&zoom=12';
  const page = await openPage(browser, `${app.url}/?refs=${data.url}/refs.parq&${query}`, { width: 1000, height: 700 });
  try {
    await waitView(page);
    const info = await exportInfo(page);
    assert.equal(info.text, '2400 × 2400 pixels of uint16, 100 GeoTIFF tiles');
    const { file } = await downloadGeoTiff(page, work.dir);
    // tessera export of the JSON references (the same files), naming the
    // store as the references: the same bytes.
    const cli = path.join(work.dir, 'cli.tif');
    const run = cliExport(page, info, DEMO, `${data.url}/refs.parq`, cli);
    assert.equal(run.status, 0, run.stderr.toString());
    assert.ok(readFileSync(file).equals(readFileSync(cli)), 'the download is byte for byte what tessera export writes');
    assert.match(info.python, /fo=url,\n\s+target_protocol=protocol/);
  } finally {
    await page.context().close();
    work.remove();
  }
});
