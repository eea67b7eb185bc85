// Derived maps, composites and the swipe against stored layers (issue 23),
// in headless Chromium on the demo's real-layout files served from
// 127.0.0.1, all in the same run and alternated:
//
//   node bench/web/derived.mjs --demo DIR [--runs N] [--out FILE]
//
// (a) cold: a fresh page on each map of the seed's selection, from opening
//     to its first complete view (`tessera:first-view-complete`), with the
//     files and bytes it read; maps in a rotated order every run.
// (b) warm: the finished view dragged back and forth over its cached
//     tiles: animation-frame intervals, and the painter's own time per
//     paint (`tessera:paints`).
// Medians of the runs. Run it with scripts/bench-derived.sh.

import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root, DIST, SETTLE_MS, serve, launch, openPage } from '../../tests/e2e/harness.mjs';
import { median, quantile } from './stats.mjs';

const { values: args } = parseArgs({
  options: {
    demo: { type: 'string', default: path.join(root, 'tests/out/e2e-demo') },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: path.join(root, 'bench/out/derived_bench.json') },
  },
});
const runs = Number(args.runs);
const log = (...a) => console.error(...a);

/** The maps compared, each the seed's selection fitted to the window. */
const MAPS = {
  'COH (stored)': 'var=COH&season=winter&pol=vv&days=12',
  'rho (stored)': 'var=rho&season=winter&pol=vv',
  'γ(24 d)': 'derive=gamma&t=24&season=winter&pol=vv',
  'σ LOS (24 d)': 'derive=sigma&t=24&season=winter&pol=vv',
  'COH summer − winter': 'var=COH&season=summer&pol=vv&days=12&derive=difference&minus=winter_vv_12',
  'rho seasonal range': 'var=rho&pol=vv&derive=range',
  'RGB composite': 'red=COH:winter_vv_12:0:1&green=COH:summer_vv_12:0:1&blue=AMP:winter_vv:-25:0',
  'swipe COH winter | summer': 'var=COH&season=winter&pol=vv&days=12&swipe=COH:summer_vv_12',
};
const names = Object.keys(MAPS);

const app = await serve(DIST);
const data = await serve(args.demo, { cors: '*' });
const browser = await launch();
const url = (q) => `${app.url}/?refs=${encodeURIComponent(`${data.url}/refs.json`)}&${q}&budget=512`;
const cold = Object.fromEntries(names.map((n) => [n, []]));
const warm = Object.fromEntries(names.map((n) => [n, { frames: [], paintMs: [] }]));
let filesOf = {};

try {
  for (let run = 0; run < runs; run++) {
    // Rotated: each map comes first once in a while.
    const order = names.map((_, i) => names[(i + run) % names.length]);
    for (const name of order) {
      const page = await openPage(browser, url(MAPS[name]), { width: 1280, height: 800, settleMs: SETTLE_MS });
      await page.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 120000, polling: 20 });
      const r = await page.evaluate(() => {
        const done = window.tesseraPerf['tessera:first-view-complete'].time;
        // Tiles are fetched in the workers: the app's own count.
        const bytes = window.tesseraPerf['tessera:session']?.bytesFetched ?? NaN;
        return { ms: done, files: document.body.dataset.files, bytes };
      });
      cold[name].push(r.ms);
      filesOf[name] = { files: r.files, mb: r.bytes / 1e6 };
      log('cold', run + 1, name, JSON.stringify(r));

      if (run < 3) {
        // Warm: drag the complete view back and forth.
        const box = await page.locator('#map-wrap').boundingBox();
        const before = await page.evaluate(() => ({ ...(window.tesseraPerf['tessera:paints'] || { count: 0, totalMs: 0 }) }));
        await page.evaluate(() => {
          window.__frames = [];
          const tick = (t) => {
            window.__frames.push(t);
            window.__rafId = requestAnimationFrame(tick);
          };
          window.__rafId = requestAnimationFrame(tick);
        });
        const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
        await page.mouse.move(cx, cy);
        await page.mouse.down();
        for (let k = 0; k < 3; k++) {
          await page.mouse.move(cx + 120, cy + 40, { steps: 25 });
          await page.mouse.move(cx - 120, cy - 40, { steps: 25 });
        }
        await page.mouse.up();
        const after = await page.evaluate(() => {
          cancelAnimationFrame(window.__rafId);
          return { frames: window.__frames, paints: window.tesseraPerf['tessera:paints'] };
        });
        for (let k = 1; k < after.frames.length; k++) warm[name].frames.push(after.frames[k] - after.frames[k - 1]);
        const n = after.paints.count - before.count;
        if (n > 0) warm[name].paintMs.push((after.paints.totalMs - before.totalMs) / n);
      }
      await page.context().close();
    }
  }
} finally {
  await browser.close();
  await app.close();
  await data.close();
}

const stored = median(cold['COH (stored)']);
const storedPaint = median(warm['COH (stored)'].paintMs);
const results = { date: new Date().toISOString(), runs, maps: {} };
const rows = ['| map | files | MB read | cold, median ms | × stored COH | paint per frame, median ms | × stored COH | frame interval median / p95 ms |', '|---|---|---|---|---|---|---|---|'];
for (const name of names) {
  const c = median(cold[name]);
  const p = median(warm[name].paintMs);
  const f = warm[name].frames;
  results.maps[name] = { query: MAPS[name], ...filesOf[name], coldMs: c, coldRuns: cold[name], paintMs: p, frameMedianMs: median(f), frameP95Ms: quantile(f, 0.95) };
  rows.push(`| ${name} | ${filesOf[name].files} | ${filesOf[name].mb.toFixed(1)} | ${c.toFixed(0)} | ${(c / stored).toFixed(2)} | ${p.toFixed(1)} | ${(p / storedPaint).toFixed(2)} | ${median(f).toFixed(1)} / ${quantile(f, 0.95).toFixed(1)} |`);
}
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(results, null, 2));
console.log(rows.join('\n'));
