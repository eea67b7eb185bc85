// Two builds of the app side by side: alternating cold loads of the seed's
// view from the full-scale parquet references (bench/out/web-site, made by
// scripts/bench-web.sh), in one browser, so that both see the same hour of
// this shared machine. Prints each build's median time from page load to
// the first complete mosaic, and every run.
//
//   node bench/web/ab.mjs DIST_A DIST_B [RUNS]    (default 8 runs each)
//
// Build B with e.g. `trunk build --release --dist /tmp/dist-b`.
import path from 'node:path';
import { root, serve, launch, openPage } from '../../tests/e2e/harness.mjs';

const [a, b, n] = [process.argv[2], process.argv[3], Number(process.argv[4] || 8)];
if (!a || !b) {
  console.error('usage: node bench/web/ab.mjs DIST_A DIST_B [RUNS]');
  process.exit(2);
}
const apps = [await serve(a), await serve(b)];
const data = await serve(path.join(root, 'bench/out/web-site'), { cors: '*' });
const browser = await launch();
const refs = `${data.url}/refs-full.parq`;
const times = [[], []];
try {
  for (let i = 0; i < n; i++) {
    // A then B, then B then A: neither always goes first.
    for (const k of i % 2 ? [1, 0] : [0, 1]) {
      const page = await openPage(browser, `${apps[k].url}/?refs=${encodeURIComponent(refs)}`, { width: 1280, height: 800 });
      await page.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
      times[k].push(await page.evaluate(() => Math.round(window.tesseraPerf['tessera:first-view-complete'].time)));
      await page.context().close();
    }
  }
} finally {
  await browser.close();
  await Promise.all([...apps, data].map((s) => s.close()));
}
const median = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(`A ${a}: median ${median(times[0])} ms`, JSON.stringify(times[0]));
console.log(`B ${b}: median ${median(times[1])} ms`, JSON.stringify(times[1]));
