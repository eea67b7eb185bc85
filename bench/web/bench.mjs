// The web app's benchmark (issue 5): headless Chromium, the release build
// and a full-scale synthetic reference file served by `tessera serve` on
// 127.0.0.1, each figure a median of several runs beside the reference
// tool's in the same run. Run it with scripts/bench-web.sh.
//
//   node bench/web/bench.mjs --data DIR --refs NAME [--runs N] [--out FILE]
//                            [--parquet NAME] [--gzip NAME]
//                            [--parts refs,gzip,parquet,decode,pan,session,pixel]
//
// DIR holds NAME, full-scale references with relative chunk URLs, and the
// demo's files where they point (see scripts/bench-web.sh): the seed's
// selection and its surroundings exist, the rest of the million files 404.

import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root, DIST, SETTLE_MS, serve, launch, openPage, recordingServer } from '../../tests/e2e/harness.mjs';
import { median, quantile } from './stats.mjs';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    refs: { type: 'string', default: 'refs-full.json' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: path.join(root, 'bench/out/web_bench.json') },
    parquet: { type: 'string', default: 'refs-full.parq' },
    // The same JSON gzipped, served as is (no Content-Encoding).
    gzip: { type: 'string', default: 'refs-full-as-is.json.gz' },
    parts: { type: 'string', default: 'refs,gzip,parquet,decode,pan,session,pixel' },
    // (f)'s network latency, added to every request (Chromium's emulation),
    // and the download rates tried: unlimited, then in Mbit/s.
    latency: { type: 'string', default: '50' },
    throughput: { type: 'string', default: '0,100' },
  },
});
const runs = Number(args.runs);
const parts = new Set(args.parts.split(','));
/** Where the site's chunk URLs point (see scripts/bench-web.sh). */
const TILES = 'sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com/data/tiles';
const mb = (bytes) => bytes / 1e6;
const log = (...a) => console.error(...a);

const app = await serve(DIST);
const data = await serve(args.data, { cors: '*' });
// Precise performance.memory for the JSON.parse comparison.
const browser = await launch(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
const refsUrl = `${data.url}/${args.refs}`;
const results = { date: new Date().toISOString(), runs, refs: args.refs, cores: (await import('node:os')).cpus().length };

/** Records the page's long main-thread tasks (over 50 ms) from the start. */
const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

/**
 * Opens the app cold on `refs` and waits for its first complete view: the
 * page, its perf marks with the view's files and long tasks, and `at(name)`
 * for one mark.
 */
async function coldLoad(refs) {
  const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(refs)}`, { width: 1280, height: 800, init: LONG_TASKS, settleMs: SETTLE_MS });
  await page.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
  const perf = await page.evaluate(() => ({ ...window.tesseraPerf, files: document.body.dataset.files, longTasks: window.__longTasks }));
  return { page, perf, at: (k) => perf[`tessera:${k}`] };
}

/**
 * When the app's `main` ran and how long after it the page was built
 * (`tessera:app-start`, `tessera:app-mounted`), and each long task as
 * [start, ms]: which tasks over 50 ms were the start and which the view.
 */
function startFigures(perf, at) {
  return {
    appStartMs: Math.round(at('app-start').time),
    mountMs: Math.round(at('app-mounted').time - at('app-start').time),
    longTasksAt: perf.longTasks.map((t) => [Math.round(t.start), Math.round(t.ms)]),
  };
}

try {
  // (a) fetch + parse + index of the full-scale references, and (c) cold
  // page load to the first complete mosaic of the seed's selection, with
  // the main thread's long tasks while it loads.
  if (parts.has('refs')) {
    const ours = [];
    for (let i = 0; i < runs; i++) {
      const { page, perf, at } = await coldLoad(refsUrl);
      const run = {
        fetchMs: at('refs-fetched').time - at('refs-start').time,
        indexMs: at('refs-indexed').time - at('refs-fetched').time,
        fetchToIndexMs: at('refs-indexed').time - at('refs-start').time,
        pieces: at('refs-pieces')?.pieces,
        parseMs: at('refs-pieces')?.parseMs,
        wasmMBAfterIndex: mb(at('refs-indexed').wasmBytes),
        firstMosaicMs: at('first-view-complete').time,
        wasmMBAfterMosaic: mb(at('first-view-complete').wasmBytes),
        files: perf.files,
        // Long tasks after the references are indexed: loading the view.
        longestViewTaskMs: Math.max(0, ...perf.longTasks.filter((t) => t.start >= at('refs-indexed').time).map((t) => t.ms)),
        longestTaskMs: Math.max(0, ...perf.longTasks.map((t) => t.ms)),
        longTasks: perf.longTasks.length,
        ...startFigures(perf, at),
      };
      log('tessera run', i + 1, JSON.stringify(run));
      ours.push(run);
      await page.context().close();
    }
    const js = [];
    for (let i = 0; i < runs; i++) {
      // The app's origin, fetching across origins as the app does.
      const page = await openPage(browser, `${app.url}/www/world-atlas-LICENSE.txt`, { settleMs: SETTLE_MS });
      const run = await page.evaluate(async (url) => {
        gc();
        const heap0 = performance.memory.usedJSHeapSize;
        const t0 = performance.now();
        const text = await (await fetch(url)).text();
        const t1 = performance.now();
        const doc = JSON.parse(text);
        const t2 = performance.now();
        const keys = Object.keys(doc.refs ?? doc).length;
        const heap = performance.memory.usedJSHeapSize - heap0;
        return { fetchMs: t1 - t0, parseMs: t2 - t1, fetchToIndexMs: t2 - t0, heapMB: heap / 1e6, keys };
      }, refsUrl);
      log('JSON.parse run', i + 1, JSON.stringify(run));
      js.push(run);
      await page.context().close();
    }
    results.references = {
      tessera: {
        fetchMs: median(ours.map((r) => r.fetchMs)),
        indexMs: median(ours.map((r) => r.indexMs)),
        fetchToIndexMs: median(ours.map((r) => r.fetchToIndexMs)),
        wasmMB: median(ours.map((r) => r.wasmMBAfterIndex)),
      },
      jsonParse: {
        fetchMs: median(js.map((r) => r.fetchMs)),
        parseMs: median(js.map((r) => r.parseMs)),
        fetchToIndexMs: median(js.map((r) => r.fetchToIndexMs)),
        heapMB: median(js.map((r) => r.heapMB)),
        keys: js[0].keys,
      },
    };
    results.firstMosaic = {
      tessera: {
        ms: median(ours.map((r) => r.firstMosaicMs)),
        wasmMB: median(ours.map((r) => r.wasmMBAfterMosaic)),
        files: ours[0].files,
        longestViewTaskMs: median(ours.map((r) => r.longestViewTaskMs)),
        longestTaskMs: median(ours.map((r) => r.longestTaskMs)),
      },
    };
  }

  // (a') the same references gzipped and served as is (a static host
  // without Content-Encoding): a decoder worker decompresses them.
  if (parts.has('gzip')) {
    const ours = [];
    for (let i = 0; i < runs; i++) {
      const { page, perf, at } = await coldLoad(`${data.url}/${args.gzip}`);
      const pieces = at('refs-pieces') ?? {};
      const run = {
        fetchToIndexMs: at('refs-indexed').time - at('refs-start').time,
        parseMs: pieces.parseMs,
        workerInflateMs: pieces.workerInflateMs,
        inWorker: pieces.inWorker,
        wasmMBAfterIndex: mb(at('refs-indexed').wasmBytes),
        firstMosaicMs: at('first-view-complete').time,
        files: perf.files,
      };
      log('gzip run', i + 1, JSON.stringify(run));
      ours.push(run);
      await page.context().close();
    }
    results.gzip = {
      file: args.gzip,
      fetchToIndexMs: median(ours.map((r) => r.fetchToIndexMs)),
      parseMs: median(ours.map((r) => r.parseMs)),
      workerInflateMs: median(ours.map((r) => r.workerInflateMs)),
      wasmMB: median(ours.map((r) => r.wasmMBAfterIndex)),
      firstMosaicMs: median(ours.map((r) => r.firstMosaicMs)),
      files: ours[0].files,
    };
  }

  // (c') the same cold load from the same references as a parquet store:
  // .zmetadata, then only the record files the view needs.
  if (parts.has('parquet')) {
    const store = `${data.url}/${args.parquet}`;
    const ours = [];
    for (let i = 0; i < runs; i++) {
      const { page, perf, at } = await coldLoad(store);
      const run = {
        zmetadataMs: at('refs-indexed').time - at('refs-start').time,
        firstMosaicMs: at('first-view-complete').time,
        referenceFiles: at('first-view-references').files,
        referenceKB: at('first-view-references').bytes / 1e3,
        wasmMBAfterMosaic: mb(at('first-view-complete').wasmBytes),
        files: perf.files,
        longestTaskMs: Math.max(0, ...perf.longTasks.map((t) => t.ms)),
        ...startFigures(perf, at),
      };
      log('parquet run', i + 1, JSON.stringify(run));
      ours.push(run);
      await page.context().close();
    }
    results.parquet = {
      zmetadataMs: median(ours.map((r) => r.zmetadataMs)),
      firstMosaicMs: median(ours.map((r) => r.firstMosaicMs)),
      firstMosaicMsMin: Math.min(...ours.map((r) => r.firstMosaicMs)),
      firstMosaicMsMax: Math.max(...ours.map((r) => r.firstMosaicMs)),
      referenceFiles: median(ours.map((r) => r.referenceFiles)),
      referenceKB: median(ours.map((r) => r.referenceKB)),
      wasmMB: median(ours.map((r) => r.wasmMBAfterMosaic)),
      longestTaskMs: median(ours.map((r) => r.longestTaskMs)),
      files: ours[0].files,
    };
  }

  // (b) per-tile decode: our wasm decoder and geotiff.js in the same page,
  // on real-layout files (LZW, 6-row strips) of a uint8 and a uint16 variable.
  if (parts.has('decode')) {
    const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(refsUrl)}`, { settleMs: SETTLE_MS });
    await page.waitForFunction(() => window.wasmBindings?.decodeTileForBench, null, { timeout: 60000 });
    // Not while the app still loads its view in the same two cores.
    await page.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
    await page.addScriptTag({ path: path.join(root, 'node_modules/geotiff/dist-browser/geotiff.js') });
    results.decode = {};
    // Decodes per file and tool: enough for a median on a noisy machine.
    const decodeRuns = Math.max(runs * 4, 10);
    for (const [name, file, uint16] of [
      ['COH (uint8)', 'N35W117/N35W117_winter_vv_COH12.tif', false],
      ['AMP (uint16)', 'N35W117/N35W117_winter_vv_AMP.tif', true],
    ]) {
      const r = await page.evaluate(
        async ([url, uint16, n]) => {
          const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
          const ours = [];
          const theirs = [];
          // Each tool decodes the file n times in a row, as a decoder
          // worker decodes tile after tile. Interleaved, each of our
          // decodes came right after one of geotiff.js's (its garbage for
          // the collector, on these two cores; caches filled with its
          // data): AMP 8.3 ms then against 7.8 ms in a row, geotiff.js
          // 226.6 against 221.7 ms (2026-12-01, 3 + 3 pages).
          for (let i = 0; i < n; i++) {
            const t = performance.now();
            const pixels = window.wasmBindings.decodeTileForBench(bytes, uint16);
            ours.push(performance.now() - t);
            if (pixels !== 1440000) throw new Error(`decoded ${pixels} pixels`);
          }
          for (let i = 0; i < n; i++) {
            const t = performance.now();
            const tiff = await GeoTIFF.fromArrayBuffer(bytes.slice().buffer);
            const image = await tiff.getImage();
            const [band] = await image.readRasters();
            theirs.push(performance.now() - t);
            if (band.length !== 1440000) throw new Error(`geotiff.js decoded ${band.length} pixels`);
          }
          return { bytes: bytes.length, ours, theirs };
        },
        [`${data.url}/${TILES}/${file}`, uint16, decodeRuns],
      );
      // Native libtiff on the same file, right after (the machine's load
      // moves between minutes, so the figures are taken side by side).
      const native = JSON.parse(execFileSync(
        path.join(root, '.venv/bin/python'),
        [path.join(root, 'bench/libtiff_decode.py'), path.join(args.data, TILES, file), String(decodeRuns)],
        { encoding: 'utf8' },
      ));
      if (native.pixels !== 1440000) throw new Error(`libtiff decoded ${native.pixels} pixels`);
      results.decode[name] = {
        fileMB: mb(r.bytes),
        tesseraMs: median(r.ours),
        geotiffJsMs: median(r.theirs),
        libtiffNativeMs: native.medianMs,
      };
      log('decode', name, JSON.stringify(results.decode[name]));
    }
    await page.context().close();
  }

  // (d) frame times while panning over cached tiles: drag the finished
  // seed view back and forth and time animation frames in the page.
  if (parts.has('pan')) {
    const frames = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const p = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(refsUrl)}`, { width: 1280, height: 800 });
      await p.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
      const box = await p.locator('#map-wrap').boundingBox();
      await p.evaluate(() => {
        window.__frames = [];
        const tick = (t) => {
          window.__frames.push(t);
          if (window.__frames.length < 100000) window.__rafId = requestAnimationFrame(tick);
        };
        window.__rafId = requestAnimationFrame(tick);
      });
      const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
      await p.mouse.move(cx, cy);
      await p.mouse.down();
      for (let k = 0; k < 4; k++) {
        await p.mouse.move(cx + 150, cy + 60, { steps: 30 });
        await p.mouse.move(cx - 150, cy - 60, { steps: 30 });
      }
      await p.mouse.up();
      const t = await p.evaluate(() => {
        cancelAnimationFrame(window.__rafId);
        return window.__frames;
      });
      for (let k = 1; k < t.length; k++) frames.push(t[k] - t[k - 1]);
      await p.context().close();
    }
    results.panning = { frames: frames.length, medianMs: median(frames), p95Ms: quantile(frames, 0.95), maxMs: Math.max(...frames) };
    log('panning', JSON.stringify(results.panning));
  }
  // (e) a long session: 200 views, panning with the arrow keys and
  // switching repeat interval and season as a user flicking through them
  // would (a view every 150 ms, so many requests are cancelled), sampling
  // the cache and the wasm memory after each.
  if (parts.has('session')) {
    const p = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(refsUrl)}`, { width: 1280, height: 800 });
    await p.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
    await p.focus('#map-wrap');
    const keys = ['ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowLeft', 'ArrowUp'];
    const intervals = ['6', '12', '18', '24', '36', '48'];
    const seasons = ['winter', 'spring', 'summer', 'fall'];
    const samples = [];
    const session = () => p.evaluate(() => ({ ...window.tesseraPerf['tessera:session'] }));
    for (let view = 1; view <= 200; view++) {
      if (view % 25 === 0) await p.selectOption('#season', seasons[(view / 25) % seasons.length]);
      else if (view % 5 === 0) await p.selectOption('#interval', intervals[(view / 5) % intervals.length]);
      else await p.keyboard.press(keys[view % keys.length]);
      await p.focus('#map-wrap');
      await new Promise((r) => setTimeout(r, 150));
      samples.push(await session());
    }
    await p.waitForFunction(() => {
      const s = window.tesseraPerf['tessera:session'];
      return s && s.loaded + s.failed >= s.total;
    }, null, { timeout: 120000, polling: 100 });
    const last = await session();
    samples.push(last);
    const max = (k) => Math.max(...samples.map((x) => x[k]));
    results.session = {
      views: 200,
      requests: last.requests,
      cancelled: last.cancelled,
      decoded: last.decoded,
      maxCacheMB: mb(max('cacheBytes')),
      cacheBudgetMB: mb(last.cacheBudget),
      maxWasmMB: mb(max('wasmBytes')),
      finalWasmMB: mb(last.wasmBytes),
      workerMsPerTile: last.workerMs / Math.max(1, last.decoded),
    };
    log('session', JSON.stringify(results.session));
    await p.context().close();
  }
  // (f) the pixel inspector: pin the seed's pixel (N36W121, row 100,
  // column 100) in the complete seed view, with Chromium adding `latency`
  // ms to every request (the page's emulation covers its workers' too),
  // until the card has all its files: its rows read by Range requests,
  // against the same card from a server that ignores Range (so whole
  // files), in the same run, alternated. Bytes are counted at the server.
  if (parts.has('pixel')) {
    const latency = Number(args.latency);
    results.pixel = { latencyMs: latency, rates: [] };
    for (const mbits of args.throughput.split(',').map(Number)) {
      const modes = { ranges: [], wholeFiles: [] };
      for (let i = 0; i < runs; i++) {
        for (const mode of i % 2 ? ['wholeFiles', 'ranges'] : ['ranges', 'wholeFiles']) {
          const server = await recordingServer(path.join(root, 'demo'), { ignoreRange: mode === 'wholeFiles' });
          try {
            const lat = 82 - (55300 + 0.5) / 1200;
            const lon = -180 + (70900 + 0.5) / 1200;
            const p = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(`${server.url}/refs.json`)}&lat=${lat}&lon=${lon}&zoom=7.3`, { width: 1280, height: 800, settleMs: SETTLE_MS });
            await p.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
            // The map's view and its prefetch done: only the pin is measured.
            await new Promise((r) => setTimeout(r, 1500));
            const cdp = await p.context().newCDPSession(p);
            await cdp.send('Network.enable');
            const rate = mbits > 0 ? (mbits * 1e6) / 8 : -1;
            await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: rate, uploadThroughput: rate });
            const before = { bytes: server.bytes, requests: server.requests.length, preflights: server.preflights };
            await p.focus('#map-wrap');
            await p.keyboard.press('Enter');
            await p.waitForFunction(() => window.tesseraPerf?.['tessera:pixel-card'], null, { timeout: 180000, polling: 20 });
            const perf = await p.evaluate(() => ({ pinned: { ...window.tesseraPerf['tessera:pixel-pinned'] }, card: { ...window.tesseraPerf['tessera:pixel-card'] } }));
            const run = {
              ms: perf.card.completeAt - perf.pinned.at,
              files: perf.card.files,
              bytes: server.bytes - before.bytes,
              requests: server.requests.length - before.requests,
              preflights: server.preflights - before.preflights,
            };
            log('pixel', mbits || 'unlimited', mode, i + 1, JSON.stringify(run));
            modes[mode].push(run);
            await p.context().close();
          } finally {
            await server.close();
          }
        }
      }
      const summary = (xs) => ({
        ms: median(xs.map((x) => x.ms)),
        msMin: Math.min(...xs.map((x) => x.ms)),
        msMax: Math.max(...xs.map((x) => x.ms)),
        bytes: median(xs.map((x) => x.bytes)),
        requests: median(xs.map((x) => x.requests)),
        preflights: median(xs.map((x) => x.preflights)),
        files: xs[0].files,
      });
      results.pixel.rates.push({ mbits, ranges: summary(modes.ranges), wholeFiles: summary(modes.wholeFiles) });
    }
    log('pixel', JSON.stringify(results.pixel));
  }
} finally {
  await browser.close();
  await Promise.all([app.close(), data.close()]);
}

writeFileSync(args.out, JSON.stringify(results, null, 2));
const f = (x, d = 0) => x.toFixed(d);
const report = [`Medians of ${runs} runs, headless Chromium, ${results.cores} cores, ${results.date.slice(0, 10)}:`];
const r = results.references;
if (r) {
  report.push(`| (a) full-scale references (${r.jsonParse.keys.toLocaleString('en')} keys) | fetch | parse/index | fetch to index | memory |
|---|---:|---:|---:|---:|
| Tessera (wasm, compact index) | ${f(r.tessera.fetchMs)} ms | ${f(r.tessera.indexMs)} ms | ${f(r.tessera.fetchToIndexMs)} ms | ${f(r.tessera.wasmMB)} MB wasm memory |
| JSON.parse in the same browser | ${f(r.jsonParse.fetchMs)} ms | ${f(r.jsonParse.parseMs)} ms | ${f(r.jsonParse.fetchToIndexMs)} ms | ${f(r.jsonParse.heapMB)} MB JS heap |`);
  const m = results.firstMosaic.tessera;
  report.push(`(c) cold page load to the first complete mosaic of the seed's selection
(full-scale references, ${m.files} files): ${f(m.ms)} ms; wasm memory then ${f(m.wasmMB)} MB.
Longest main-thread task: ${f(m.longestTaskMs)} ms; after the references were indexed: ${f(m.longestViewTaskMs)} ms.`);
}
if (results.gzip) {
  const g = results.gzip;
  report.push(`(a') the same references gzipped, served as is (${g.file}): fetch to index ${f(g.fetchToIndexMs)} ms (decompressed in a decoder worker in ${f(g.workerInflateMs)} ms while the page parsed for ${f(g.parseMs)} ms); ${f(g.wasmMB)} MB wasm memory; first complete mosaic ${f(g.firstMosaicMs)} ms (${g.files} files).`);
}
if (results.parquet) {
  const q = results.parquet;
  const json = results.firstMosaic ? ` (from the JSON: ${f(results.firstMosaic.tessera.ms)} ms)` : '';
  report.push(`(c') the same cold load from the same references as a parquet store (${q.files} files): ${f(q.firstMosaicMs)} ms${json}, range ${f(q.firstMosaicMsMin)}–${f(q.firstMosaicMsMax)} ms;
${f(q.referenceFiles)} reference files (.zmetadata in ${f(q.zmetadataMs)} ms, then record files) of ${f(q.referenceKB)} KB; wasm memory ${f(q.wasmMB)} MB; longest main-thread task ${f(q.longestTaskMs)} ms.`);
}
if (results.decode) {
  report.push(`| (b) decode one real-layout tile (LZW, 6-row strips) | file | Tessera (wasm) | geotiff.js | libtiff (imagecodecs, native) |
|---|---:|---:|---:|---:|
${Object.entries(results.decode).map(([k, v]) => `| ${k} | ${f(v.fileMB, 2)} MB | ${f(v.tesseraMs, 1)} ms | ${f(v.geotiffJsMs, 1)} ms (${f(v.geotiffJsMs / v.tesseraMs, 1)}×) | ${f(v.libtiffNativeMs, 1)} ms |`).join('\n')}`);
}
if (results.panning) {
  const p = results.panning;
  report.push(`(d) panning over cached tiles: frame time median ${f(p.medianMs, 1)} ms, p95 ${f(p.p95Ms, 1)} ms, max ${f(p.maxMs, 1)} ms (${p.frames} frames).`);
}
if (results.session) {
  const x = results.session;
  report.push(`(e) a session of ${x.views} views (pans, interval and season changes every 150 ms): ${x.requests} requests, ${x.cancelled} cancelled, ${x.decoded} tiles decoded (${f(x.workerMsPerTile, 1)} ms each in a worker); cache at most ${f(x.maxCacheMB)} MB of its ${f(x.cacheBudgetMB)} MB budget; wasm memory at most ${f(x.maxWasmMB)} MB.`);
}
if (results.pixel) {
  const x = results.pixel;
  const row = (rate, name, m) => `| ${rate} | ${name} | ${f(m.ms)} ms (${f(m.msMin)}–${f(m.msMax)}) | ${f(m.bytes / 1e3)} KB | ${f(m.requests)} |`;
  const rows = x.rates.flatMap((r) => {
    const rate = r.mbits ? `${r.mbits} Mbit/s` : 'unlimited';
    return [row(rate, 'Tessera: each file\'s strip by Range requests', r.ranges), row(rate, 'whole files (a server that ignores Range)', r.wholeFiles)];
  });
  report.push(`| (f) pin a pixel of the seed's view until its card is complete (${x.rates[0].ranges.files} files, ${x.latencyMs} ms added to each request) | download rate | time | transferred | requests |
|---|---|---:|---:|---:|
${rows.map((r) => r.replace(/^\| ([^|]*) \| ([^|]*) \|/, '| $2 | $1 |')).join('\n')}`);
}
report.push(`Written to ${path.relative(root, args.out)}.`);
console.log(`\n${report.join('\n\n')}\n`);
