// navigli app viewer: draws a published app (the JSON data block #navigli-app that the server
// writes into the page) with OpenLayers — MVT, WMS (all visible WMS layers of a run in one
// GetMap) and WFS layers, a layer tree with visibility and opacity, legends, identify, measure,
// geolocation, permalink and an embed snippet. Every request goes to the page's own origin
// (and an external basemap only when the operator chose one). Texts: Italian, or English.
import 'ol/ol.css';
import './viewer.css';
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ImageLayer from 'ol/layer/Image.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import MVT from 'ol/format/MVT.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import Draw from 'ol/interaction/Draw.js';
import { bbox as bboxStrategy } from 'ol/loadingstrategy.js';
import { Circle, Fill, Icon, RegularShape, Stroke, Style } from 'ol/style.js';
import { fromLonLat, toLonLat, transformExtent } from 'ol/proj.js';
import { getArea, getLength } from 'ol/sphere.js';
import { defaults as defaultControls, ScaleLine } from 'ol/control.js';
import { installRoof } from './roof.js';

const TEXTS = {
  it: {
    zoomIn: 'Ingrandisci', zoomOut: 'Riduci', attribution: 'Attribuzioni', opacity: 'Opacità di',
    legend: 'Legenda di', show: 'Mostra', noData: 'Nessun oggetto in questo punto.', loading: 'Ricerca in corso…',
    measureLine: 'Misura distanza', measureArea: 'Misura area', stop: 'Termina misura', locate: 'La mia posizione',
    share: 'Condividi', embed: 'Incorpora', identifyCentre: 'Informazioni al centro',
    copied: 'Collegamento copiato negli appunti.', copy: 'Copia', close: 'Chiudi', embedTitle: 'Codice da incorporare',
    shareTitle: 'Collegamento a questa vista', length: 'Lunghezza', area: 'Area', located: 'Posizione trovata (±{m} m).',
    noLocation: 'Posizione non disponibile.', failed: 'Il livello {l} non risponde.', unavailable: 'Livelli non disponibili: {l}.',
    panel: 'Livelli e informazioni', measureHint: 'Fai clic sulla mappa per aggiungere punti, doppio clic per finire.',
    search: 'Cerca un indirizzo o un luogo', searchPlaceholder: 'Via, numero civico, comune…', results: 'Risultati della ricerca',
    noResults: 'Nessun risultato per «{q}».', searchFailed: 'La ricerca non è disponibile.', found: '{n} risultati: usa le frecce per sceglierne uno.',
    kinds: { comune: 'Comune', strada: 'Strada', civico: 'Civico', servizio: 'Servizio' },
    print: 'Stampa', printTitle: 'Stampa la mappa (PDF)', paper: 'Formato', orientation: 'Orientamento', landscape: 'Orizzontale',
    portrait: 'Verticale', sheetTitle: 'Titolo del foglio', scaleField: 'Scala (vuoto: la vista attuale)', makePdf: 'Crea il PDF',
  },
  en: {
    zoomIn: 'Zoom in', zoomOut: 'Zoom out', attribution: 'Attributions', opacity: 'Opacity of',
    legend: 'Legend of', show: 'Show', noData: 'No object at this point.', loading: 'Searching…',
    measureLine: 'Measure distance', measureArea: 'Measure area', stop: 'Stop measuring', locate: 'My location',
    share: 'Share', embed: 'Embed', identifyCentre: 'Information at the centre',
    copied: 'Link copied to the clipboard.', copy: 'Copy', close: 'Close', embedTitle: 'Embed code',
    shareTitle: 'Link to this view', length: 'Length', area: 'Area', located: 'Location found (±{m} m).',
    noLocation: 'Location not available.', failed: 'Layer {l} does not answer.', unavailable: 'Layers not available: {l}.',
    panel: 'Layers and information', measureHint: 'Click the map to add points, double-click to finish.',
    search: 'Search for an address or a place', searchPlaceholder: 'Street, house number, comune…', results: 'Search results',
    noResults: 'No results for “{q}”.', searchFailed: 'Search is not available.', found: '{n} results: use the arrow keys to pick one.',
    kinds: { comune: 'Comune', strada: 'Street', civico: 'House number', servizio: 'Service' },
    print: 'Print', printTitle: 'Print the map (PDF)', paper: 'Paper', orientation: 'Orientation', landscape: 'Landscape',
    portrait: 'Portrait', sheetTitle: 'Sheet title', scaleField: 'Scale (empty: the current view)', makePdf: 'Make the PDF',
  },
};

const data = JSON.parse(document.getElementById('navigli-app').textContent);
const lang = data.app.lang === 'en' ? 'en' : 'it';
const T = TEXTS[lang];
const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
document.documentElement.style.setProperty('--primary', data.app.primary);

/** Element helper: tag, attributes, children (strings become text nodes: never HTML). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// --- notices (polite, for screen readers too) ---
const live = el('div', { class: 'notice-live', role: 'status', 'aria-live': 'polite' });
document.body.append(live);
let noticeTimer = 0;
function notice(text) {
  live.textContent = text;
  live.classList.add('shown');
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => live.classList.remove('shown'), 6000);
}

// --- state: app layers (bottom first), their visibility/opacity, possibly from the permalink ---
const layers = data.layers.map((l, i) => ({ ...l, index: i, olLayer: null }));
const byName = Object.fromEntries(layers.map((l) => [l.name, l]));
const hash = new URLSearchParams(location.hash.slice(1));
/** Other parts of the page (the roof panel) add their own keys to the permalink. */
const hashParts = [];
if (hash.has('layers')) {
  const on = new Set(hash.get('layers').split(',').filter(Boolean));
  for (const l of layers) l.visible = on.has(l.name);
}

// --- map ---
const extent = transformExtent(data.extent, 'EPSG:4326', 'EPSG:3857');
const view = new View({ projection: 'EPSG:3857', maxZoom: 21, minZoom: 6, constrainResolution: false });
const map = new Map({
  target: 'map',
  view,
  controls: defaultControls({
    zoomOptions: { zoomInTipLabel: T.zoomIn, zoomOutTipLabel: T.zoomOut },
    attributionOptions: { tipLabel: T.attribution, collapsible: true },
    rotate: false,
  }).extend([new ScaleLine()]),
  keyboardEventTarget: document.getElementById('map'),
});
if (hash.has('map')) {
  const [z, lon, lat] = hash.get('map').split('/').map(Number);
  if ([z, lon, lat].every(Number.isFinite)) view.setCenter(fromLonLat([lon, lat])), view.setZoom(z);
  else view.fit(extent);
} else {
  view.fit(extent, { size: map.getSize() || [800, 600] });
}
map.once('rendercomplete', () => {
  // When the first view is drawn (all its images, tiles and features loaded): tests and the
  // 30-layer benchmark read it.
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.setAttribute('data-ready', '1');
});

const attribution = [data.attribution];
// Basemap.
if (data.basemap.kind === 'navigli' && data.basemap.layers.length) {
  map.addLayer(new ImageLayer({
    zIndex: 0,
    source: new ImageWMS({
      url: data.endpoints.wms, ratio: 1,
      params: { LAYERS: data.basemap.layers.join(','), FORMAT: 'image/png', TRANSPARENT: true, VERSION: '1.3.0' },
      attributions: attribution,
    }),
    properties: { basemap: true },
  }));
} else if (data.basemap.kind === 'xyz') {
  map.addLayer(new TileLayer({ zIndex: 0, source: new XYZ({ url: data.basemap.url, attributions: [data.basemap.attribution] }) }));
}

function olStyle(paint, geometryType, zIndex) {
  const fill = paint.fill ? new Fill({ color: paint.fill }) : undefined;
  const stroke = paint.stroke && paint.width > 0
    ? new Stroke({ color: paint.stroke, width: paint.width, lineDash: paint.dash || undefined }) : undefined;
  if (/Point/.test(geometryType)) {
    return new Style({ image: pointImage(paint, fill || new Fill({ color: '#333' }), stroke), zIndex });
  }
  return new Style({ fill, stroke, zIndex });
}

// A point's symbol: the style's icon, or its mark.
function pointImage(paint, fill, stroke) {
  const radius = paint.radius;
  const rotation = ((paint.rotation || 0) * Math.PI) / 180;
  if (paint.icon) return new Icon({ src: paint.icon, height: 2 * radius, rotation });
  const shapes = {
    square: { points: 4, angle: Math.PI / 4 },
    triangle: { points: 3 },
    star: { points: 5, radius2: radius * 0.45 },
    cross: { points: 4, radius2: 0 },
    x: { points: 4, radius2: 0, angle: Math.PI / 4 },
  };
  const s = shapes[paint.shape];
  if (!s) return new Circle({ radius, fill, stroke });
  s.angle = (s.angle || 0) + rotation;
  // A cross or an x is all outline: drawn in the fill colour when it has no stroke.
  const lines = s.radius2 === 0 && !stroke ? new Stroke({ color: fill.getColor(), width: 2 }) : stroke;
  // (SLD sizes a square by its side, OpenLayers by its circumradius.)
  return new RegularShape({ ...s, radius: paint.shape === 'square' ? radius * Math.SQRT2 : radius, fill, stroke: lines });
}

// A rule filter of the layer's style (see apps::document::PaintRule) on a feature's properties.
function holds(e, p) {
  if (!e) return true;
  const [op, a, b] = e;
  if (op === 'all') return e.slice(1).every((x) => holds(x, p));
  if (op === 'any') return e.slice(1).some((x) => holds(x, p));
  if (op === '!') return !holds(a, p);
  const v = p[a];
  if (op === 'null') return v === undefined || v === null;
  if (v === undefined || v === null) return false;
  if (op === 'in') return b.some((w) => holds(['==', a, w], p));
  // As the WMS renderer compares: text with text; when either side is a number, both read as
  // numbers (no match when one is not a number).
  let [x, y] = [v, b];
  if (typeof v === 'number' || typeof b === 'number') {
    const num = (w) => { const s = String(w).trim(); return s === '' ? NaN : Number(s); };
    [x, y] = [num(v), num(b)];
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  } else {
    [x, y] = [String(v), String(b)];
  }
  switch (op) {
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
    default: return false;
  }
}

// The style of a vector layer: its SLD rules per feature and scale, as the WMS draws them
// (0.28 mm pixels; each feature type style a pass over the ones before; ElseFilter rules when
// no other rule of their pass applied), or its one paint when the rules cannot be evaluated.
function layerStyle(paint, geometryType) {
  if (!paint.rules || !paint.rules.length) return olStyle(paint, geometryType);
  // (A point symbolizer on lines or polygons — a marker at their centre on the WMS — is left
  // out here rather than painted over the whole shape.)
  const points = /Point/.test(geometryType);
  const rules = paint.rules.map((r) => ({
    ...r, styles: r.symbols.filter((s) => points || !s.shape).map((s, i) => olStyle(s, geometryType, r.pass * 100 + i)),
  }));
  const passes = [...new Set(rules.map((r) => r.pass))];
  // The rules in scale, per pass, depend on the resolution only: worked out once per resolution,
  // not once per feature.
  let seen = null;
  let byPass = [];
  return (feature, resolution) => {
    if (resolution !== seen) {
      const scale = resolution / 0.00028;
      const inScale = (r) => (r.min_scale == null || scale >= r.min_scale) && (r.max_scale == null || scale < r.max_scale);
      byPass = passes.map((pass) => {
        const live = rules.filter((r) => r.pass === pass && inScale(r));
        return { normal: live.filter((r) => !r.otherwise), otherwise: live.filter((r) => r.otherwise) };
      });
      seen = resolution;
    }
    const props = feature.getProperties();
    const out = [];
    for (const { normal, otherwise } of byPass) {
      const hit = normal.filter((r) => holds(r.filter, props));
      for (const r of hit.length ? hit : otherwise) out.push(...r.styles);
    }
    return out;
  };
}

function vectorLayer(l) {
  const style = layerStyle(l.paint, l.geometry_type);
  if (l.service === 'mvt') {
    return new VectorTileLayer({
      source: new VectorTileSource({
        format: new MVT(),
        url: data.endpoints.tiles.replace('{layer}', encodeURIComponent(l.name)),
        minZoom: l.min_zoom, maxZoom: Math.min(l.max_zoom, 20), attributions: attribution,
      }),
      style, minZoom: Math.max(l.min_zoom - 0.001, 0), className: `nv-layer nv-${l.name}`,
    });
  }
  const format = new GeoJSON({ dataProjection: 'EPSG:3857', featureProjection: 'EPSG:3857' });
  const source = new VectorSource({
    format, strategy: bboxStrategy, attributions: attribution,
    url: (ext) => `${data.endpoints.wfs}?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=${encodeURIComponent(l.name)}`
      + `&OUTPUTFORMAT=application/json&SRSNAME=EPSG:3857&COUNT=5000&BBOX=${ext.map((v) => v.toFixed(2)).join(',')},EPSG:3857`,
  });
  source.on('featuresloaderror', () => notice(fmt(T.failed, { l: l.title })));
  return new VectorLayer({ source, style, minZoom: Math.max(l.min_zoom - 0.001, 0), className: `nv-layer nv-${l.name}` });
}

for (const l of layers.filter((l) => l.service !== 'wms')) {
  l.olLayer = vectorLayer(l);
  l.olLayer.setZIndex(l.index + 1);
  l.olLayer.setVisible(l.visible);
  l.olLayer.setOpacity(l.opacity);
  map.addLayer(l.olLayer);
}

// WMS: consecutive visible WMS layers with the same opacity are drawn by one GetMap.
let wmsRuns = [];
function rebuildWms() {
  for (const run of wmsRuns) map.removeLayer(run.olLayer);
  wmsRuns = [];
  let run = null;
  for (const l of layers) {
    const joins = l.service === 'wms' && l.visible;
    if (!joins) {
      if (l.service !== 'wms') run = null;
      continue;
    }
    if (run && run.opacity === l.opacity) run.members.push(l);
    else wmsRuns.push((run = { opacity: l.opacity, members: [l], zIndex: l.index + 1 }));
  }
  for (const r of wmsRuns) {
    r.source = new ImageWMS({
      url: data.endpoints.wms, ratio: 1, attributions: attribution,
      params: {
        LAYERS: r.members.map((m) => m.name).join(','), STYLES: r.members.map((m) => m.style || '').join(','),
        FORMAT: 'image/png', TRANSPARENT: true, VERSION: '1.3.0',
      },
    });
    r.source.on('imageloaderror', () => notice(fmt(T.failed, { l: r.members.map((m) => m.title).join(', ') })));
    r.olLayer = new ImageLayer({ source: r.source, opacity: r.opacity, zIndex: r.zIndex, className: `nv-layer nv-wms-${r.members.map((m) => m.name).join('-')}` });
    map.addLayer(r.olLayer);
  }
}
rebuildWms();

// --- layer tree ---
const tools = new Set(data.tools);
function legendUrl(l) {
  const p = new URLSearchParams({ SERVICE: 'WMS', VERSION: '1.3.0', REQUEST: 'GetLegendGraphic', FORMAT: 'image/png', LAYER: l.name });
  if (l.style) p.set('STYLE', l.style);
  return `${data.endpoints.wms}?${p}`;
}
const list = document.getElementById('layer-list');
for (const l of [...layers].reverse()) {
  const id = `layer-${l.index}`;
  const box = el('input', { type: 'checkbox', id, checked: l.visible, onchange: (e) => setVisible(l, e.target.checked) });
  const range = el('input', {
    type: 'range', min: 0, max: 100, step: 5, value: Math.round(l.opacity * 100), 'aria-label': `${T.opacity} ${l.title}`,
    oninput: (e) => setOpacity(l, Number(e.target.value) / 100),
  });
  const legend = tools.has('legend')
    ? el('img', { class: 'legend', src: legendUrl(l), alt: `${T.legend} ${l.title}`, loading: 'lazy' })
    : null;
  list.append(el('li', { class: 'layer' }, el('label', { for: id }, box, el('span', {}, l.title)), range, legend));
}
function setVisible(l, on) {
  l.visible = on;
  if (l.olLayer) l.olLayer.setVisible(on);
  else rebuildWms();
  writeHash();
}
function setOpacity(l, v) {
  l.opacity = v;
  if (l.olLayer) l.olLayer.setOpacity(v);
  else rebuildWms();
}
if (data.warnings.length) notice(fmt(T.unavailable, { l: data.warnings.map((w) => w.layer).join(', ') }));

// --- identify ---
const info = document.getElementById('info-body');
const highlight = new VectorLayer({
  source: new VectorSource(), zIndex: 1000,
  style: new Style({ stroke: new Stroke({ color: '#ffd400', width: 4 }), image: new Circle({ radius: 8, stroke: new Stroke({ color: '#ffd400', width: 3 }) }) }),
});
map.addLayer(highlight);
let selected = hash.get('sel') || '';

function show(hits) {
  info.replaceChildren();
  if (!hits.length) {
    info.append(el('p', {}, T.noData));
    return;
  }
  for (const { layer, id, properties } of hits) {
    // Every allow-listed attribute, '—' for an empty one (vector tiles leave NULLs out): the
    // same rows whichever service the layer comes by.
    const rows = layer.attributes
      .map((a) => el('div', { class: 'row', 'data-name': a.name }, el('dt', {}, a.title), el('dd', {}, properties[a.name] == null ? '—' : String(properties[a.name]))));
    info.append(el('article', { class: 'hit', 'data-layer': layer.name, 'data-id': id ?? '' }, el('h3', {}, layer.title), el('dl', {}, rows)));
  }
}

function featureId(layer, raw) {
  if (raw == null) return null;
  const s = String(raw);
  return s.startsWith(`${layer.name}.`) ? s.slice(layer.name.length + 1) : s;
}

async function identify(pixel, coordinate) {
  const hits = [];
  highlight.getSource().clear();
  map.forEachFeatureAtPixel(pixel, (f, olLayer) => {
    const layer = layers.find((l) => l.olLayer === olLayer);
    if (layer && layer.queryable && !hits.some((h) => h.layer === layer)) {
      hits.push({ layer, id: featureId(layer, f.getId()), properties: f.getProperties() });
    }
  }, { hitTolerance: 4, layerFilter: (ol) => layers.some((l) => l.olLayer === ol && l.visible) });
  const queryable = wmsRuns.filter((r) => r.members.some((m) => m.queryable));
  if (queryable.length) info.replaceChildren(el('p', {}, T.loading));
  for (const r of queryable) {
    const url = r.source.getFeatureInfoUrl(coordinate, view.getResolution(), 'EPSG:3857', {
      INFO_FORMAT: 'application/json', FEATURE_COUNT: 5, QUERY_LAYERS: r.members.filter((m) => m.queryable).map((m) => m.name).join(','),
    });
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(String(res.status));
      for (const f of (await res.json()).features || []) {
        const layer = byName[f.layer];
        if (layer) hits.push({ layer, id: featureId(layer, f.id), properties: f.properties || {} });
      }
    } catch {
      notice(fmt(T.failed, { l: r.members.map((m) => m.title).join(', ') }));
    }
  }
  // Topmost layer first.
  hits.sort((a, b) => b.layer.index - a.layer.index);
  selected = hits.length && hits[0].id != null ? `${hits[0].layer.name}.${hits[0].id}` : '';
  writeHash();
  show(hits);
}

/** Shows (and outlines) the feature of a permalink, read by WFS. */
async function showSelected() {
  const dot = selected.lastIndexOf('.');
  const layer = byName[selected.slice(0, dot)];
  if (!layer || dot < 0) return;
  const p = new URLSearchParams({
    SERVICE: 'WFS', VERSION: '2.0.0', REQUEST: 'GetFeature', TYPENAMES: layer.name, RESOURCEID: selected,
    OUTPUTFORMAT: 'application/json', SRSNAME: 'EPSG:3857',
  });
  try {
    const res = await fetch(`${data.endpoints.wfs}?${p}`);
    const fc = await res.json();
    const features = new GeoJSON({ dataProjection: 'EPSG:3857' }).readFeatures(fc);
    highlight.getSource().addFeatures(features);
    show(features.map((f) => ({ layer, id: featureId(layer, f.getId()), properties: f.getProperties() })));
  } catch {
    notice(fmt(T.failed, { l: layer.title }));
  }
}
if (selected) showSelected();

let measuring = null;
// The roof panel: a click asks for the roof of the building there (instead of identify).
const roof = tools.has('roof')
  ? installRoof({ map, data, lang, el, notice, hash, hashParts, writeHash, panel: document.getElementById('panel') })
  : null;
if (roof && !tools.has('identify')) document.getElementById('info').hidden = true;
map.on('singleclick', (e) => {
  if (measuring) return;
  if (roof) roof.at(e.coordinate);
  else if (tools.has('identify')) identify(e.pixel, e.coordinate);
});

// --- permalink ---
function writeHash() {
  if (!tools.has('permalink') && !tools.has('roof')) return;
  const c = toLonLat(view.getCenter());
  const p = new URLSearchParams();
  p.set('map', `${view.getZoom().toFixed(2)}/${c[0].toFixed(6)}/${c[1].toFixed(6)}`);
  p.set('layers', layers.filter((l) => l.visible).map((l) => l.name).join(','));
  if (selected) p.set('sel', selected);
  for (const part of hashParts) part(p);
  history.replaceState(null, '', `${location.pathname}${location.search}#${p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/')}`);
}
map.on('moveend', writeHash);

// --- tools ---
const bar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Strumenti' });
document.getElementById('map').after(bar);
const button = (label, onclick, extra = {}) => el('button', { type: 'button', class: 'tool', onclick, ...extra }, label);

if (tools.has('identify')) {
  bar.append(button(T.identifyCentre, () => identify(map.getPixelFromCoordinate(view.getCenter()), view.getCenter())));
}
if (tools.has('measure')) {
  const out = el('p', { class: 'measure', 'aria-live': 'polite' });
  const drawn = new VectorSource();
  map.addLayer(new VectorLayer({ source: drawn, zIndex: 1001, style: new Style({ stroke: new Stroke({ color: '#c00', width: 2, lineDash: [6, 4] }), fill: new Fill({ color: 'rgba(200,0,0,0.1)' }) }) }));
  const stop = () => {
    if (measuring) map.removeInteraction(measuring);
    measuring = null;
    for (const b of bar.querySelectorAll('[data-measure]')) b.setAttribute('aria-pressed', 'false');
  };
  const start = (type, b) => {
    const again = measuring && measuring.get('kind') === type;
    stop();
    if (again) return;
    drawn.clear();
    measuring = new Draw({ source: drawn, type });
    measuring.set('kind', type);
    b.setAttribute('aria-pressed', 'true');
    out.textContent = T.measureHint;
    measuring.on('drawend', (e) => {
      const g = e.feature.getGeometry();
      out.textContent = type === 'LineString'
        ? `${T.length}: ${formatLength(getLength(g, { projection: 'EPSG:3857' }))}`
        : `${T.area}: ${formatArea(getArea(g, { projection: 'EPSG:3857' }))}`;
      drawn.clear();
      drawn.addFeature(e.feature);
      stop();
    });
    map.addInteraction(measuring);
  };
  const line = button(T.measureLine, () => start('LineString', line), { 'aria-pressed': 'false', 'data-measure': 'line' });
  const area = button(T.measureArea, () => start('Polygon', area), { 'aria-pressed': 'false', 'data-measure': 'area' });
  bar.append(line, area);
  document.getElementById('info').append(out);
  document.addEventListener('keydown', (e) => e.key === 'Escape' && stop());
}
function formatLength(m) {
  return m >= 1000 ? `${(m / 1000).toLocaleString(lang, { maximumFractionDigits: 2 })} km` : `${m.toLocaleString(lang, { maximumFractionDigits: 1 })} m`;
}
function formatArea(m2) {
  return m2 >= 1e6 ? `${(m2 / 1e6).toLocaleString(lang, { maximumFractionDigits: 3 })} km²` : `${m2.toLocaleString(lang, { maximumFractionDigits: 0 })} m²`;
}
if (tools.has('geolocate') && 'geolocation' in navigator) {
  const here = new VectorSource();
  map.addLayer(new VectorLayer({ source: here, zIndex: 1002, style: new Style({ image: new Circle({ radius: 7, fill: new Fill({ color: '#1565c0' }), stroke: new Stroke({ color: '#fff', width: 2 }) }) }) }));
  bar.append(button(T.locate, () => navigator.geolocation.getCurrentPosition(
    (pos) => {
      const c = fromLonLat([pos.coords.longitude, pos.coords.latitude]);
      here.clear();
      here.addFeature(new Feature(new Point(c)));
      view.animate({ center: c, zoom: Math.max(view.getZoom(), 17) });
      notice(fmt(T.located, { m: Math.round(pos.coords.accuracy) }));
      document.dispatchEvent(new CustomEvent('navigli:place', { detail: { coordinate: c, kind: 'position' } }));
    },
    () => notice(T.noLocation),
    { enableHighAccuracy: true, timeout: 10000 },
  )));
}
function dialog(title, text) {
  const area = el('textarea', { readonly: true, rows: 4, 'aria-label': title }, text);
  const d = el('dialog', { class: 'dialog', 'aria-label': title },
    el('h2', {}, title), area,
    el('div', { class: 'actions' },
      button(T.copy, async () => { area.select(); try { await navigator.clipboard.writeText(text); notice(T.copied); } catch { /* selected for copying by hand */ } }),
      button(T.close, () => d.close())));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  area.focus();
  area.select();
}
if (tools.has('permalink')) bar.append(button(T.share, () => { writeHash(); dialog(T.shareTitle, location.href); }));
if (tools.has('print')) {
  // The sheet is made by the server (GET …/print): the current view and visible layers.
  const printUrl = (form) => {
    const f = form.elements;
    const q = new URLSearchParams({
      bbox: view.calculateExtent(map.getSize()).map((v) => v.toFixed(1)).join(','),
      layers: layers.filter((l) => l.visible).map((l) => l.name).join(','),
      paper: f.paper.value, orientation: f.orientation.value, lang,
    });
    if (f['sheet-title'].value.trim()) q.set('title', f['sheet-title'].value.trim());
    if (f['sheet-scale'].value.trim()) q.set('scale', f['sheet-scale'].value.trim());
    return `${location.pathname.replace(/\/$/, '')}/print?${q}`;
  };
  const choice = (name, legend, options) => el('fieldset', { class: 'choice' }, el('legend', {}, legend),
    ...options.map(([value, label], i) => el('label', { class: 'inline' },
      el('input', { type: 'radio', name, value, checked: i === 0 }), label)));
  bar.append(button(T.print, () => {
    const form = el('form', { class: 'print-form', method: 'dialog' },
      choice('paper', T.paper, [['a4', 'A4'], ['a3', 'A3']]),
      choice('orientation', T.orientation, [['landscape', T.landscape], ['portrait', T.portrait]]),
      el('label', { for: 'print-title' }, T.sheetTitle),
      el('input', { id: 'print-title', name: 'sheet-title', maxlength: 120, value: data.app.title }),
      el('label', { for: 'print-scale' }, T.scaleField),
      el('input', { id: 'print-scale', name: 'sheet-scale', inputmode: 'numeric', placeholder: '1:5000', maxlength: 12 }));
    const link = el('a', { class: 'tool primary', href: '#', target: '_blank', rel: 'noopener' }, T.makePdf);
    link.addEventListener('click', () => { link.href = printUrl(form); setTimeout(() => d.close(), 0); });
    const d = el('dialog', { class: 'dialog', 'aria-label': T.printTitle },
      el('h2', {}, T.printTitle), form, el('div', { class: 'actions' }, link, button(T.close, () => d.close())));
    d.addEventListener('close', () => d.remove());
    document.body.append(d);
    d.showModal();
    form.querySelector('input').focus();
  }));
}
if (tools.has('embed')) {
  const src = `${location.origin}${location.pathname}`;
  const code = `<iframe src="${src}" title="${data.app.title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}" width="800" height="600" style="border:0"></iframe>`;
  bar.append(button(T.embed, () => dialog(T.embedTitle, code)));
}

// --- search: a combobox in the header (WAI-ARIA 1.2 pattern), results from /{tenant}/search ---
if (tools.has('search')) {
  const input = el('input', {
    type: 'search', id: 'search-q', class: 'search-input', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': 'search-results', autocomplete: 'off', spellcheck: 'false', placeholder: T.searchPlaceholder, maxlength: 200,
  });
  const listbox = el('ul', { id: 'search-results', role: 'listbox', class: 'search-results', 'aria-label': T.results, hidden: true });
  const found = new VectorSource();
  map.addLayer(new VectorLayer({
    source: found, zIndex: 1003,
    style: new Style({ image: new Circle({ radius: 9, fill: new Fill({ color: 'rgba(255,212,0,0.35)' }), stroke: new Stroke({ color: '#1a1a1a', width: 3 }) }) }),
  }));
  let results = [];
  let active = -1;
  let timer = 0;
  let asked = 0;
  const close = () => {
    listbox.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const mark = (i) => {
    active = i;
    for (const [j, li] of [...listbox.children].entries()) li.setAttribute('aria-selected', String(j === i));
    if (i >= 0 && listbox.children[i]) {
      input.setAttribute('aria-activedescendant', listbox.children[i].id);
      listbox.children[i].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };
  const choose = (i) => {
    const f = results[i];
    if (!f) return;
    const c = fromLonLat(f.geometry.coordinates);
    found.clear();
    found.addFeature(new Feature(new Point(c)));
    const duration = matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 300;
    const kind = f.properties.kind;
    if (f.bbox && (kind === 'comune' || kind === 'strada')) {
      view.fit(transformExtent(f.bbox, 'EPSG:4326', 'EPSG:3857'), { padding: [40, 40, 40, 40], maxZoom: 18, duration });
    } else {
      view.animate({ center: c, zoom: Math.max(view.getZoom() || 0, 19), duration });
    }
    const label = f.properties.detail ? `${f.properties.label}, ${f.properties.detail}` : f.properties.label;
    input.value = label;
    close();
    notice(label);
    document.body.dataset.searched = f.id;
    // Listeners (the roof panel) act on the place chosen.
    document.dispatchEvent(new CustomEvent('navigli:place', { detail: { coordinate: c, kind } }));
  };
  const render = (q) => {
    listbox.replaceChildren(...results.map((f, i) => el('li', {
      id: `search-opt-${i}`, role: 'option', class: 'search-option', 'aria-selected': 'false', 'data-kind': f.properties.kind,
      onmousedown: (e) => e.preventDefault(), onclick: () => choose(i),
    }, el('span', { class: 'search-label' }, f.properties.label),
    el('span', { class: 'search-detail' }, [T.kinds[f.properties.kind] || '', f.properties.detail].filter(Boolean).join(' · ')))));
    listbox.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (!results.length) listbox.append(el('li', { class: 'search-empty', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false' }, fmt(T.noResults, { q })));
    else notice(fmt(T.found, { n: results.length }));
    mark(-1);
  };
  const run = async (q) => {
    const n = ++asked;
    try {
      const r = await fetch(`${data.endpoints.search}?q=${encodeURIComponent(q)}&limit=8`);
      if (!r.ok) throw new Error(String(r.status));
      const body = await r.json();
      if (n !== asked) return; // a newer query is on its way
      results = body.features || [];
      render(q);
    } catch {
      if (n === asked) notice(T.searchFailed);
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { results = []; close(); return; }
    timer = setTimeout(() => run(q), 200);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && results.length) { e.preventDefault(); if (listbox.hidden) render(input.value); mark((active + 1) % results.length); }
    else if (e.key === 'ArrowUp' && results.length) { e.preventDefault(); mark(active <= 0 ? results.length - 1 : active - 1); }
    else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  const form = el('form', {
    role: 'search', class: 'search', 'aria-label': T.search,
    onsubmit: async (e) => {
      e.preventDefault();
      clearTimeout(timer);
      const q = input.value.trim();
      if (active >= 0) return choose(active);
      if (q.length < 1) return undefined;
      await run(q);
      if (results.length) choose(0);
      return undefined;
    },
  }, el('label', { for: 'search-q', class: 'visually-hidden' }, T.search), input, listbox);
  document.querySelector('header.bar .titles').after(form);
}

// --- phone: the panel is a bottom sheet opened by a button ---
const panel = document.getElementById('panel');
const toggle = el('button', { type: 'button', class: 'sheet-toggle', 'aria-controls': 'panel', 'aria-expanded': 'false' }, T.panel);
toggle.addEventListener('click', () => {
  const open = panel.classList.toggle('open');
  toggle.setAttribute('aria-expanded', String(open));
  if (open) panel.focus();
});
panel.before(toggle);

// Exposed for tests and for embedding pages that want to drive the map.
window.navigliViewer = { map, view, layers, identify, roof, wmsRuns: () => wmsRuns };
