// The overviews benchmark (issue 22): a cold world view drawn from a
// global COG, Tessera next to OpenLayers' GeoTIFF source (npm `ol`)
// reading the same COG from the same server in the same run, on
// 127.0.0.1, without and with emulated latency; then a sweep of cold
// views from the world down to full resolution, counting each view's
// requests. Bytes and requests are counted at the server. Run it with
// scripts/bench-overviews.sh.
//
//   node bench/web/overviews.mjs --cog FILE --ol DIR [--runs N] [--latency MS]
//                                [--budget N] [--out FILE]
//                                [--codecs DIR] [--parts world,sweep,codec]
//
// codec: every tile of COGs `tessera overviews` wrote of the same layers
// with Deflate and with LZW (DIR/deflate/, DIR/lzw/), decoded by the
// app's own wasm in the page, alternated: which our browser decoder
// reads fastest.

import { mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root, DIST, DEMO, serve, launch, recordingServer } from '../../tests/e2e/harness.mjs';
import { median } from './stats.mjs';

const { values: args } = parseArgs({
  options: {
    cog: { type: 'string' },
    ol: { type: 'string' },
    runs: { type: 'string', default: '5' },
    latency: { type: 'string', default: '50' },
    // The demo has 22 files a layer: a budget under that puts the world
    // view over it, as the real data set's 1,033,422 files would.
    budget: { type: 'string', default: '4' },
    out: { type: 'string', default: path.join(root, 'bench/out/overviews_bench.json') },
    codecs: { type: 'string', default: path.join(root, 'bench/out/overviews-codecs') },
    parts: { type: 'string', default: 'world,sweep,codec' },
  },
});
const parts = new Set(args.parts.split(','));
const runs = Number(args.runs);
const log = (...a) => console.error(...a);

// The COG alone in a folder of its own, served by a recording server.
const cogDir = path.join(root, 'bench/out/overviews-cog');
rmSync(cogDir, { recursive: true, force: true });
mkdirSync(cogDir, { recursive: true });
symlinkSync(path.resolve(args.cog), path.join(cogDir, 'global.tif'));

const app = await serve(DIST);
const demo = await serve(DEMO, { cors: '*' });
const ol = await serve(args.ol);
const browser = await launch();
const WIDTH = 1280;
const HEIGHT = 800;

/** Opens `url` cold in a new context, with `latency` ms added by Chromium. */
async function cold(url, latency, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
  // Workers' requests too (Tessera reads COG tiles in its workers).
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  await page.goto(url);
  return page;
}

/** Tessera's map box at this window size, and the world view's zoom. */
async function mapBox() {
  const server = await recordingServer(cogDir);
  const page = await cold(`${app.url}/?refs=${encodeURIComponent(`${demo.url}/refs.json`)}&lat=1.5&lon=0&zoom=1&budget=${args.budget}&overviews=none`, 0, { width: WIDTH, height: HEIGHT });
  await page.waitForFunction(() => document.body.dataset.view === 'budget', null, { timeout: 60000 });
  const box = await page.locator('#map-wrap').boundingBox();
  await page.context().close();
  await server.close();
  return box;
}

const box = await mapBox();
// The whole grid (360° × 161°) in the map box.
const worldDpp = Math.max(360 / box.width, 161 / box.height);
const worldZoom = -Math.log2(worldDpp);
log(`map ${box.width}x${box.height} CSS px, world at ${worldDpp.toFixed(4)}°/px (zoom ${worldZoom.toFixed(3)})`);

async function tessera(server, latency, zoom, lat = 1.5, lon = 0) {
  const cog = `${server.url}/global.tif`;
  const page = await cold(`${app.url}/?refs=${encodeURIComponent(`${demo.url}/refs.json`)}&lat=${lat}&lon=${lon}&zoom=${zoom}&budget=${args.budget}&cmap=gray&min=0&max=1&overviews=${encodeURIComponent(cog)}`, latency, { width: WIDTH, height: HEIGHT });
  await page.waitForFunction(() => window.tesseraPerf?.['tessera:first-overview-complete'], null, { timeout: 120000, polling: 10 });
  const perf = await page.evaluate(() => ({
    complete: window.tesseraPerf['tessera:first-overview-complete'],
    refs: window.tesseraPerf['tessera:refs-indexed']?.time,
  }));
  await page.context().close();
  return { ms: perf.complete.time, afterRefs: perf.complete.time - perf.refs, level: perf.complete.level };
}

async function openlayers(server, latency, dpp, lat = 1.5, lon = 0) {
  const cog = `${server.url}/global.tif`;
  const page = await cold(`${ol.url}/index.html?cog=${encodeURIComponent(cog)}&lat=${lat}&lon=${lon}&dpp=${dpp}`, latency, { width: Math.round(box.width), height: Math.round(box.height) });
  await page.waitForFunction(() => window.olPerf?.complete || window.olPerf?.error, null, { timeout: 120000, polling: 10 });
  const perf = await page.evaluate(() => ({ ...window.olPerf }));
  await page.context().close();
  if (perf.error) throw new Error(`OpenLayers: ${perf.error}`);
  return { ms: perf.complete, afterHeader: perf.complete - perf.ready };
}

const results = { date: new Date().toISOString(), runs, map: [box.width, box.height], worldDpp, budget: Number(args.budget), world: [] };
for (const latency of parts.has('world') ? [0, Number(args.latency)] : []) {
  const figures = { latencyMs: latency, tessera: [], openlayers: [] };
  for (let i = 0; i < runs; i++) {
    for (const who of i % 2 ? ['openlayers', 'tessera'] : ['tessera', 'openlayers']) {
      const server = await recordingServer(cogDir);
      try {
        const run = who === 'tessera' ? await tessera(server, latency, worldZoom) : await openlayers(server, latency, worldDpp);
        run.bytes = server.bytes;
        run.requests = server.requests.length;
        figures[who].push(run);
      } finally {
        await server.close();
      }
    }
  }
  const summary = (list, keys) => Object.fromEntries(keys.map((k) => [k, median(list.map((r) => r[k]))]));
  figures.median = {
    tessera: summary(figures.tessera, ['ms', 'afterRefs', 'bytes', 'requests', 'level']),
    openlayers: summary(figures.openlayers, ['ms', 'afterHeader', 'bytes', 'requests']),
  };
  log(`latency ${latency} ms:`, JSON.stringify(figures.median));
  results.world.push(figures);
}

// Cold views from the world down to one screen pixel per 0.01° pixel and
// beyond, over land (the seed's area): requests each view makes.
results.sweep = [];
for (let zoom = Math.ceil(worldZoom); parts.has('sweep') && zoom <= 8; zoom++) {
  const row = { zoom };
  for (const who of ['tessera', 'openlayers']) {
    const server = await recordingServer(cogDir);
    try {
      const run = who === 'tessera'
        ? await tessera(server, 0, zoom, 34.25, -118)
        : await openlayers(server, 0, 2 ** -zoom, 34.25, -118);
      row[who] = { ms: run.ms, requests: server.requests.length, bytes: server.bytes, level: run.level };
    } finally {
      await server.close();
    }
  }
  log(`zoom ${zoom}:`, JSON.stringify(row));
  results.sweep.push(row);
}

// Deflate against LZW in the browser: every tile of the same layers'
// COGs, decoded by the app's wasm (as its workers do), alternated.
if (parts.has('codec')) {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const codecs = await serve(args.codecs, { cors: '*' });
  const page = await cold(`${app.url}/?refs=${encodeURIComponent(`${demo.url}/refs.json`)}`, 0, { width: WIDTH, height: HEIGHT });
  await page.waitForFunction(() => window.wasmBindings?.decodeCogForBench && document.body.dataset.view === 'ready', null, { timeout: 60000 });
  results.codec = [];
  for (const variable of readdirSync(path.join(args.codecs, 'deflate')).filter((v) => !v.endsWith('.json')).sort()) {
    for (const file of readdirSync(path.join(args.codecs, 'deflate', variable)).sort()) {
      const row = { file: `${variable}/${file}` };
      for (const codec of ['deflate', 'lzw']) row[`${codec}Bytes`] = statSync(path.join(args.codecs, codec, variable, file)).size;
      const r = await page.evaluate(async ([urls, n]) => {
        const files = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
        const times = files.map(() => []);
        let tiles = 0;
        for (let i = 0; i < n; i++) {
          for (const k of i % 2 ? [1, 0] : [0, 1]) {
            const t = performance.now();
            tiles = window.wasmBindings.decodeCogForBench(files[k]);
            times[k].push((performance.now() - t) / tiles);
          }
        }
        return { tiles, times };
      }, [['deflate', 'lzw'].map((c) => `${codecs.url}/${c}/${variable}/${file}`), Math.max(runs * 4, 10)]);
      row.tiles = r.tiles;
      row.deflateMsPerTile = median(r.times[0]);
      row.lzwMsPerTile = median(r.times[1]);
      log(`codec ${row.file}:`, JSON.stringify(row));
      results.codec.push(row);
    }
  }
  await page.context().close();
  await codecs.close();
}

await browser.close();
await Promise.all([app.close(), demo.close(), ol.close()]);
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(results, null, 2));

const mb = (b) => (b / 1e6).toFixed(2);
console.log('\n| latency | tool | cold world view complete (median) | after refs / header | transferred | requests |');
console.log('|---|---|---|---|---|---|');
for (const f of results.world) {
  const t = f.median.tessera;
  const o = f.median.openlayers;
  console.log(`| ${f.latencyMs} ms | Tessera | ${t.ms.toFixed(0)} ms | ${t.afterRefs.toFixed(0)} ms after the references | ${mb(t.bytes)} MB | ${t.requests} |`);
  console.log(`| ${f.latencyMs} ms | OpenLayers | ${o.ms.toFixed(0)} ms | ${o.afterHeader.toFixed(0)} ms after the header | ${mb(o.bytes)} MB | ${o.requests} |`);
}
if (results.codec) {
  console.log('\n| COG | tiles | Deflate + predictor: ms per tile, size | LZW + predictor: ms per tile, size |');
  console.log('|---|---:|---:|---:|');
  for (const r of results.codec) {
    console.log(`| ${r.file} | ${r.tiles} | ${r.deflateMsPerTile.toFixed(3)} ms, ${mb(r.deflateBytes)} MB | ${r.lzwMsPerTile.toFixed(3)} ms, ${mb(r.lzwBytes)} MB |`);
  }
}
console.log('\n| zoom | Tessera requests (level) | OpenLayers requests |');
console.log('|---|---|---|');
for (const r of results.sweep) {
  console.log(`| ${r.zoom} | ${r.tessera.requests} (1:${12 * 2 ** r.tessera.level}) | ${r.openlayers.requests} |`);
}
