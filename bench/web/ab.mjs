// Two builds of the app side by side: alternating cold loads of the seed's
// view from the full-scale references (bench/out/web-site, made by
// scripts/bench-web.sh; the parquet store unless REFS names another file
// there, e.g. refs-full.json), in one browser, so that both see the same
// hour of this shared machine. Prints each build's median time from page
// load to the first complete mosaic and from the start of the references'
// download to their index, and every run. After each first mosaic the
// page decodes a COH and an AMP file of the view 10 times each with its
// own wasm (decodeTileForBench, as bench.mjs's (b)): each build's median
// decode time per tile, over all its pages (DECODE=0 skips this).
//
//   node bench/web/ab.mjs DIST_A DIST_B [RUNS] [REFS]   (default 8 runs each)
//
// VERBOSE=1 also prints each run's steps: when the references' download
// started, when the first decoder worker was ready, and how the JSON's
// pieces were read (tessera:refs-pieces).
//
// Build B with e.g. `trunk build --release --dist /tmp/dist-b`.
import path from 'node:path';
import { root, SETTLE_MS, serve, launch, openPage } from '../../tests/e2e/harness.mjs';

const [a, b, n, refsFile] = [process.argv[2], process.argv[3], Number(process.argv[4] || 8), process.argv[5] || 'refs-full.parq'];
if (!a || !b) {
  console.error('usage: node bench/web/ab.mjs DIST_A DIST_B [RUNS] [REFS]');
  process.exit(2);
}
const apps = [await serve(a), await serve(b)];
const data = await serve(path.join(root, 'bench/out/web-site'), { cors: '*' });
const browser = await launch();
const refs = `${data.url}/${refsFile}`;
const times = [[], []];
const indexed = [[], []];
const parse = [[], []];
const decodes = { COH: [[], []], AMP: [[], []] };
const TILES = `${data.url}/sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com/data/tiles`;
/** Times `n` decodes in a row of the file at `url` with the page's wasm. */
const decodeTimes = (page, url, uint16, n) =>
  page.evaluate(
    async ([url, uint16, n]) => {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const times = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        window.wasmBindings.decodeTileForBench(bytes, uint16);
        times.push(performance.now() - t);
      }
      return times;
    },
    [url, uint16, n],
  );
try {
  for (let i = 0; i < n; i++) {
    // A then B, then B then A: neither always goes first.
    for (const k of i % 2 ? [1, 0] : [0, 1]) {
      const page = await openPage(browser, `${apps[k].url}/?refs=${encodeURIComponent(refs)}`, { width: 1280, height: 800, settleMs: SETTLE_MS });
      await page.waitForFunction(() => window.tesseraPerf?.['tessera:first-view-complete'], null, { timeout: 180000, polling: 50 });
      const perf = await page.evaluate(() => window.tesseraPerf);
      times[k].push(Math.round(perf['tessera:first-view-complete'].time));
      indexed[k].push(Math.round(perf['tessera:refs-indexed'].time - perf['tessera:refs-start'].time));
      parse[k].push(Math.round(perf['tessera:refs-pieces']?.parseMs ?? 0));
      if (process.env.DECODE !== '0') {
        decodes.COH[k].push(...(await decodeTimes(page, `${TILES}/N35W117/N35W117_winter_vv_COH12.tif`, false, 10)));
        decodes.AMP[k].push(...(await decodeTimes(page, `${TILES}/N35W117/N35W117_winter_vv_AMP.tif`, true, 10)));
      }
      if (process.env.VERBOSE) {
        const at = (name) => Math.round(perf[`tessera:${name}`]?.time);
        console.log(k ? 'B' : 'A', JSON.stringify({ refsStart: at('refs-start'), decoderReady: at('decoder-ready'), ...perf['tessera:refs-pieces'] }));
      }
      await page.context().close();
    }
  }
} finally {
  await browser.close();
  await Promise.all([...apps, data].map((s) => s.close()));
}
const median = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
for (const [k, name] of [[0, `A ${a}`], [1, `B ${b}`]]) {
  console.log(`${name}: first mosaic median ${median(times[k])} ms`, JSON.stringify(times[k]));
  console.log(`${name}: references fetch to index median ${median(indexed[k])} ms`, JSON.stringify(indexed[k]));
  if (parse[k].some((ms) => ms > 0)) console.log(`${name}: JSON parse on the page median ${median(parse[k])} ms`, JSON.stringify(parse[k]));
  for (const [file, times] of Object.entries(decodes)) {
    if (times[k].length) console.log(`${name}: ${file} decode median ${median(times[k]).toFixed(2)} ms over ${times[k].length}`);
  }
}
