// Exporting the seed's selection (COH winter vv 12 d, 36 to 32.5 N, 121 to
// 115 W: 7200 × 4200 native pixels, 22 files on the demo) as a GeoTIFF
// (issue 24), side by side in the same run and alternated:
//
//   node bench/web/export.mjs --demo DIR [--runs N] [--out FILE]
//
// (a) the web app, its files cached: the seed's view complete, then
//     GeoTIFF clicked; from the click to `<body data-export="done">`
//     (the download handed over), and the page's longest main-thread task
//     meanwhile;
// (b) the web app cold: a fresh page whose view is over the file budget
//     (nothing loaded), then GeoTIFF; the export fetches and decodes the
//     22 files itself;
// (c) `tessera export` (native, reading the files over HTTP), a fresh
//     process per run;
// (d) xarray in a warm Python process (fsspec + imagecodecs, as the seed
//     opens the references) reading the same array, and rasterio (GDAL)
//     writing it with the same layout (tiled 256, Deflate, predictor 2).
// Medians of the runs. Run it with scripts/bench-export.sh.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root, DIST, TESSERA, SETTLE_MS, serve, launch, openPage } from '../../tests/e2e/harness.mjs';
import { median } from './stats.mjs';

const { values: args } = parseArgs({
  options: {
    demo: { type: 'string', default: path.join(root, 'tests/out/e2e-demo') },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: path.join(root, 'bench/out/export_bench.json') },
  },
});
const runs = Number(args.runs);
const log = (...a) => console.error(...a);
const PYTHON = process.env.TESSERA_PYTHON || path.join(root, '.venv/bin/python');
const SEED = '36,32.5,-121,-115';
const LAYER = 'var=COH&season=winter&pol=vv&days=12';

const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

const app = await serve(DIST);
const data = await serve(args.demo, { cors: '*' });
const browser = await launch();
const refsUrl = `${data.url}/refs.json`;
const work = mkdtempSync(path.join(tmpdir(), 'tessera-bench-export-'));
// The CLI reads the same files over HTTP: references with absolute URLs.
const httpRefs = path.join(work, 'refs.json');
writeFileSync(httpRefs, readFileSync(path.join(args.demo, 'refs.json'), 'utf8').replaceAll('"data/tiles/', `"${data.url}/data/tiles/`));
const results = { date: new Date().toISOString(), runs, cached: [], cold: [], cli: [], xarray: [], longestTaskMs: [] };

/** Clicks GeoTIFF and times it to the end; the file's size and the longest task meanwhile. */
async function timeExport(page) {
  await page.evaluate(() => { window.__longTasks = []; });
  const t0 = Date.now();
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.click('#export-geotiff')]);
  await page.waitForFunction(() => document.body.dataset.export === 'done', null, { timeout: 120000, polling: 10 });
  const ms = Date.now() - t0;
  const file = path.join(work, 'page.tif');
  await download.saveAs(file);
  const longest = await page.evaluate(() => Math.max(0, ...window.__longTasks.map((t) => t.ms)));
  return { ms, bytes: statSync(file).size, longest, message: await page.textContent('#export-message') };
}

try {
  for (let run = 0; run < runs; run++) {
    // (a) cached: the seed's view loaded first.
    {
      const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(refsUrl)}&${LAYER}&area=${SEED}&budget=512`, { width: 1280, height: 800, init: LONG_TASKS, settleMs: SETTLE_MS });
      await page.waitForFunction(() => document.body.dataset.view === 'ready', null, { timeout: 120000 });
      const r = await timeExport(page);
      results.cached.push(r.ms);
      results.longestTaskMs.push(r.longest);
      results.bytes = r.bytes;
      log('cached', run + 1, JSON.stringify(r));
      await page.context().close();
    }
    // (b) cold: a view over the budget, no overviews: nothing loaded.
    {
      const page = await openPage(browser, `${app.url}/?refs=${encodeURIComponent(refsUrl)}&${LAYER}&area=${SEED}&budget=1&overviews=none`, { width: 1280, height: 800, init: LONG_TASKS, settleMs: SETTLE_MS });
      await page.waitForFunction(() => document.body.dataset.view === 'budget', null, { timeout: 120000 });
      await page.waitForFunction(() => !document.querySelector('#export-geotiff').disabled, null, { timeout: 30000 });
      const r = await timeExport(page);
      results.cold.push(r.ms);
      results.longestTaskMs.push(r.longest);
      log('cold', run + 1, JSON.stringify(r));
      await page.context().close();
    }
    // (c) the CLI over HTTP: references rewritten to absolute URLs.
    {
      const out = path.join(work, 'cli.tif');
      const t0 = process.hrtime.bigint();
      execFileSync(TESSERA, ['export', httpRefs, '--view', `${LAYER}&area=${SEED}`, '-o', out, '-q']);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      results.cli.push(ms);
      log('cli', run + 1, ms.toFixed(0), 'ms');
    }
  }
  // (d) xarray + rasterio, warm process, the same runs.
  const py = JSON.parse(execFileSync(PYTHON, [path.join(root, 'bench/web/export_xarray.py'), refsUrl, SEED, String(runs), path.join(work, 'xarray.tif')], {
    env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
  }).toString());
  results.xarray = py.read_s.map((r, i) => (r + py.write_s[i]) * 1000);
  results.xarrayRead = py.read_s.map((r) => r * 1000);
  results.xarrayWrite = py.write_s.map((w) => w * 1000);
  results.xarrayOpen = py.open_s * 1000;
  log('xarray', JSON.stringify(py));
} finally {
  await browser.close();
  await app.close();
  await data.close();
}

mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(results, null, 2));
const rows = [
  '| Export of the seed\'s selection (7200 × 4200 uint8, 22 files) | median | runs |',
  '|---|---|---|',
  `| web app, files cached (click → download) | ${median(results.cached).toFixed(0)} ms | ${results.cached.map((x) => x.toFixed(0)).join(', ')} |`,
  `| web app, cold (fetches and decodes the files) | ${median(results.cold).toFixed(0)} ms | ${results.cold.map((x) => x.toFixed(0)).join(', ')} |`,
  `| tessera export (native CLI, HTTP, new process) | ${median(results.cli).toFixed(0)} ms | ${results.cli.map((x) => x.toFixed(0)).join(', ')} |`,
  `| xarray read + rasterio write (warm process) | ${median(results.xarray).toFixed(0)} ms | read ${median(results.xarrayRead).toFixed(0)} + write ${median(results.xarrayWrite).toFixed(0)} ms; open ${results.xarrayOpen.toFixed(0)} ms once |`,
  `| longest main-thread task during the page's exports | ${Math.max(...results.longestTaskMs).toFixed(0)} ms (max) | median ${median(results.longestTaskMs).toFixed(0)} ms |`,
  `| GeoTIFF size | ${(results.bytes / 1e6).toFixed(1)} MB | |`,
];
console.log(rows.join('\n'));
