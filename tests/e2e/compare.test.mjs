// Comparing layers end to end: RGB composites, the swipe between two
// layers, and the legend's histogram with its 2–98 % auto range.
// Composites are checked over the whole canvas and at chosen pixels (tile
// borders included) against tests/e2e/compare_reference.py, which maps
// every screen pixel to its data pixel and reads the demo's GeoTIFFs with
// tifffile; a channel with no data makes a pixel transparent; presets
// write their channels to the URL; the URL restores the pixels. The
// swipe's two sides are the two layers drawn alone, the readout reads the
// layer under the pointer, the divider drags and steps with the arrow
// keys. The auto range is the nearest-rank 2 % and 98 % quantiles of the
// values under every canvas pixel, the histogram counts them, and the URL
// restores the range.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  DEMO, root, serve, openPage, waitView, waitQuery, canvasBytes, pixelAt, opaqueFraction, cameraOf,
  screenOf, pixelCentre, tilePath, readDn, readout, shot, demoCopy,
  useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

const PYTHON = process.env.TESSERA_PYTHON || path.join(root, '.venv/bin/python');
const REFERENCE = path.join(root, 'tests/e2e/compare_reference.py');

/** compare_reference.py's JSON answer. */
const reference = (...args) =>
  JSON.parse(execFileSync(PYTHON, [REFERENCE, ...args.flat(Infinity).map(String)], { encoding: 'utf8', maxBuffer: 1 << 26 }));

/** The canvas's size in device pixels (= CSS pixels at scale factor 1). */
const canvasSize = (page) => page.locator('#map').evaluate((c) => [c.width, c.height]);

/**
 * The camera of the pixel checks: the corner of four tiles (35 N, 117 W) in
 * the middle, one data pixel = 4096/1200 ≈ 3.4 CSS pixels (as in
 * derived.test.mjs). Every probe is within 60 data pixels of a tile border,
 * some on it.
 */
const CORNER = { lat: 35, lon: -117, zoom: 12 };
const PROBES = {
  N35W117: [[0, 0], [1, 1], [12, 30], [45, 58]],
  N35W118: [[0, 1199], [5, 1190], [40, 1140]],
  N36W117: [[1199, 0], [1190, 20], [1150, 50]],
  N36W118: [[1199, 1199], [1170, 1160]],
};

/** A composite whose red range is not a preset's (and clamps at both ends). */
const CHANNELS = {
  red: 'COH:winter_vv_12:0.2:0.6',
  green: 'COH:summer_vv_12:0:1',
  blue: 'AMP:winter_vv:-25:0',
};
const rgbQuery = (channels) => Object.entries(channels).map(([name, c]) => `${name}=${c}`).join('&');
const cameraQuery = (c) => `lat=${c.lat}&lon=${c.lon}&zoom=${c.zoom}`;
const rgbUrl = (channels, camera, refs = `${data.url}/refs.json`) =>
  `${app.url}/?refs=${encodeURIComponent(refs)}&${rgbQuery(channels)}&${cameraQuery(camera)}`;

/** The canvas against Python over every pixel, and at screen pixels `at`. */
async function rgbReference(page, channels, camera, demo = DEMO, at = []) {
  const [width, height] = await canvasSize(page);
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-rgb-'));
  try {
    const file = path.join(dir, 'canvas.rgba');
    writeFileSync(file, await canvasBytes(page));
    return reference(
      'rgb', demo, '--camera', camera.lat, camera.lon, camera.zoom, '--size', width, height,
      Object.values(channels).map((c) => ['--channel', c]),
      '--canvas', file,
      at.map(([x, y]) => ['--pixel', x, y]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const assertWholeCanvas = (ref, what) =>
  assert.equal(ref.mismatches, 0, `${what}: ${ref.mismatches} canvas pixels differ from Python, e.g. ${JSON.stringify(ref.examples)}`);

/** The readout's value, unrounded value and inputs. */
const inputsReadout = (page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('#readout [data-field=inputs] li[data-file]')).map((li) => [
      li.dataset.file,
      li.textContent,
    ]),
  );

/** The screen pixel (device = CSS) whose centre is nearest data pixel
 * (row, col) of `tile`'s centre. */
function screenPixel(camera, box, tile, row, col) {
  const { lat, lon } = pixelCentre(tile, row, col);
  const { x, y } = screenOf(camera, box, lat, lon);
  return { lat, lon, x, y, px: Math.floor(x), py: Math.floor(y) };
}

/** Moves the pointer to (x, y) CSS pixels of the map; waits for the
 * readout at (lat, lon) to have a value. */
async function hover(page, box, { lat, lon, x, y }) {
  await page.mouse.move(box.x + x, box.y + y);
  await page.waitForFunction(
    ([la, lo]) => {
      const f = (name) => document.querySelector(`#readout [data-field=${name}]`)?.textContent;
      return Math.abs(Number(f('lat')) - la) < 1 / 2400 && Math.abs(Number(f('lon')) - lo) < 1 / 2400 && f('value') !== '—';
    },
    [lat, lon],
  );
  return readout(page);
}

// --- RGB composites ---------------------------------------------------------

test('an RGB composite is each channel through its own range, over the whole canvas and at tile borders', async () => {
  const page = await openPage(browser, rgbUrl(CHANNELS, CORNER), { width: 1280, height: 900 });
  await waitView(page);
  assert.equal(await page.locator('li.failure').count(), 0, 'no file failed');
  // Three files for each of the four tiles in view.
  assert.equal(await page.evaluate(() => document.body.dataset.files), '12/12');
  // The legend shows the channels as the URL gives them.
  const controls = await page.evaluate(() =>
    ['red', 'green', 'blue'].map((n) =>
      ['layer', 'min', 'max'].map((f) => document.querySelector(`#rgb-${n}-${f}`)?.value)),
  );
  assert.deepEqual(controls, [
    ['COH:winter_vv_12', '0.2', '0.6'],
    ['COH:summer_vv_12', '0', '1'],
    ['AMP:winter_vv', '-25', '0'],
  ]);
  assert.equal(await page.locator('#rgb-preset').inputValue(), '', 'not a preset: "(your own)"');

  const box = await page.locator('#map-wrap').boundingBox();
  const probes = Object.entries(PROBES).flatMap(([tile, pixels]) =>
    pixels.map(([row, col]) => ({ tile, row, col, ...screenPixel(CORNER, box, tile, row, col) })),
  );
  const ref = await rgbReference(page, CHANNELS, CORNER, DEMO, probes.map((p) => [p.px, p.py]));
  assertWholeCanvas(ref, 'the composite');
  assert.equal(ref.transparent, 0, 'all land: every pixel has data');
  // The ranges matter: red clamps at both ends somewhere.
  const bytes = await canvasBytes(page);
  const reds = new Set();
  for (let i = 0; i < bytes.length; i += 4) reds.add(bytes[i]);
  assert.ok(reds.has(0) && reds.has(255) && reds.size > 30, `red levels: ${reds.size}`);

  const colours = new Set();
  for (const [i, p] of probes.entries()) {
    const want = ref.pixels[i];
    const what = `${p.tile} (${p.row}, ${p.col}) at screen (${p.px}, ${p.py}), DNs ${JSON.stringify(want.dns)}`;
    assert.equal(want.tile, p.tile, `${what}: Python's pixel`);
    assert.deepEqual([want.row, want.col], [p.row, p.col], `${what}: Python's pixel`);
    const rgba = await pixelAt(page, p.px, p.py);
    assert.ok(want.rgbas.some((c) => c.every((v, k) => v === rgba[k])), `${what}: canvas ${rgba}, Python ${want.rgba}`);
    colours.add(rgba.join());
    const got = await hover(page, box, p);
    assert.equal(got.tile, p.tile, what);
    assert.equal(got.value, want.value, `${what}: the readout's value`);
    const inputs = await inputsReadout(page);
    assert.deepEqual(
      inputs,
      Object.entries(want.inputs).map(([file, text]) => [file, `${file}: ${text}`]),
      `${what}: the readout's files`,
    );
  }
  assert.ok(colours.size >= 8, `the probes are too alike: ${[...colours]}`);
  await shot(page, 'compare-rgb');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a pixel where one channel has no data is transparent, though the other two have data', async () => {
  // From a copy: N35W117's backscatter (blue) loses a 40 × 40 patch near
  // the corner; its coherences (red, green) keep theirs.
  const copy = demoCopy();
  const tile = 'N35W117';
  const patch = { row0: 20, row1: 60, col0: 20, col1: 60 };
  execFileSync(PYTHON, [REFERENCE, 'zero-patch', tilePath(copy.dir, tile, 'winter_vv_AMP'), patch.row0, patch.row1, patch.col0, patch.col1].map(String));
  const server = await serve(copy.dir, { cors: '*' });
  try {
    const page = await openPage(browser, rgbUrl(CHANNELS, CORNER, `${server.url}/refs.json`), { width: 1280, height: 900 });
    await waitView(page);
    assert.equal(await page.locator('li.failure').count(), 0, 'no file failed');
    const box = await page.locator('#map-wrap').boundingBox();
    const inside = { tile, row: 40, col: 40, ...screenPixel(CORNER, box, tile, 40, 40) };
    const outside = { tile, row: 40, col: 62, ...screenPixel(CORNER, box, tile, 40, 62) };
    const ref = await rgbReference(page, CHANNELS, CORNER, copy.dir, [[inside.px, inside.py], [outside.px, outside.py]]);
    assertWholeCanvas(ref, 'the composite with a patch of no data in blue');
    assert.ok(ref.some_no_data >= 40 * 40 * 3 * 3, `Python sees the patch: ${ref.some_no_data} pixels with some channels' data`);
    const [inRef, outRef] = ref.pixels;
    const files = Object.keys(inRef.dns);
    assert.ok(inRef.dns[files[0]] > 0 && inRef.dns[files[1]] > 0 && inRef.dns[files[2]] === 0, JSON.stringify(inRef.dns));

    assert.deepEqual(await pixelAt(page, inside.px, inside.py), [0, 0, 0, 0], 'blue has no data: transparent');
    const got = await hover(page, box, inside);
    assert.equal(got.value, inRef.value);
    assert.match(got.value, /^R \d\.\d\d · G \d\.\d\d · B no data$/);
    assert.deepEqual(await inputsReadout(page), files.map((f) => [f, `${f}: ${inRef.inputs[f]}`]));
    assert.equal((await inputsReadout(page))[2][1], `${tile}_winter_vv_AMP.tif: no data`);
    // Beside the patch, all three have data again.
    const beside = await pixelAt(page, outside.px, outside.py);
    assert.equal(beside[3], 255);
    assert.ok(outRef.rgbas.some((c) => c.every((v, k) => v === beside[k])), `${beside} vs ${outRef.rgba}`);
    await shot(page, 'compare-rgb-no-data');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});

test('choosing a preset writes its three channels to the URL, and the canvas follows', async () => {
  const page = await openPage(browser, rgbUrl(CHANNELS, CORNER), { width: 1000, height: 700 });
  await waitView(page);
  // The presets of winter, vv (the selection's season and polarization).
  const presets = {
    1: { red: 'COH:winter_vv_12:0:1', green: 'COH:spring_vv_12:0:1', blue: 'COH:summer_vv_12:0:1' },
    2: { red: 'AMP:winter_vv:-25:0', green: 'AMP:winter_vh:-25:0', blue: 'COH:winter_vv_12:0:1' },
    0: { red: 'COH:winter_vv_12:0:1', green: 'COH:summer_vv_12:0:1', blue: 'AMP:winter_vv:-25:0' },
  };
  const names = await page.locator('#rgb-preset option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(names.map(([v]) => v), ['', '0', '1', '2'], JSON.stringify(names));
  for (const [index, channels] of Object.entries(presets)) {
    // The file that only this preset reads (none for the first: its
    // channels are all read by the two before).
    const fresh = { 1: 'spring_vv_COH12', 2: 'winter_vh_AMP', 0: null }[index];
    await page.selectOption('#rgb-preset', index);
    const q = await waitQuery(
      page,
      (p) => ['red', 'green', 'blue'].every((n) => p.get(n) === channels[n]),
      `has preset ${index}'s channels ${JSON.stringify(channels)}`,
    );
    assert.equal(q.get('red'), channels.red);
    assert.equal(await page.locator('#rgb-preset').inputValue(), index);
    if (fresh) {
      // Its four tiles' files requested: the plan is the preset's.
      const start = Date.now();
      while (new Set(page.requests.filter((u) => u.endsWith(`_${fresh}.tif`))).size < 4) {
        assert.ok(Date.now() - start < 10000, `preset ${index}: its ${fresh} files are never requested`);
        await page.waitForTimeout(50);
      }
    }
    await waitView(page);
    const ref = await rgbReference(page, channels, CORNER);
    assertWholeCanvas(ref, `preset ${index}`);
    assert.equal(ref.transparent, 0);
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("an RGB composite's URL restores identical canvas pixels", async () => {
  // A view of several tiles (about 1° square), the coast in it; data
  // pixels are smaller than screen pixels.
  const camera = { lat: 34.6, lon: -120.2, zoom: 10 };
  const page = await openPage(browser, rgbUrl(CHANNELS, camera));
  await waitView(page);
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  const url = page.url();
  const q = new URL(url).searchParams;
  for (const [name, value] of Object.entries(CHANNELS)) assert.equal(q.get(name), value, `${name} in ${url}`);
  const original = await canvasBytes(page);
  const ref = await rgbReference(page, CHANNELS, camera);
  assertWholeCanvas(ref, 'the composite at zoom 10');
  assert.ok(ref.transparent > 0 && ref.opaque > 0, `the coast: ${ref.opaque} opaque, ${ref.transparent} transparent`);
  await page.context().close();

  const fresh = await openPage(browser, url);
  await waitView(fresh);
  await fresh.waitForTimeout(400);
  assert.equal(fresh.url(), url, 'the restored page rewrites the same URL');
  const restored = await canvasBytes(fresh);
  assert.equal(restored.length, original.length);
  assert.ok(restored.equals(original), `the canvas differs after restoring ${url}`);
  assert.deepEqual(fresh.errors, []);
  await fresh.context().close();
});

// --- Swipe ------------------------------------------------------------------

/** Lat 35 across the middle, the 117 W border left of the divider. */
const SWIPE_CAMERA = { lat: 35, lon: -116.9, zoom: 11 };
const layerUrl = (season, extra = '', camera = SWIPE_CAMERA) =>
  `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&var=COH&season=${season}&pol=vv&days=12` +
  `&${cameraQuery(camera)}${extra}`;
const swipeUrl = (divide, camera = SWIPE_CAMERA) => layerUrl('winter', `&swipe=COH:summer_vv_12&divide=${divide}`, camera);

/** Pixels of canvases `a` and `b` (RGBA, `width` wide) that differ in
 * columns x0 <= x < x1. */
function differing(a, b, width, x0, x1) {
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    const x = (i / 4) % width;
    if (x < x0 || x >= x1) continue;
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) n++;
  }
  return n;
}

/** The canvas of a page opened at `url` once it is ready. */
async function canvasOf(url) {
  const page = await openPage(browser, url, { width: 1280, height: 900 });
  await waitView(page);
  const bytes = await canvasBytes(page);
  assert.deepEqual(page.errors, []);
  await page.context().close();
  return bytes;
}

/** The two selections drawn alone. */
const seasons = async () => ({ winter: await canvasOf(layerUrl('winter')), summer: await canvasOf(layerUrl('summer')) });

/**
 * Checks that `bytes` is winter left of `divide` × width and summer right
 * of it (2 columns either side left out), and that the two differ there.
 */
function assertSides(bytes, { winter, summer }, width, divide, what) {
  const left = [0, Math.ceil(divide * width - 2)];
  const right = [Math.floor(divide * width + 2) + 1, width];
  const rows = bytes.length / 4 / width;
  // Not vacuous: the seasons differ on both sides.
  for (const [name, [x0, x1]] of [['left', left], ['right', right]]) {
    if (x1 > x0) assert.ok(differing(winter, summer, width, x0, x1) > 0.5 * (x1 - x0) * rows, `winter and summer differ ${name}`);
  }
  const notWinter = differing(bytes, winter, width, ...left);
  const notSummer = differing(bytes, summer, width, ...right);
  // Where summer starts, to say what is wrong.
  const starts = [];
  for (let x = 0; x < width; x++) if (differing(bytes, summer, width, x, x + 1) === 0 && differing(bytes, winter, width, x, x + 1) > 0) { starts.push(x); break; }
  assert.equal(notWinter, 0, `${what}: left of the divider (x < ${left[1]}) is not winter; summer starts at x = ${starts[0]}`);
  assert.equal(notSummer, 0, `${what}: right of the divider (x >= ${right[0]}) is not summer; summer starts at x = ${starts[0]}`);
  return starts[0];
}

test("the swipe's two sides equal the two selections drawn alone", async (t) => {
  const page = await openPage(browser, swipeUrl(0.4), { width: 1280, height: 900 });
  await waitView(page);
  assert.equal(await page.locator('li.failure').count(), 0, 'no file failed');
  // The four tiles' files of both layers.
  assert.equal(await page.evaluate(() => document.body.dataset.files), '8/8');
  const [width] = await canvasSize(page);
  const swiped = await canvasBytes(page);
  // The 117 W border is left of the divider, 35 N across both sides.
  const box = await page.locator('#map-wrap').boundingBox();
  const border = screenOf(SWIPE_CAMERA, box, 35, -117);
  assert.ok(border.x > 10 && border.x < 0.4 * width - 10, `117 W at x = ${border.x}`);
  const starts = assertSides(swiped, await seasons(), width, 0.4, 'divide=0.4');
  t.diagnostic(`summer starts at column ${starts} (0.4 × ${width} = ${0.4 * width})`);
  assert.ok((await opaqueFraction(page)) > 0.99);
  await shot(page, 'compare-swipe');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the readout reads the layer under the pointer on either side of the divider', async () => {
  // One data pixel ≈ 3.4 CSS pixels, so that the pointer is surely over
  // the data pixel probed; the divider at 0.4 of the map.
  const camera = { lat: 35, lon: -116.95, zoom: 12 };
  const page = await openPage(browser, swipeUrl(0.4, camera), { width: 1280, height: 900 });
  await waitView(page);
  const box = await page.locator('#map-wrap').boundingBox();
  // Pixels where the two seasons differ, on both sides of the 117 W
  // border left of the divider and of 35 N.
  for (const [tile, row, col, side] of [
    ['N35W117', 100, 150, 'right'], ['N36W117', 1150, 100, 'right'],
    ['N35W117', 100, 10, 'left'], ['N35W118', 100, 1190, 'left'], ['N36W118', 1190, 1190, 'left'],
  ]) {
    const p = screenPixel(camera, box, tile, row, col);
    assert.ok(p.x > 5 && p.x < box.width - 5, `${tile} (${row}, ${col}) at x ${p.x}`);
    assert.equal(p.x > 0.4 * box.width + 3, side === 'right', `${tile} (${row}, ${col}) at x ${p.x}`);
    const [winterDn] = readDn(tilePath(DEMO, tile, 'winter_vv_COH12'), [row, col]);
    const [summerDn] = readDn(tilePath(DEMO, tile, 'summer_vv_COH12'), [row, col]);
    assert.notEqual(winterDn, summerDn, `${tile} (${row}, ${col}): choose a pixel where the seasons differ`);
    const dn = side === 'right' ? summerDn : winterDn;
    const got = await hover(page, box, p);
    assert.equal(got.tile, tile);
    assert.equal(got.dn, String(dn), `${tile} (${row}, ${col}) ${side} of the divider: the ${side === 'right' ? 'summer' : 'winter'} DN`);
    assert.equal(got.value, (dn / 100).toFixed(2));
    if (side === 'right') {
      // Right of the divider, the readout names the file it reads.
      const text = await page.locator('#readout').innerText();
      assert.ok(text.includes(`${tile}_summer_vv_COH12.tif`), `${tile}: the readout does not name the summer file: ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** Drags the divider's handle to `fraction` of the map's width. */
async function dragDivider(page, fraction, steps = 8) {
  const box = await page.locator('#map-wrap').boundingBox();
  const handle = await page.locator('#swipe-divider .handle').boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + fraction * box.width, handle.y + handle.height / 2 + 40, { steps });
  await page.mouse.up();
}

test('dragging the divider, or the arrow keys, move it and `divide` in the URL; the URL restores it', async () => {
  const page = await openPage(browser, swipeUrl(0.4), { width: 1280, height: 900 });
  await waitView(page);
  const box = await page.locator('#map-wrap').boundingBox();
  const [width] = await canvasSize(page);
  const divider = page.locator('#swipe-divider');
  assert.equal(await divider.getAttribute('role'), 'slider');
  assert.equal(await divider.getAttribute('aria-valuenow'), '40');
  const at = async () => (await divider.boundingBox()).x - box.x;
  assert.ok(Math.abs((await at()) - 0.4 * box.width) < 2, `the divider is at 0.4 of the map: ${await at()}`);
  await dragDivider(page, 0.7);
  let q = await waitQuery(page, (p) => Math.abs(Number(p.get('divide')) - 0.7) < 0.002, 'follows the drag to 0.7');
  const dragged = Number(q.get('divide'));
  // Only the divider moved: not the map.
  assert.deepEqual(cameraOf(page.url()), SWIPE_CAMERA);
  assert.ok(Math.abs((await at()) - dragged * box.width) < 2, `the divider is at ${dragged} of the map: ${await at()}`);

  // The arrow keys step by 0.05.
  await divider.focus();
  await page.keyboard.press('ArrowLeft');
  q = await waitQuery(page, (p) => Number(p.get('divide')) < dragged - 0.01, 'steps left');
  assert.ok(Math.abs(Number(q.get('divide')) - (dragged - 0.05)) < 1e-9, `${dragged} − 0.05: ${q.get('divide')}`);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  q = await waitQuery(page, (p) => Number(p.get('divide')) > dragged + 0.01, 'steps right');
  const divide = Number(q.get('divide'));
  assert.ok(Math.abs(divide - (dragged + 0.05)) < 1e-9, `${dragged} + 0.05: ${q.get('divide')}`);
  assert.equal(await divider.getAttribute('aria-valuenow'), (divide * 100).toFixed(0));
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  const url = page.url();

  // A fresh page: the divider where the URL says, winter left of it and
  // summer right; and again, byte for byte.
  const fresh = await reopen(page, url);
  assert.equal(await fresh.locator('#swipe-divider').getAttribute('aria-valuenow'), (divide * 100).toFixed(0));
  const restored = await canvasBytes(fresh);
  assertSides(restored, await seasons(), width, divide, `restored ${url}`);
  assert.deepEqual(fresh.errors, []);
  await fresh.context().close();
  assert.ok((await canvasOf(url)).equals(restored), `the canvas differs on restoring ${url} again`);
});

test('the canvas follows the divider as it is dragged and stepped', async () => {
  const page = await openPage(browser, swipeUrl(0.4), { width: 1280, height: 900 });
  await waitView(page);
  const [width] = await canvasSize(page);
  const both = await seasons();
  // Where the canvas shows summer from, after each move.
  const moves = [];
  const check = async (what) => {
    await page.waitForTimeout(400); // at least one animation frame
    const divide = Number(new URL(page.url()).searchParams.get('divide'));
    moves.push(`${what}: divide ${divide}`);
    assertSides(await canvasBytes(page), both, width, divide, `after ${moves.join(', ')}`);
  };
  await dragDivider(page, 0.7);
  await waitQuery(page, (p) => Math.abs(Number(p.get('divide')) - 0.7) < 0.002, 'follows the drag to 0.7');
  await check('dragged to 0.7');
  await page.locator('#swipe-divider').focus();
  await page.keyboard.press('ArrowLeft');
  await waitQuery(page, (p) => Number(p.get('divide')) < 0.69, 'steps left');
  await check('ArrowLeft');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// --- Stretch ----------------------------------------------------------------

/** The histogram's attributes, or null before it shows. */
const histogramOf = (page) =>
  page.evaluate(() => {
    const svg = document.querySelector('#legend svg.histogram');
    if (!svg) return null;
    return {
      counts: svg.dataset.counts.split(',').map(Number),
      below: Number(svg.dataset.below),
      above: Number(svg.dataset.above),
    };
  });

/** Waits until the histogram is `want`'s (counts, below, above). */
async function waitHistogram(page, want, what) {
  const start = Date.now();
  for (;;) {
    const got = await histogramOf(page);
    if (got && got.below === want.below && got.above === want.above && got.counts.join() === want.counts.join()) return got;
    if (Date.now() - start > 10000) {
      assert.deepEqual(got, { counts: want.counts, below: want.below, above: want.above }, `${what}: the histogram`);
    }
    await page.waitForTimeout(100);
  }
}

/** Python's quantiles and histogram of a COH view. */
async function stretchReference(page, layer, range) {
  const [width, height] = await canvasSize(page);
  const camera = cameraOf(page.url());
  return reference(
    'stretch', DEMO, '--camera', camera.lat, camera.lon, camera.zoom, '--size', width, height,
    '--layer', layer, range ? ['--range', ...range] : [],
  );
}

const stretchUrl = (camera) =>
  `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&var=COH&season=winter&pol=vv&days=12&${cameraQuery(camera)}`;

for (const [name, camera, fraction] of [
  // All land, four tiles.
  ['inland', { lat: 35, lon: -117, zoom: 10 }, true],
  // The coast: no data (the sea, and where the demo has no file) is left
  // out. Here over a fifth of the values are the least (0.01), so the 2 %
  // quantile is the minimum and nothing is below it.
  ['on the coast', { lat: 34.9, lon: -120.2, zoom: 10 }, false],
]) {
  test(`auto range (${name}): min and max are the nearest-rank 2 % and 98 % quantiles of the values under every canvas pixel`, async (t) => {
    const page = await openPage(browser, stretchUrl(camera), { width: 1280, height: 900 });
    await waitView(page);
    await page.locator('#legend svg.histogram').waitFor();
    // Before: the histogram of the default range, 0..1.
    const initial = await stretchReference(page, 'COH:winter_vv_12', [0, 1]);
    assert.equal(initial.counts.length, 64);
    await waitHistogram(page, initial, 'over 0..1');
    const total = initial.counts.reduce((a, b) => a + b, 0) + initial.below + initial.above;
    assert.equal(total, initial.n, 'the histogram counts every value under the canvas');
    if (!fraction) assert.ok(initial.n < initial.width * initial.height, 'part of the view has no data');

    await page.click('#auto-range');
    const q = await waitQuery(page, (p) => p.has('min') && p.has('max'), 'gets the auto range');
    const ref = await stretchReference(page, 'COH:winter_vv_12');
    assert.deepEqual(ref.numpy, [ref.lo, ref.hi], 'numpy agrees');
    assert.equal(Number(q.get('min')), ref.lo, `min in ${page.url()}`);
    assert.equal(Number(q.get('max')), ref.hi, `max in ${page.url()}`);
    // The histogram follows the new range.
    const h = await waitHistogram(page, ref, 'over the auto range');
    const all = h.counts.reduce((a, b) => a + b, 0) + h.below + h.above;
    assert.equal(all, ref.n);
    const below = h.below / all;
    const above = h.above / all;
    t.diagnostic(`n ${all}, range ${ref.lo}..${ref.hi}, below ${(100 * below).toFixed(3)} %, above ${(100 * above).toFixed(3)} %`);
    assert.equal(
      await page.locator('#histogram-outside').innerText(),
      `In view: ${(100 * below).toFixed(1)} % below the range, ${(100 * above).toFixed(1)} % above.`,
    );
    if (fraction) {
      assert.ok(Math.abs(below - 0.02) <= 0.005, `below the range: ${100 * below} %`);
    } else {
      assert.equal(h.below, 0, 'the 2 % quantile is the least value');
      assert.ok(h.counts[0] / all > 0.02, `the least value is over 2 % of the view: ${h.counts[0]} of ${all}`);
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test('the URL restores the auto range, the histogram and the canvas', async () => {
  const camera = { lat: 35, lon: -117, zoom: 10 };
  const page = await openPage(browser, stretchUrl(camera), { width: 1280, height: 900 });
  await waitView(page);
  await page.locator('#legend svg.histogram').waitFor();
  const before = await canvasBytes(page);
  await page.click('#auto-range');
  const q = await waitQuery(page, (p) => p.has('min') && p.has('max'), 'gets the auto range');
  const ref = await stretchReference(page, 'COH:winter_vv_12');
  const histogram = await waitHistogram(page, ref, 'over the auto range');
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  await waitView(page);
  const url = page.url();
  const stretched = await canvasBytes(page);
  assert.ok(!stretched.equals(before), 'the auto range changed the colours');

  const fresh = await reopen(page, url);
  const p = new URL(fresh.url()).searchParams;
  assert.deepEqual([p.get('min'), p.get('max')], [q.get('min'), q.get('max')]);
  await waitHistogram(fresh, histogram, 'restored');
  assert.ok((await canvasBytes(fresh)).equals(stretched), `the canvas differs after restoring ${url}`);
  assert.deepEqual(fresh.errors, []);
  await fresh.context().close();
});

// --- Small multiples --------------------------------------------------------
//
// `multiples=seasons` splits the canvas (W × H device pixels) into four
// panels of floor(W/2) × floor(H/2), winter, spring, summer, fall from the
// top left, row by row. Each panel is a map of its own size centred on the
// camera at the same scale, so compare_reference.py's `rgb` (three
// identical COH channels over 0..1: grey = round(DN/100 · 255)) checks a
// panel cropped from the canvas as a map of the panel's size; probes are
// checked with tifffile's DNs, the readout and the file it names.

const MULTIPLES_SEASONS = ['winter', 'spring', 'summer', 'fall'];
const multiplesUrl = (camera, extra = '', refs = `${data.url}/refs.json`) =>
  `${app.url}/?refs=${encodeURIComponent(refs)}&var=COH&season=winter&pol=vv&days=12&multiples=seasons` +
  `&${cameraQuery(camera)}&cmap=gray&min=0&max=1${extra}`;

/** The four panels of a canvas `width` × `height` device pixels. */
function panelsOf(width, height) {
  const [pw, ph] = [Math.floor(width / 2), Math.floor(height / 2)];
  return MULTIPLES_SEASONS.map((season, i) => ({ season, ox: (i % 2) * pw, oy: Math.floor(i / 2) * ph, width: pw, height: ph }));
}

/** Where the centre of data pixel (row, col) of `tile` is in `panel` (a map
 * of the panel's size centred on `camera`): panel-local (lx, ly) and map
 * (x, y, px, py), as `screenPixel`. */
function panelPixel(camera, panel, tile, row, col) {
  const { lat, lon } = pixelCentre(tile, row, col);
  const { x: lx, y: ly } = screenOf(camera, panel, lat, lon);
  const [x, y] = [panel.ox + lx, panel.oy + ly];
  return { tile, row, col, lat, lon, lx, ly, x, y, px: Math.floor(x), py: Math.floor(y) };
}

/** Whether a panel-local position is inside the panel, `margin` from its edges. */
const insidePanel = (p, panel, margin = 3) =>
  p.lx >= margin && p.ly >= margin && p.lx < panel.width - margin && p.ly < panel.height - margin;

/** A panel's RGBA bytes cut from a canvas `width` pixels wide. */
function cropPanel(bytes, width, panel) {
  const out = Buffer.alloc(panel.width * panel.height * 4);
  for (let y = 0; y < panel.height; y++) {
    const start = ((panel.oy + y) * width + panel.ox) * 4;
    bytes.copy(out, y * panel.width * 4, start, start + panel.width * 4);
  }
  return out;
}

/** compare_reference.py's `rgb` for a COH panel (gray, 0..1, in all three
 * channels) on the panel cut from the canvas. */
function panelReference(bytes, width, panel, camera, demo = DEMO) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-multiples-'));
  try {
    const file = path.join(dir, `${panel.season}.rgba`);
    writeFileSync(file, cropPanel(bytes, width, panel));
    const channel = `COH:${panel.season}_vv_12:0:1`;
    return reference(
      'rgb', demo, '--camera', camera.lat, camera.lon, camera.zoom, '--size', panel.width, panel.height,
      [channel, channel, channel].map((c) => ['--channel', c]), '--canvas', file,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every panel of the page's canvas against Python; returns the canvas. */
async function assertPanels(page, camera, what) {
  const [width, height] = await canvasSize(page);
  const bytes = await canvasBytes(page);
  for (const panel of panelsOf(width, height)) {
    const ref = panelReference(bytes, width, panel, camera);
    assertWholeCanvas(ref, `${what}: the ${panel.season} panel (${panel.width} × ${panel.height} at ${panel.ox}, ${panel.oy})`);
    assert.ok(ref.opaque > 0.99 * panel.width * panel.height, `${what}: the ${panel.season} panel is mostly empty`);
  }
  return bytes;
}

/** The gray levels of a COH DN over 0..1: round(DN/100 · 255), halves away
 * from 0, either side where within 1e-9 of a half. */
function cohGreys(dn) {
  const x = (dn / 100) * 255;
  const levels = new Set();
  for (const v of [x * (1 - 1e-9), x, x * (1 + 1e-9)]) levels.add(Math.floor(v) + (v - Math.floor(v) >= 0.5 ? 1 : 0));
  return [...levels];
}

/**
 * At each probe {tile, row, col} in each panel: the canvas pixel is the
 * grey of the DN tifffile reads in that season's file, and hovering it
 * shows that DN, its value and the file's name. Returns the DNs by season.
 */
async function assertPanelProbes(page, camera, probes, what) {
  const [width, height] = await canvasSize(page);
  const box = await page.locator('#map-wrap').boundingBox();
  const dnsBySeason = {};
  for (const panel of panelsOf(width, height)) {
    const dns = (dnsBySeason[panel.season] = []);
    // tifffile's DNs, one call per file.
    const read = {};
    for (const tile of new Set(probes.map((p) => p.tile))) {
      const pixels = probes.filter((p) => p.tile === tile).map((p) => [p.row, p.col]);
      const got = readDn(tilePath(DEMO, tile, `${panel.season}_vv_COH12`), ...pixels);
      pixels.forEach(([row, col], i) => { read[`${tile} ${row} ${col}`] = got[i]; });
    }
    for (const { tile, row, col } of probes) {
      const p = panelPixel(camera, panel, tile, row, col);
      const where = `${what}: ${panel.season} panel, ${tile} (${row}, ${col}) at canvas (${p.px}, ${p.py})`;
      assert.ok(insidePanel(p, panel), `${where}: outside the panel`);
      const file = `${tile}_${panel.season}_vv_COH12.tif`;
      const dn = read[`${tile} ${row} ${col}`];
      assert.ok(dn > 0, `${where}: choose a pixel with data (DN ${dn})`);
      dns.push(dn);
      const rgba = await pixelAt(page, p.px, p.py);
      const greys = cohGreys(dn);
      assert.ok(
        rgba[0] === rgba[1] && rgba[1] === rgba[2] && rgba[3] === 255 && greys.includes(rgba[0]),
        `${where}: canvas ${rgba}, expected grey ${greys.join(' or ')} of ${file}'s DN ${dn}`,
      );
      const got = await hover(page, box, p);
      assert.equal(got.tile, tile, where);
      assert.equal(got.dn, String(dn), `${where}: the readout's DN is not ${file}'s: ${JSON.stringify(got)}`);
      assert.equal(got.value, (dn / 100).toFixed(2), where);
      assert.equal(got.source, file, `${where}: the readout's file`);
    }
  }
  return dnsBySeason;
}

const MULTIPLES_PROBES = Object.entries(PROBES).flatMap(([tile, pixels]) => pixels.map(([row, col]) => ({ tile, row, col })));

test('multiples: each panel is its season\'s file, pixel for pixel, at tile borders too; the readout reads and names that file', async () => {
  const page = await openPage(browser, multiplesUrl(CORNER, '&budget=16'), { width: 1280, height: 900 });
  await waitView(page);
  assert.equal(await page.locator('li.failure').count(), 0, 'no file failed');
  // Four seasons' files of the four tiles around the corner.
  assert.equal(await page.evaluate(() => document.body.dataset.files), '16/16');
  assert.equal(await page.locator('#compare').inputValue(), 'seasons');
  const [width, height] = await canvasSize(page);
  const panels = panelsOf(width, height);
  // Every probe is in every panel (the corner is each panel's centre).
  for (const panel of panels) {
    for (const { tile, row, col } of MULTIPLES_PROBES) {
      assert.ok(insidePanel(panelPixel(CORNER, panel, tile, row, col), panel), `${tile} (${row}, ${col}) outside ${JSON.stringify(panel)}`);
    }
  }
  await assertPanels(page, CORNER, 'at the corner');
  const dns = await assertPanelProbes(page, CORNER, MULTIPLES_PROBES, 'at the corner');
  // Not vacuous: the seasons differ at the probes.
  const differ = MULTIPLES_PROBES.filter((_, i) => new Set(MULTIPLES_SEASONS.map((s) => dns[s][i])).size > 1).length;
  assert.ok(differ >= MULTIPLES_PROBES.length - 2, `the seasons are alike at ${MULTIPLES_PROBES.length - differ} probes: ${JSON.stringify(dns)}`);
  for (const [a, b] of [['winter', 'spring'], ['spring', 'summer'], ['summer', 'fall'], ['winter', 'fall']]) {
    assert.notDeepEqual(dns[a], dns[b], `${a} and ${b} panels`);
  }
  await shot(page, 'compare-multiples');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('multiples: a drag inside one panel moves all four together, each still centred on the camera', async () => {
  const page = await openPage(browser, multiplesUrl(CORNER), { width: 1280, height: 900 });
  await waitView(page);
  const [width, height] = await canvasSize(page);
  const panels = panelsOf(width, height);
  const box = await page.locator('#map-wrap').boundingBox();
  // In the fall panel (bottom right), 60 px left and 40 px down.
  const fall = panels[3];
  const start = [box.x + fall.ox + 300, box.y + fall.oy + 150];
  await page.mouse.move(...start);
  await page.mouse.down();
  await page.mouse.move(start[0] - 30, start[1] + 20, { steps: 4 });
  await page.mouse.move(start[0] - 60, start[1] + 40, { steps: 4 });
  await page.mouse.up();
  await waitQuery(page, (p) => p.get('lon') !== String(CORNER.lon) && p.get('lat') !== String(CORNER.lat), 'follows the drag');
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  await waitView(page);
  const camera = cameraOf(page.url());
  const d = 2 ** -CORNER.zoom;
  assert.equal(camera.zoom, CORNER.zoom, page.url());
  assert.ok(Math.abs(camera.lon - (CORNER.lon + 60 * d)) < 1e-9, `lon after the drag: ${page.url()}`);
  assert.ok(Math.abs(camera.lat - (CORNER.lat + 40 * d)) < 1e-9, `lat after the drag: ${page.url()}`);
  assert.equal(new URL(page.url()).searchParams.get('multiples'), 'seasons');
  // Every panel, whole, at the new camera.
  await assertPanels(page, camera, 'after the drag');
  // Probes still in every panel, on both sides of the borders.
  const probes = MULTIPLES_PROBES.filter(({ tile, row, col }) => panels.every((p) => insidePanel(panelPixel(camera, p, tile, row, col), p)));
  assert.ok(probes.length >= 4 && new Set(probes.map((p) => p.tile)).size >= 3, `probes left in view: ${JSON.stringify(probes)}`);
  await assertPanelProbes(page, camera, probes, 'after the drag');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('multiples: the URL restores identical canvas bytes; choosing "the four seasons" in Compare writes multiples=seasons and draws the same', async () => {
  // A view of several tiles (about 1° across): data pixels are smaller
  // than screen pixels, each panel spans tile borders.
  const camera = { lat: 34.6, lon: -117.4, zoom: 10 };
  const page = await openPage(browser, multiplesUrl(camera), { width: 1280, height: 900 });
  await waitView(page);
  await page.waitForTimeout(400); // the URL is written 300 ms after the last change
  const url = page.url();
  assert.equal(new URL(url).searchParams.get('multiples'), 'seasons', url);
  const original = await assertPanels(page, camera, 'at zoom 10');

  const fresh = await reopen(page, url);
  const restored = await canvasBytes(fresh);
  assert.equal(restored.length, original.length);
  assert.ok(restored.equals(original), `the canvas differs after restoring ${url}`);
  assert.deepEqual(fresh.errors, []);
  await fresh.context().close();

  // The same view without multiples, then Compare → the four seasons.
  const single = url.replace('&multiples=seasons', '');
  assert.notEqual(single, url);
  const chosen = await openPage(browser, single, { width: 1280, height: 900 });
  await waitView(chosen);
  assert.equal(await chosen.locator('#compare').inputValue(), 'off');
  const alone = await canvasBytes(chosen);
  assert.ok(!alone.equals(original), 'a single map draws the same as the four seasons');
  assert.ok(
    (await chosen.locator('#compare option').evaluateAll((os) => os.map((o) => o.value))).includes('seasons'),
    'Compare offers the four seasons',
  );
  await chosen.selectOption('#compare', 'seasons');
  await waitQuery(chosen, (p) => p.get('multiples') === 'seasons', 'gets multiples=seasons');
  await chosen.waitForTimeout(400);
  await waitView(chosen);
  const q = new URL(chosen.url()).searchParams;
  const want = new URL(url).searchParams;
  assert.deepEqual([...q.entries()].sort(), [...want.entries()].sort(), `the chosen view's URL ${chosen.url()} vs ${url}`);
  const picked = await canvasBytes(chosen);
  assert.ok(picked.equals(original), `choosing the four seasons draws other pixels than opening ${url}`);
  assert.deepEqual(chosen.errors, []);
  await chosen.context().close();
});

test('multiples: all four panels\' files count against the budget', async () => {
  // Without overviews (over the budget the demo's would show instead).
  for (const [budget, mode, files] of [[16, 'ready', '16/16'], [15, 'budget', null]]) {
    const page = await openPage(browser, multiplesUrl(CORNER, `&budget=${budget}&overviews=none`));
    await waitView(page, [mode]);
    if (files) {
      assert.equal(await page.evaluate(() => document.body.dataset.files), files);
    } else {
      assert.match(await page.locator('#progress').innerText(), /^16 files in view/);
      assert.equal(page.requests.filter((u) => u.endsWith('.tif')).length, 0, 'over the budget, no file is read');
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

const DERIVED_REFERENCE = path.join(root, 'tests/e2e/derived_reference.py');

/** derived_reference.py's γ(t) of `season`'s rho and tau at `pixels` of `tile`. */
function gammaReference(tile, season, pixels, t, [lo, hi]) {
  const files = [`${tile}_${season}_vv_rho.tif`, `${tile}_${season}_vv_tau.tif`];
  const args = [
    DERIVED_REFERENCE, DEMO, 'gamma', '--files', ...files,
    ...pixels.flatMap(([r, c]) => ['--pixel', String(r), String(c)]),
    '--t', String(t), '--min', String(lo), '--max', String(hi),
  ];
  return { files, pixels: JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8' })).pixels };
}

test('multiples: a derived map (gamma, t = 24) is that season\'s γ(24) in each panel', async () => {
  const range = [0.1, 0.5];
  const url =
    `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&season=winter&pol=vv&derive=gamma&t=24` +
    `&multiples=seasons&${cameraQuery(CORNER)}&cmap=gray&min=${range[0]}&max=${range[1]}`;
  const page = await openPage(browser, url, { width: 1280, height: 900 });
  await waitView(page);
  assert.equal(await page.locator('li.failure').count(), 0, 'no file failed');
  // rho and tau of four seasons of four tiles.
  assert.equal(await page.evaluate(() => document.body.dataset.files), '32/32');
  const q = new URL(page.url()).searchParams;
  assert.deepEqual([q.get('derive'), q.get('t'), q.get('multiples')], ['gamma', '24', 'seasons']);
  const [width, height] = await canvasSize(page);
  const box = await page.locator('#map-wrap').boundingBox();
  const values = {};
  for (const panel of panelsOf(width, height)) {
    values[panel.season] = [];
    for (const [tile, pixels] of Object.entries(PROBES)) {
      const ref = gammaReference(tile, panel.season, pixels, 24, range);
      for (const [i, [row, col]] of pixels.entries()) {
        const want = ref.pixels[i];
        const p = panelPixel(CORNER, panel, tile, row, col);
        const where = `${panel.season} panel, ${tile} (${row}, ${col}) at canvas (${p.px}, ${p.py}), DNs ${JSON.stringify(want.dns)}`;
        assert.ok(insidePanel(p, panel), `${where}: outside the panel`);
        assert.notEqual(want.value, null, `${where}: choose a pixel with data`);
        values[panel.season].push(want.value);
        const rgba = await pixelAt(page, p.px, p.py);
        await hover(page, box, p);
        const got = await page.evaluate(() => ({
          number: document.querySelector('#readout [data-field=value]').getAttribute('data-number'),
          value: document.querySelector('#readout [data-field=value]').textContent,
          tile: document.querySelector('#readout [data-field=tile]').textContent,
          inputs: Array.from(document.querySelectorAll('#readout [data-field=inputs] li[data-file]')).map((li) => [li.dataset.file, li.textContent]),
        }));
        assert.equal(got.tile, tile, where);
        assert.notEqual(got.number, null, `${where}: no data-number`);
        assert.ok(
          Math.abs(Number(got.number) - want.value) <= 1e-9 * Math.abs(want.value),
          `${where}: data-number ${got.number}, Python's γ(24) of ${panel.season} ${want.value}`,
        );
        assert.ok(want.texts.includes(got.value), `${where}: readout ${got.value}, Python ${want.text}`);
        assert.deepEqual(
          got.inputs,
          ref.files.map((f) => [f, `${f}: ${want.inputs[f]}`]),
          `${where}: the readout's inputs`,
        );
        assert.ok(
          rgba[0] === rgba[1] && rgba[1] === rgba[2] && rgba[3] === 255 && want.greys.includes(rgba[0]),
          `${where}: canvas ${rgba}, expected grey ${want.greys.join(' or ')} (γ ${want.value})`,
        );
      }
    }
  }
  // Not vacuous: the seasons' γ differ.
  for (const [a, b] of [['winter', 'spring'], ['spring', 'summer'], ['summer', 'fall'], ['winter', 'fall']]) {
    assert.notDeepEqual(values[a], values[b], `${a} and ${b} panels`);
  }
  await shot(page, 'compare-multiples-gamma');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/**
 * Closes `page` (which must have had no page errors) and opens `url` in a
 * fresh one: the restored page, once its view is ready and it has
 * rewritten the same URL.
 */
async function reopen(page, url) {
  assert.deepEqual(page.errors, []);
  await page.context().close();
  const fresh = await openPage(browser, url, { width: 1280, height: 900 });
  await waitView(fresh);
  await fresh.waitForTimeout(400);
  assert.equal(fresh.url(), url, 'the restored page rewrites the same URL');
  return fresh;
}
