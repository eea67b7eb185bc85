// The view end to end: the URL's centre is the map's centre at every
// window size and after a resize; the files around a complete view are
// prefetched, and a file the view and the prefetch both want is fetched
// once, neither group's change cancelling what the other still wants;
// headings keep the data set's symbols.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  DEMO, DIST, serve, launch, openPage, waitView, waitQuery, pixelAt, cameraOf, pixelCentre, tilePath, readDn,
  readout, shot, recordingServer,
  useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

const gray = (dn) => {
  const v = Math.round((dn / 100) * 255);
  return [v, v, v, 255];
};

/** The pixel the issue found off-centre: N36W121, row 100, column 100. */
const TILE = 'N36W121';
const [ROW, COL] = [100, 100];

/** What the map shows at its centre: the canvas pixel and the readout. */
async function atCentre(page) {
  const box = await page.locator('#map-wrap').boundingBox();
  const rgba = await pixelAt(page, box.width / 2, box.height / 2);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => document.querySelector('[data-field=dn]')?.textContent !== '—');
  return { rgba, readout: await readout(page), box };
}

test("a URL's latitude and longitude are the map's centre at every window size, and after a resize", async () => {
  const { lat, lon } = pixelCentre(TILE, ROW, COL);
  const [dn] = readDn(tilePath(DEMO, TILE, 'winter_vv_COH12'), [ROW, COL]);
  const query = `refs=${encodeURIComponent(`${data.url}/refs.json`)}&lat=${lat}&lon=${lon}&zoom=12&cmap=gray&min=0&max=1`;
  const sizes = [[1280, 800], [1000, 700], [1600, 1000], [700, 900]];
  for (const [width, height] of sizes) {
    const page = await openPage(browser, `${app.url}/?${query}`, { width, height });
    await waitView(page);
    const centre = await atCentre(page);
    assert.deepEqual(centre.rgba, gray(dn), `${width}x${height}: canvas at the centre`);
    assert.equal(centre.readout.dn, String(dn), `${width}x${height}: readout at the centre`);
    assert.equal(centre.readout.tile, TILE);
    // The canvas's backing store is the map's box.
    const canvas = await page.locator('#map').evaluate((c) => [c.width, c.height]);
    assert.deepEqual(canvas, [Math.round(centre.box.width), Math.round(centre.box.height)], `${width}x${height}`);
    await page.context().close();
  }
  // A resize after the view loaded keeps the centre, and the URL's.
  const page = await openPage(browser, `${app.url}/?${query}`, { width: 1280, height: 800 });
  await waitView(page);
  for (const [width, height] of [[900, 650], [1500, 950]]) {
    await page.setViewportSize({ width, height });
    await waitView(page);
    await page.waitForFunction(
      ([w, h]) => {
        const c = document.querySelector('#map');
        const b = document.querySelector('#map-wrap').getBoundingClientRect();
        return c.width === Math.round(b.width) && c.height === Math.round(b.height) && b.width < w && b.height < h;
      },
      [width, height],
    );
    await waitView(page);
    const centre = await atCentre(page);
    assert.deepEqual(centre.rgba, gray(dn), `resized to ${width}x${height}: canvas at the centre`);
    assert.equal(centre.readout.dn, String(dn));
    const camera = cameraOf(page.url());
    assert.ok(Math.abs(camera.lat - lat) < 1e-9 && Math.abs(camera.lon - lon) < 1e-9, page.url());
  }
  await shot(page, 'centred-after-resize');
  await page.context().close();
});

test('headings keep the data set\'s symbols: coherence γ, backscatter γ⁰', async () => {
  const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}`);
  await waitView(page);
  // innerText is what is rendered, CSS text-transform included.
  assert.match(await page.locator('#legend h2').innerText(), /coherence γ$/);
  await page.selectOption('#variable', 'AMP');
  await page.waitForFunction(() => /AMP/.test(document.querySelector('#legend h2').innerText));
  assert.match(await page.locator('#legend h2').innerText(), /backscatter γ⁰$/);
  for (const h of await page.locator('#panel h2').allInnerTexts()) {
    assert.ok(!/[ΓΡΤ]/.test(h), `a heading reads ${h}`);
  }
  await page.context().close();
});

test('files around a complete view are prefetched; one both groups want is fetched once, and neither cancels the other', async () => {
  // The view: 4 tiles around the corner of N35W118 (35 N, 118 W); the
  // server answers them at once and holds every other file.
  const viewTiles = ['N35W118', 'N35W119', 'N36W118', 'N36W119'];
  const inView = (url) => viewTiles.some((t) => url.includes(`/${t}/`));
  const server = await recordingServer(DEMO, { hold: (url) => !inView(url) });
  try {
    const query = `refs=${encodeURIComponent(`${server.url}/refs.json`)}&lat=35&lon=-118&zoom=10&cmap=gray&min=0&max=1`;
    const page = await openPage(browser, `${app.url}/?${query}`, { width: 1000, height: 700 });
    await waitView(page);
    const viewFiles = server.requests.filter(inView);
    assert.equal(viewFiles.length, 4, viewFiles.join(' '));
    // Once the view is complete, the files around it are asked for (and
    // held): 6 at once, the tile loader's limit.
    for (const start = Date.now(); server.held.length < 6 && Date.now() - start < 10000;) await page.waitForTimeout(50);
    const prefetched = server.requests.filter((u) => !inView(u));
    assert.equal(prefetched.length, 6, prefetched.join(' '));
    assert.ok(prefetched.every((u) => u.includes('_winter_vv_COH12.tif')), prefetched.join(' '));
    // The map moves a degree east, in two drags: the W117 tiles,
    // prefetched and still held, become the view's.
    const box = await page.locator('#map-wrap').boundingBox();
    for (let i = 0; i < 2; i++) {
      await page.mouse.move(box.x + box.width - 50, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width - 50 - 512, box.y + box.height / 2, { steps: 8 });
      await page.mouse.up();
    }
    await page.waitForFunction(() => document.body.dataset.view === 'loading');
    const shared = prefetched.filter((u) => /\/N3[56]W117\//.test(u));
    assert.ok(shared.length >= 1, `no W117 file was prefetched: ${prefetched.join(' ')}`);
    // The prefetch for the old view goes while the new one loads: what
    // the view does not want is cancelled, what it wants is not.
    for (const start = Date.now(); server.abandoned.length === 0 && Date.now() - start < 10000;) await page.waitForTimeout(50);
    assert.ok(server.abandoned.length >= 1, 'no prefetch request was given up');
    for (const u of shared) assert.ok(!server.abandoned.includes(u), `${u} was cancelled though the view wants it`);
    server.release();
    await waitView(page);
    // Every file the view wanted came from one request.
    for (const u of shared) {
      assert.equal(server.requests.filter((r) => r === u).length, 1, `${u} was fetched twice`);
    }
    await waitQuery(page, (p) => Math.abs(Number(p.get('lon')) - (-118 + 1)) < 1e-9, 'moved a degree east');
    assert.match(await page.evaluate(() => document.body.dataset.files), /^(\d+)\/\1$/);
    assert.equal(await page.locator('li.failure').count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await server.close();
  }
});
