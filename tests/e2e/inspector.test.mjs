// The pixel inspector end to end: a click pins the pixel under it; its
// card shows every file's value there as tifffile reads it, coherence
// against repeat interval with the decay model of the pixel's own rho and
// tau; the pin is in the URL; rows are read by byte ranges (a tenth of the
// whole files' bytes at most), and a server that ignores Range gives the
// same card; failures and missing files are named; the CSV and the Python
// it gives agree with xarray.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, unlinkSync, linkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  DEMO, DIST, serve, launch, openPage, waitView, waitQuery, pixelCentre, readPixel, checkPixel,
  recordingServer, demoCopy, shot,
  useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

/** The seed's pixel: N36W121, row 100, column 100 (COH winter vv 12 = 53 in the bucket). */
const TILE = 'N36W121';
const [ROW, COL] = [100, 100];
const { lat: LAT, lon: LON } = pixelCentre(TILE, ROW, COL);

const appUrl = (refs, extra = '') => `${app.url}/?refs=${encodeURIComponent(refs)}&lat=${LAT}&lon=${LON}&zoom=12${extra}`;

/** Waits until the card has read all its files; returns its cells: {file: text and DN}. */
async function completeCard(page) {
  await page.waitForFunction(() => /^\d+ files read$/.test(document.querySelector('#pixel-status')?.textContent || ''), null, { timeout: 30000 });
  return page.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll('#pixel-card td[data-file]')).map((td) => [
        td.dataset.file,
        { text: td.textContent, dn: td.dataset.dn === undefined ? null : Number(td.dataset.dn), class: td.className },
      ]),
    ),
  );
}

test('a click pins the pixel under it: every file\'s value as tifffile reads it, and the decay model of its own rho and tau', async () => {
  const page = await openPage(browser, appUrl(`${data.url}/refs.json`), { width: 1280, height: 900 });
  await waitView(page);
  const box = await page.locator('#map-wrap').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const q = await waitQuery(page, (p) => p.has('pin'), 'gets the pin');
  const [pinLat, pinLon] = q.get('pin').split(',').map(Number);
  assert.ok(Math.abs(pinLat - LAT) < 1e-9 && Math.abs(pinLon - LON) < 1e-9, q.get('pin'));
  const cells = await completeCard(page);
  assert.match(await page.locator('#pixel-card .place').innerText(), /tile N36W121, row 100, column 100/);

  // Every file of the tile is in the card, with tifffile's DN there.
  const expected = readPixel(path.join(DEMO, 'data/tiles', TILE), ROW, COL);
  assert.ok(Object.keys(expected).length > 60, Object.keys(expected).length);
  assert.deepEqual(Object.keys(cells).sort(), Object.keys(expected).sort());
  for (const [file, dn] of Object.entries(expected)) {
    assert.equal(cells[file].dn, dn, `${file}: ${cells[file].text}`);
    if (dn === 0) assert.equal(cells[file].text, 'no data', file);
  }
  // Physical units: COH = DN/100, rho and tau DN/1000, AMP 20·log10(DN) − 83 dB, lsmap in words.
  const coh = `${TILE}_winter_vv_COH12.tif`;
  assert.equal(cells[coh].text, (expected[coh] / 100).toFixed(2));
  const amp = `${TILE}_summer_vh_AMP.tif`;
  assert.equal(cells[amp].text, (20 * Math.log10(expected[amp]) - 83).toFixed(2));
  const lsmap = Object.keys(expected).find((f) => f.endsWith('_lsmap.tif'));
  assert.match(cells[lsmap].text, /layover|shadow/);

  // The chart: measured points at γ = DN/100, one model curve per season
  // and polarization, at the intervals (1 − ρ)·exp(−t/τ) + ρ of the
  // pixel's rho and tau files.
  const points = await page.locator('#pixel-card circle.measured').evaluateAll((cs) => cs.map((c) => ({ ...c.dataset, pol: c.closest('svg').dataset.pol })));
  assert.ok(points.length >= 40, points.length);
  for (const p of points) {
    const file = `${TILE}_${p.season}_${p.pol}_COH${String(p.days).padStart(2, '0')}.tif`;
    assert.equal(Number(p.gamma), expected[file] / 100, file);
  }
  const models = await page.locator('#pixel-card path.model').evaluateAll((ps) => ps.map((p) => ({ ...p.dataset })));
  assert.equal(models.length, 8, 'four seasons, two polarizations');
  for (const m of models) {
    const rho = expected[`${TILE}_${m.season}_${m.pol}_rho.tif`] / 1000;
    const tau = expected[`${TILE}_${m.season}_${m.pol}_tau.tif`] / 1000;
    const gammas = m.gamma.split(',').map(Number);
    [6, 12, 18, 24, 36, 48].forEach((t, i) => {
      const want = (1 - rho) * Math.exp(-t / tau) + rho;
      assert.ok(Math.abs(gammas[i] - want) < 1e-5, `${m.season} ${m.pol} at ${t} days: ${gammas[i]} vs ${want}`);
    });
  }
  // Readable at the panel's 320 px: the chart fits its width.
  const chart = await page.locator('#pixel-card svg.decay-chart').first().boundingBox();
  assert.ok(chart.width <= 320 && chart.width >= 250, JSON.stringify(chart));
  await shot(page, 'pixel-card');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the pin is in the URL and survives a reload; Escape unpins, Enter pins the centre; outside the grid is a notice', async () => {
  const pinned = appUrl(`${data.url}/refs.json`, `&pin=${LAT},${LON}`);
  const page = await openPage(browser, pinned);
  await waitView(page);
  const before = await completeCard(page);
  await page.reload();
  await waitView(page);
  assert.deepEqual(await completeCard(page), before);
  // A marker stays on the pixel: the overlay is drawn there.
  await page.focus('#map-wrap');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#pixel-card'));
  await waitQuery(page, (p) => !p.has('pin'), 'loses the pin');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#pixel-card');
  const q = await waitQuery(page, (p) => p.has('pin'), 'pins the centre');
  const [lat, lon] = q.get('pin').split(',').map(Number);
  assert.ok(Math.abs(lat - LAT) < 1 / 1200 && Math.abs(lon - LON) < 1 / 1200, q.get('pin'));
  await page.click('#unpin');
  await page.waitForFunction(() => !document.querySelector('#pixel-card'));
  // Outside the grid: a notice, no card.
  await page.goto(appUrl(`${data.url}/refs.json`, '&pin=85,10'));
  await page.waitForFunction(() => /outside the data set's grid/.test(document.querySelector('#notices')?.textContent || ''));
  assert.equal(await page.locator('#pixel-card').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('rows are read by byte ranges, under a tenth of the whole files; a server that ignores Range gives the same card', async () => {
  const tileDir = path.join(DEMO, 'data/tiles', TILE);
  const whole = readdirSync(tileDir).reduce((n, f) => n + statSync(path.join(tileDir, f)).size, 0);
  const cards = [];
  for (const ignoreRange of [false, true]) {
    const server = await recordingServer(DEMO, { ignoreRange });
    try {
      // Over the file budget the map loads nothing: every byte is the card's.
      const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${server.url}/refs.json`)}&lat=${LAT}&lon=${LON}&zoom=6&budget=1&overviews=none&pin=${LAT},${LON}`);
      await waitView(page, ['budget']);
      cards.push(await completeCard(page));
      const stats = await page.locator('#cache-stats').innerText();
      if (ignoreRange) {
        assert.ok(server.bytes >= whole * 0.9, `${server.bytes} of ${whole}`);
        assert.match(stats, /ignores Range/);
      } else {
        assert.ok(server.bytes < whole / 10, `rows took ${server.bytes} bytes, the whole files ${whole}`);
        assert.doesNotMatch(stats, /ignores Range/);
      }
      assert.deepEqual(page.errors, []);
      await page.context().close();
    } finally {
      await server.close();
    }
  }
  assert.deepEqual(cards[1], cards[0]);
});

test('a missing file is named with its reason, a file the references do not list is "no file", and the rest shows', async () => {
  const copy = demoCopy();
  const server = await recordingServer(copy.dir);
  try {
    // The references without one file, and one file deleted.
    const refs = JSON.parse(readFileSync(path.join(copy.dir, 'refs.json'), 'utf8'));
    const unlisted = Object.keys(refs).find((k) => refs[k]?.[0]?.endsWith?.(`${TILE}_spring_vh_COH24.tif`));
    assert.ok(unlisted, 'the references list the file');
    delete refs[unlisted];
    writeFileSync(path.join(copy.dir, 'refs-less.json'), JSON.stringify(refs));
    const gone = path.join(copy.dir, 'data/tiles', TILE, `${TILE}_fall_vv_rho.tif`);
    const kept = path.join(mkdtempSync(path.join(tmpdir(), 'tessera-e2e-')), 'rho.tif');
    linkSync(gone, kept);
    unlinkSync(gone);
    const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${server.url}/refs-less.json`)}&lat=${LAT}&lon=${LON}&zoom=6&budget=1&overviews=none&pin=${LAT},${LON}`);
    await waitView(page, ['budget']);
    const cells = await completeCard(page);
    assert.equal(cells[`${TILE}_spring_vh_COH24.tif`].text, 'no file');
    assert.equal(cells[`${TILE}_fall_vv_rho.tif`].text, 'failed');
    assert.match(await page.locator('#pixel-card .pixel-failures').innerText(), /fall_vv_rho\.tif[\s\S]*HTTP 404/);
    const values = Object.values(cells).filter((c) => c.dn !== null);
    assert.ok(values.length > 60, values.length);
    // Mended on the host, Retry reads it.
    linkSync(kept, gone);
    await page.click('#retry-pixel');
    await page.waitForFunction(() => document.querySelector('#pixel-card td[data-file$="fall_vv_rho.tif"]')?.dataset.dn !== undefined);
    assert.equal(await page.locator('#pixel-card .pixel-failures').count(), 0);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});

test('the CSV and the Python the card gives agree with xarray', async () => {
  const page = await openPage(browser, appUrl(`${data.url}/refs.json`, `&pin=${LAT},${LON}`));
  await waitView(page);
  await completeCard(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  assert.equal(download.suggestedFilename(), `pixel_${TILE}_${ROW}_${COL}.csv`);
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-pixel-'));
  const csv = path.join(dir, 'pixel.csv');
  await download.saveAs(csv);
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  const expected = readPixel(path.join(DEMO, 'data/tiles', TILE), ROW, COL);
  assert.equal(rows.length - 1, Object.keys(expected).length);
  assert.match(rows[0], /^variable,season,polarization,repeat_interval_days,orbit,flight_direction,dn,value,unit,url,note$/);
  const snippet = path.join(dir, 'pixel.py');
  writeFileSync(snippet, await page.locator('#python-snippet').textContent());
  assert.match(checkPixel(snippet, csv), new RegExp(`^${Object.keys(expected).length} values agree`));
  await shot(page, 'pixel-card-page');
  await page.context().close();
});
