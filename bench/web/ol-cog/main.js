// The peer in the overviews benchmark: OpenLayers' GeoTIFF source (npm
// `ol`) drawing one COG in EPSG:4326, with the same view as Tessera's
// (centre and degrees per CSS pixel from the page URL: ?cog=URL&lat=&lon=&dpp=),
// in gray over DN 0-100, nodata transparent. Marks window.olPerf.complete
// at the first `rendercomplete` after the source is ready.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import TileLayer from 'ol/layer/WebGLTile.js';
import GeoTIFF from 'ol/source/GeoTIFF.js';

const q = new URLSearchParams(location.search);
window.olPerf = { start: performance.now() };
const source = new GeoTIFF({
  sources: [{ url: q.get('cog'), nodata: 0 }],
  normalize: false,
  interpolate: false,
  wrapX: false,
});
const layer = new TileLayer({
  source,
  style: {
    color: ['case', ['==', ['band', 2], 0], [0, 0, 0, 0],
      ['interpolate', ['linear'], ['band', 1], 0, [0, 0, 0, 1], 100, [255, 255, 255, 1]]],
  },
});
const map = new Map({ target: 'map', layers: [layer], controls: [], interactions: [] });
source.getView().then(() => {
  window.olPerf.ready = performance.now();
  map.setView(new View({
    projection: 'EPSG:4326',
    center: [Number(q.get('lon')), Number(q.get('lat'))],
    resolution: Number(q.get('dpp')),
    constrainResolution: false,
  }));
  map.once('rendercomplete', () => {
    window.olPerf.complete = performance.now();
  });
}).catch((e) => {
  window.olPerf.error = String(e);
});
