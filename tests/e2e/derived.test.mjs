// Derived maps end to end: the modelled coherence γ(t), the deformation
// error σ it implies, the difference of two COH layers and the seasonal
// range of rho, each checked at chosen pixels (tile borders included)
// against tests/e2e/derived_reference.py, which reads the demo's GeoTIFFs
// with tifffile and applies the formulas with numpy: the readout's value
// unrounded and as text, the input files it lists, and the canvas colour.
// No data in the inputs is no data; every input file counts against the
// budget; a derived map's URL restores identical pixels; a seasonal range
// skips seasons the references do not list; a missing input leaves its
// tile transparent and is named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import {
  DEMO, root, serve, openPage, waitView, canvasBytes, pixelAt, opaqueFraction, cameraOf, screenOf,
  pixelCentre, tilePath, noDataPixel, readout, shot, demoCopy,
  useAppAndDemo,
} from './harness.mjs';

let app, data, browser;
useAppAndDemo((site) => ({ app, data, browser } = site));

const PYTHON = process.env.TESSERA_PYTHON || path.join(root, '.venv/bin/python');
const SEASONS = ['winter', 'spring', 'summer', 'fall'];

/**
 * The maps: the URL's query (without camera and colours), the gray
 * colormap's range (sigma's is logarithmic, difference's diverging about
 * 0), the reference's arguments, and each tile's input files in the
 * formula's order.
 */
const MAPS = {
  gamma: {
    query: 'season=winter&pol=vv&derive=gamma&t=24',
    params: { derive: 'gamma', t: '24' },
    range: [0.1, 0.5],
    args: ['--t', '24'],
    files: (tile) => [`${tile}_winter_vv_rho.tif`, `${tile}_winter_vv_tau.tif`],
  },
  sigma: {
    query: 'var=rho&season=winter&pol=vv&derive=sigma&t=24&looks=20',
    params: { derive: 'sigma', t: '24', looks: '20' },
    range: [0.5, 10],
    args: ['--t', '24', '--looks', '20'],
    files: (tile) => [`${tile}_winter_vv_rho.tif`, `${tile}_winter_vv_tau.tif`],
  },
  difference: {
    query: 'var=COH&season=summer&pol=vv&days=12&derive=difference&minus=winter_vv_12',
    params: { derive: 'difference', minus: 'winter_vv_12' },
    range: [-0.2, 0.6],
    args: [],
    files: (tile) => [`${tile}_summer_vv_COH12.tif`, `${tile}_winter_vv_COH12.tif`],
    // Where summer's coherence is below winter's as well as above (and
    // equal): both sides of the diverging scale, and 0 in its middle.
    camera: { lat: 34, lon: -116, zoom: 12 },
    probes: {
      N35W117: [[1199, 1199], [1169, 1193], [1187, 1174], [1150, 1160]],
      N35W116: [[1199, 0], [1164, 27], [1145, 34], [1160, 10]],
      N34W117: [[0, 1199], [35, 1164], [17, 1158], [5, 1150]],
      N34W116: [[0, 0], [11, 15], [23, 44], [40, 30]],
    },
  },
  range: {
    query: 'var=rho&season=winter&pol=vv&derive=range',
    params: { derive: 'range' },
    range: [0, 0.2],
    args: [],
    files: (tile) => SEASONS.map((s) => `${tile}_${s}_vv_rho.tif`),
  },
};

/**
 * The camera of the pixel checks (unless a map has its own): the corner of
 * four tiles (35 N, 117 W) in the middle, one data pixel = 4096/1200 ≈ 3.4
 * CSS pixels, so that the data pixel under a screen pixel near a data
 * pixel's centre is never in doubt. Every probe is within 60 data pixels
 * of a tile border, some on it.
 */
const CORNER = { lat: 35, lon: -117, zoom: 12 };
const PROBES = {
  N35W117: [[0, 0], [1, 1], [12, 30], [45, 58]],
  N35W118: [[0, 1199], [5, 1190], [40, 1140]],
  N36W117: [[1199, 0], [1190, 20], [1150, 50]],
  N36W118: [[1199, 1199], [1170, 1160]],
};

/** Python's values of map `kind` at `pixels` of `tile`, in `demo`. */
function reference(kind, tile, pixels, demo = DEMO) {
  const map = MAPS[kind];
  const args = [
    path.join(root, 'tests/e2e/derived_reference.py'), demo, kind,
    '--files', ...map.files(tile),
    ...pixels.flatMap(([r, c]) => ['--pixel', String(r), String(c)]),
    ...map.args, '--min', String(map.range[0]), '--max', String(map.range[1]),
  ];
  return JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8' })).pixels;
}

const mapUrl = (kind, refs, camera = CORNER) => {
  const [lo, hi] = MAPS[kind].range;
  return `${app.url}/?refs=${encodeURIComponent(refs)}&${MAPS[kind].query}` +
    `&lat=${camera.lat}&lon=${camera.lon}&zoom=${camera.zoom}&cmap=gray&min=${lo}&max=${hi}`;
};

/** The readout's value, unrounded value and inputs. */
const derivedReadout = (page) =>
  page.evaluate(() => {
    const value = document.querySelector('#readout [data-field=value]');
    return {
      number: value.getAttribute('data-number'),
      inputs: Array.from(document.querySelectorAll('#readout [data-field=inputs] li[data-file]')).map((li) => [
        li.dataset.file,
        li.textContent,
      ]),
    };
  });

/** Moves the pointer to the centre of data pixel (row, col) of `tile`; waits
 * for the readout there; returns it with the canvas pixel under the pointer. */
async function probe(page, box, tile, row, col, camera = CORNER) {
  const { lat, lon } = pixelCentre(tile, row, col);
  const { x, y } = screenOf(camera, box, lat, lon);
  assert.ok(x >= 0 && y >= 0 && x < box.width && y < box.height, `${tile} (${row}, ${col}) is off the map: ${x}, ${y}`);
  const rgba = await pixelAt(page, x, y);
  await page.mouse.move(box.x + x, box.y + y);
  await page.waitForFunction(
    ([la, lo]) => {
      const f = (name) => document.querySelector(`#readout [data-field=${name}]`)?.textContent;
      return Math.abs(Number(f('lat')) - la) < 1 / 2400 && Math.abs(Number(f('lon')) - lo) < 1 / 2400 && f('value') !== '—';
    },
    [lat, lon],
  );
  return { rgba, ...(await readout(page)), ...(await derivedReadout(page)) };
}

/** The expected canvas colour of a reference value: its grey level, or ±1
 * only where the value is within 1e-9 of a rounding boundary. */
function assertColour(rgba, ref, what) {
  if (ref.grey === null) {
    assert.equal(rgba[3], 0, `${what}: no data must be transparent, got ${rgba}`);
    return;
  }
  const [r, g, b, a] = rgba;
  assert.ok(r === g && g === b && a === 255 && ref.greys.includes(r), `${what}: canvas ${rgba}, expected grey ${ref.greys.join(' or ')} (value ${ref.value})`);
}

for (const kind of Object.keys(MAPS)) {
  test(`${kind}: the readout and the canvas equal Python's formula on tifffile's DNs, at tile borders too`, async () => {
    const { camera = CORNER, probes = PROBES } = MAPS[kind];
    const page = await openPage(browser, mapUrl(kind, `${data.url}/refs.json`, camera), { width: 1280, height: 900 });
    await waitView(page);
    assert.equal(await page.locator('li.failure').count(), 0, 'no file failed');
    // Every input file of the four tiles in view counts.
    const files = 4 * MAPS[kind].files('N35W117').length;
    assert.equal(await page.evaluate(() => document.body.dataset.files), `${files}/${files}`);
    const box = await page.locator('#map-wrap').boundingBox();
    const values = new Set();
    for (const [tile, pixels] of Object.entries(probes)) {
      const refs = reference(kind, tile, pixels);
      for (const [i, [row, col]] of pixels.entries()) {
        const ref = refs[i];
        const what = `${kind} at ${tile} (${row}, ${col}), DNs ${JSON.stringify(ref.dns)}`;
        assert.notEqual(ref.value, null, `${what}: choose a pixel with data`);
        values.add(ref.value);
        const got = await probe(page, box, tile, row, col, camera);
        assert.equal(got.tile, tile, what);
        assert.ok(ref.texts.includes(got.value), `${what}: readout ${got.value}, Python ${ref.text}`);
        assert.notEqual(got.number, null, `${what}: no data-number`);
        const number = Number(got.number);
        assert.ok(
          Math.abs(number - ref.value) <= 1e-9 * Math.abs(ref.value),
          `${what}: data-number ${got.number}, Python ${ref.value}`,
        );
        assert.deepEqual(
          got.inputs.map(([file]) => file).sort(),
          MAPS[kind].files(tile).sort(),
          `${what}: the readout's inputs`,
        );
        for (const [file, text] of got.inputs) {
          assert.equal(text, `${file}: ${ref.inputs[file]}`, what);
        }
        assertColour(got.rgba, ref, what);
      }
    }
    assert.ok(values.size >= 6, `${kind}: the probes are too alike: ${[...values]}`);
    if (kind === 'difference') {
      assert.ok([...values].some((v) => v < 0) && [...values].some((v) => v > 0), `${kind}: both signs: ${[...values]}`);
    }
    await shot(page, `derived-${kind}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test('no data in the inputs (the sea) is no data in every derived map: transparent, and the readout says so', async () => {
  const tile = 'N34W121';
  const sea = noDataPixel(tilePath(DEMO, tile, 'winter_vv_rho'));
  assert.ok(sea, `the demo has sea in ${tile}`);
  const { lat, lon } = pixelCentre(tile, ...sea);
  const camera = { lat, lon, zoom: 12 };
  for (const kind of Object.keys(MAPS)) {
    const [ref] = reference(kind, tile, [sea]);
    assert.equal(ref.value, null, `${kind}: Python has a value in the sea: ${JSON.stringify(ref)}`);
    assert.ok(Object.values(ref.dns).every((dn) => dn === 0), JSON.stringify(ref.dns));
    const page = await openPage(browser, mapUrl(kind, `${data.url}/refs.json`, camera));
    await waitView(page);
    const box = await page.locator('#map-wrap').boundingBox();
    const got = await probe(page, box, tile, sea[0], sea[1], camera);
    assert.equal(got.rgba[3], 0, `${kind}: the sea is drawn ${got.rgba}`);
    assert.equal(got.value, 'no data', kind);
    assert.equal(got.number, null, kind);
    assert.deepEqual(got.inputs, MAPS[kind].files(tile).map((f) => [f, `${f}: no data`]), kind);
    assert.ok((await opaqueFraction(page)) < 1, `${kind}: nothing is transparent`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('every input file counts against the budget', async () => {
  // The seasonal range at the corner of four tiles reads 4 × 4 files.
  for (const [budget, mode, files] of [[16, 'ready', '16/16'], [15, 'budget', null]]) {
    const page = await openPage(browser, `${mapUrl('range', `${data.url}/refs.json`)}&budget=${budget}`);
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

test('the URL of each derived map restores identical canvas pixels', async () => {
  // A view of several tiles (about 1° square) away from the probes' corner.
  const camera = { lat: 34.6, lon: -117.4, zoom: 10 };
  for (const kind of Object.keys(MAPS)) {
    const page = await openPage(browser, mapUrl(kind, `${data.url}/refs.json`, camera));
    await waitView(page);
    await page.waitForTimeout(400); // the URL is written 300 ms after the last change
    const url = page.url();
    const q = new URL(url).searchParams;
    for (const [name, value] of Object.entries(MAPS[kind].params)) {
      assert.equal(q.get(name), value, `${kind}: ${name} in ${url}`);
    }
    const camUrl = cameraOf(url);
    assert.ok(Math.abs(camUrl.lat - camera.lat) < 1e-9 && Math.abs(camUrl.lon - camera.lon) < 1e-9, url);
    const original = await canvasBytes(page);
    assert.ok((await opaqueFraction(page)) > 0.5, `${kind}: the map is mostly empty`);
    await page.context().close();

    const fresh = await openPage(browser, url);
    await waitView(fresh);
    await fresh.waitForTimeout(400);
    assert.equal(fresh.url(), url, `${kind}: the restored page rewrites the same URL`);
    const restored = await canvasBytes(fresh);
    assert.equal(restored.length, original.length);
    assert.ok(restored.equals(original), `${kind}: the canvas differs after restoring ${url}`);
    assert.deepEqual(fresh.errors, []);
    await fresh.context().close();
  }
});

test('a seasonal range skips the seasons the references do not list; under two seasons is no data', async () => {
  // From a copy: N35W117 loses spring, N36W117 all but winter, from the
  // references and the disk (the Python reference then sees no file too).
  const copy = demoCopy();
  const unlisted = ['N35W117_spring_vv_rho.tif', 'N36W117_spring_vv_rho.tif', 'N36W117_summer_vv_rho.tif', 'N36W117_fall_vv_rho.tif'];
  const refsFile = path.join(copy.dir, 'refs.json');
  const refs = JSON.parse(readFileSync(refsFile, 'utf8'));
  for (const name of unlisted) {
    const keys = Object.keys(refs).filter((k) => Array.isArray(refs[k]) && String(refs[k][0]).endsWith(`/${name}`));
    assert.equal(keys.length, 1, `${name}: ${keys}`);
    delete refs[keys[0]];
    unlinkSync(path.join(copy.dir, 'data/tiles', name.slice(0, 7), name));
  }
  unlinkSync(refsFile); // a hard link to the demo's own
  writeFileSync(refsFile, JSON.stringify(refs));
  const server = await serve(copy.dir, { cors: '*' });
  try {
    const page = await openPage(browser, mapUrl('range', `${server.url}/refs.json`), { width: 1280, height: 900 });
    await waitView(page);
    assert.equal(await page.locator('li.failure').count(), 0, 'an unlisted file is not a failure');
    assert.equal(await page.evaluate(() => document.body.dataset.files), `${16 - unlisted.length}/${16 - unlisted.length}`);
    const box = await page.locator('#map-wrap').boundingBox();
    for (const [tile, pixels] of Object.entries(PROBES)) {
      const refsAt = reference('range', tile, pixels, copy.dir);
      for (const [i, [row, col]] of pixels.entries()) {
        const ref = refsAt[i];
        const what = `range at ${tile} (${row}, ${col}), DNs ${JSON.stringify(ref.dns)}`;
        const got = await probe(page, box, tile, row, col);
        assert.equal(got.tile, tile, what);
        assert.ok(ref.texts.includes(got.value), `${what}: readout ${got.value}, Python ${ref.text}`);
        if (ref.value === null) {
          assert.equal(got.number, null, what);
        } else {
          assert.ok(Math.abs(Number(got.number) - ref.value) <= 1e-9 * Math.abs(ref.value), `${what}: ${got.number} vs ${ref.value}`);
        }
        for (const [file, text] of got.inputs) assert.equal(text, `${file}: ${ref.inputs[file]}`, what);
        assert.equal(got.inputs.length, 4, what);
        assertColour(got.rgba, ref, what);
      }
      // Python agrees about which tiles have values at all.
      const noFiles = MAPS.range.files(tile).filter((f) => unlisted.includes(f)).length;
      assert.ok(refsAt.every((r) => (r.value === null) === (noFiles >= 3)), `${tile}: ${JSON.stringify(refsAt.map((r) => r.value))}`);
    }
    await shot(page, 'derived-range-unlisted');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});

test("a missing input leaves its tile transparent while its neighbours draw, and is named", async () => {
  const copy = demoCopy();
  const tile = 'N35W117';
  const missing = tilePath(copy.dir, tile, 'winter_vv_tau');
  assert.ok(existsSync(missing), missing);
  unlinkSync(missing); // the copy's files are hard links: the demo keeps its own
  const server = await serve(copy.dir, { cors: '*' });
  try {
    const page = await openPage(browser, mapUrl('gamma', `${server.url}/refs.json`), { width: 1280, height: 900 });
    await waitView(page);
    // The status panel names the file and why.
    const failures = await page.locator('li.failure').evaluateAll((items) =>
      items.map((li) => [li.querySelector('.url').textContent, li.querySelector('.reason').textContent]),
    );
    assert.equal(failures.length, 1, JSON.stringify(failures));
    assert.ok(failures[0][0].endsWith(`/${tile}/${tile}_winter_vv_tau.tif`), failures[0][0]);
    assert.match(failures[0][1], /404/);
    assert.match(await page.locator('#progress').innerText(), /7 of 8 files, 1 failed/);

    // The tile (south-east of the centre) is transparent though its rho
    // has data; the three around it draw everywhere.
    const box = await page.locator('#map-wrap').boundingBox();
    const { x: cx, y: cy } = screenOf(CORNER, box, 35, -117);
    const bytes = await canvasBytes(page);
    const width = await page.locator('#map').evaluate((c) => c.width);
    const height = bytes.length / 4 / width;
    const quadrant = (east, south) => {
      let opaque = 0;
      let all = 0;
      for (let y = 0; y < height; y++) {
        if (south ? y < cy + 2 : y > cy - 2) continue;
        for (let x = 0; x < width; x++) {
          if (east ? x < cx + 2 : x > cx - 2) continue;
          all++;
          if (bytes[(y * width + x) * 4 + 3] > 0) opaque++;
        }
      }
      return opaque / all;
    };
    assert.equal(quadrant(true, true), 0, `${tile} must be transparent`);
    for (const [east, south, name] of [[false, true, 'N35W118'], [true, false, 'N36W117'], [false, false, 'N36W118']]) {
      assert.ok(quadrant(east, south) > 0.99, `${name} must be drawn: ${quadrant(east, south)}`);
    }
    const [row, col] = PROBES[tile][2];
    const [ref] = reference('gamma', tile, [[row, col]]);
    assert.ok(ref.dns[`${tile}_winter_vv_rho.tif`] > 0 && ref.value !== null, 'the demo has data there');
    const got = await probe(page, box, tile, row, col);
    assert.equal(got.rgba[3], 0);
    assert.equal(got.value, 'no data');
    assert.equal(got.number, null);
    assert.deepEqual(got.inputs, [
      [`${tile}_winter_vv_rho.tif`, `${tile}_winter_vv_rho.tif: ${ref.inputs[`${tile}_winter_vv_rho.tif`]}`],
      [`${tile}_winter_vv_tau.tif`, `${tile}_winter_vv_tau.tif: failed`],
    ]);
    // A neighbour's pixel is still the formula's.
    const [nRow, nCol] = PROBES.N35W118[1];
    const [nRef] = reference('gamma', 'N35W118', [[nRow, nCol]]);
    const neighbour = await probe(page, box, 'N35W118', nRow, nCol);
    assert.ok(nRef.texts.includes(neighbour.value), `${neighbour.value} vs ${nRef.text}`);
    assertColour(neighbour.rgba, nRef, 'N35W118 beside the missing file');
    await shot(page, 'derived-missing-input');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await server.close();
    copy.remove();
  }
});
