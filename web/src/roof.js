// navigli "Il mio tetto": the roof panel of the viewer (tool `roof`). A click or tap on the map,
// a search result or "my position" asks /{tenant}/roofs/at for the building there; the panel
// shows its roof planes (coloured on the map by solar class, or by green-roof suitability, with
// a text legend), the totals of the chosen planes, a 12-month production chart, the economics
// for the citizen's own figures (recomputed by the server on every change), a 25-year cash flow
// and the green-roof verdict. Everything the citizen chose is kept in the URL (#roof=…), so a
// shared link reopens the same building, planes and figures. Nothing is stored anywhere.
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { fromLonLat, toLonLat } from 'ol/proj.js';
import { extend as extendExtent, createEmpty } from 'ol/extent.js';

const TEXTS = {
  it: {
    title: 'Il tuo tetto', hint: 'Cerca il tuo indirizzo, usa la tua posizione o tocca il tuo edificio sulla mappa.',
    loading: 'Calcolo in corso…', failed: 'Il calcolo non è disponibile in questo momento.',
    noBuilding: 'Nessun edificio con i dati del tetto in questo punto (né entro 30 m). Tocca il tuo edificio sulla mappa.',
    noPlanes: 'Per questo edificio non ci sono ancora falde misurate: non è possibile stimare il tetto.',
    heritage: 'Edificio sottoposto a tutela — {v}. Pannelli solari o un tetto verde richiedono un\'autorizzazione (della Soprintendenza per i beni culturali, del Comune nei nuclei storici). Le stime che seguono sono solo tecniche.',
    equipped: 'Sul tetto risulta già un impianto fotovoltaico di {k} kWp: le stime valgono per un impianto nuovo al suo posto o, sulla superficie libera, per ampliarlo.',
    building: 'Edificio n. {id}', use: 'uso {u}', planesN: '{n} falde', away: 'a {d} m dal punto scelto',
    mode: 'Mostra sulla mappa', solar: 'Fotovoltaico', green: 'Tetto verde', legend: 'Legenda delle falde',
    planes: 'Falde del tetto (scegli quelle da usare)', plane: 'Falda {k}', none: 'Scegli almeno una falda per i totali.',
    totals: 'Totale delle falde scelte', area: 'Superficie', kwp: 'Potenza installabile', kwh: 'Produzione annua',
    irr: 'Irradiazione sui moduli', cls: 'Idoneità', shade: 'Luce persa per ombre', shadeWhy: 'edifici vicini',
    slope: 'pendenza', flat: 'tetto piano: file di moduli inclinate di 20° verso sud',
    monthly: 'Produzione mese per mese (kWh)', monthlyTable: 'Valori mensili', month: 'Mese',
    money: 'Conti dell\'impianto', cost: 'Costo chiavi in mano', battery: 'di cui batteria', deduction: 'Detrazione fiscale ({r} % in 10 anni)',
    net: 'Costo dopo la detrazione', savings: 'Risparmio del primo anno', selfPart: 'energia usata in casa: {k} kWh, {e}',
    exportPart: 'energia ceduta alla rete: {k} kWh, {e}', omPart: 'manutenzione: −{e}', payback: 'Rientro della spesa',
    never: 'non rientra in {n} anni', years: '{n} anni', band: 'fascia {a}–{b}', covered: 'Consumi coperti dal sole',
    co2: 'CO₂ evitata', cash: 'Flusso di cassa cumulato in {n} anni (€)',
    bandNote: 'La fascia indica il risultato con una produzione del {p} % più bassa o più alta: la variazione del sole da un anno all\'altro e la differenza tra il modello e un impianto reale.',
    greenH: 'Tetto verde', greenNo: 'Nessuna delle falde scelte può diventare un tetto verde.',
    greenType: 'Tipo', greenArea: 'Superficie a verde', load: 'Carico da verificare', greenCost: 'Costo', rain: 'Pioggia trattenuta',
    runoff: 'Meno acqua in fognatura', intensive: 'intensivo (giardino pensile)', extensive: 'estensivo (sedum, substrato sottile)',
    ask: 'Le tue ipotesi', consumption: 'Consumo annuo di elettricità (kWh)', bill: 'oppure spesa annua in bolletta (€)',
    price: 'Prezzo dell\'elettricità (€/kWh)', sc: 'Quota di energia usata in casa (%)', batteryKwh: 'Batteria (kWh, 0 = nessuna)',
    costKwp: 'Costo per kWp (€)', exportPrice: 'Prezzo dell\'energia ceduta (€/kWh)', main: 'È la mia abitazione principale (detrazione 50 % invece del 36 %)',
    def: 'Predefinito: {v}', srcPrice: 'ordine del prezzo domestico 2024–2025 (ARERA)', srcExport: 'ordine del prezzo zonale 2024–2025 (ritiro dedicato GSE)',
    srcSc: '35 % senza batteria, 65 % con batteria (ipotesi)', srcCost: 'secondo la taglia dell\'impianto, prezzi di mercato 2024–2025 (ipotesi)',
    srcBattery: '{e} per kWh di capacità (ipotesi)', billHint: 'Se non conosci il consumo: la spesa divisa per il prezzo dell\'elettricità.', srcCons: 'senza consumo, tutta la quota indicata è usata in casa',
    share: 'Copia il collegamento a questa scheda', report: 'Scarica la scheda (PDF)', copied: 'Collegamento copiato.', note: 'Stime indicative calcolate da navigli (docs/roofs.md); nessun dato personale viene salvato.',
    classes: { very_good: 'ottima', good: 'buona', fair: 'discreta', unsuitable: 'non idonea' },
    greens: { intensivo: 'intensivo', estensivo: 'estensivo', 'non idoneo': 'non idoneo' },
    why: { north: 'rivolta a nord', small: 'troppo piccola (meno di 1 kWp)', dark: 'poco sole (sotto 1.000 kWh/m² l\'anno)' },
    months: ['gen', 'feb', 'mar', 'apr', 'mag', 'giu', 'lug', 'ago', 'set', 'ott', 'nov', 'dic'],
    dirs: ['N', 'NE', 'E', 'SE', 'S', 'SO', 'O', 'NO'], yearsAxis: 'anni',
    uses: { '01': 'residenziale', '02': 'amministrativo', '03': 'servizi pubblici', '05': 'luogo di culto', '06': 'commerciale', '07': 'industriale o artigianale', '08': 'agricolo', '09': 'ricreativo o sportivo', '10': 'trasporti' },
  },
  en: {
    title: 'Your roof', hint: 'Search for your address, use your position or tap your building on the map.',
    loading: 'Computing…', failed: 'The roof check is not available right now.',
    noBuilding: 'No building with roof data at this point (nor within 30 m). Tap your building on the map.',
    noPlanes: 'This building has no measured roof planes yet: its roof cannot be estimated.',
    heritage: 'Protected building — {v}. Solar panels or a green roof need a permit (from the Soprintendenza for listed buildings, from the comune in historic cores). The estimates below are technical only.',
    equipped: 'The roof already has a {k} kWp photovoltaic system: the estimates are for a new system in its place or, on the free surface, for extending it.',
    building: 'Building no. {id}', use: 'use {u}', planesN: '{n} roof planes', away: '{d} m from the chosen point',
    mode: 'Show on the map', solar: 'Solar panels', green: 'Green roof', legend: 'Legend of the roof planes',
    planes: 'Roof planes (choose those to use)', plane: 'Plane {k}', none: 'Choose at least one plane for the totals.',
    totals: 'Total of the chosen planes', area: 'Area', kwp: 'Installable power', kwh: 'Yearly production',
    irr: 'Irradiation on the modules', cls: 'Suitability', shade: 'Light lost to shade', shadeWhy: 'neighbouring buildings',
    slope: 'slope', flat: 'flat roof: rows of modules tilted 20° to the south',
    monthly: 'Production month by month (kWh)', monthlyTable: 'Monthly values', month: 'Month',
    money: 'The system\'s accounts', cost: 'Turnkey cost', battery: 'of which battery', deduction: 'Tax deduction ({r} % over 10 years)',
    net: 'Cost after the deduction', savings: 'Savings in the first year', selfPart: 'energy used at home: {k} kWh, {e}',
    exportPart: 'energy exported: {k} kWh, {e}', omPart: 'maintenance: −{e}', payback: 'Payback',
    never: 'does not pay back in {n} years', years: '{n} years', band: 'range {a}–{b}', covered: 'Consumption covered by the sun',
    co2: 'CO₂ avoided', cash: 'Cumulative cash flow over {n} years (€)',
    bandNote: 'The range is the result with a production {p} % lower or higher: the year-to-year variation of sunshine and the gap between the model and a real system.',
    greenH: 'Green roof', greenNo: 'None of the chosen planes can become a green roof.',
    greenType: 'Type', greenArea: 'Green area', load: 'Load to check', greenCost: 'Cost', rain: 'Rain retained',
    runoff: 'Less water to the sewers', intensive: 'intensive (roof garden)', extensive: 'extensive (sedum, thin substrate)',
    ask: 'Your figures', consumption: 'Yearly electricity use (kWh)', bill: 'or yearly electricity bill (€)',
    price: 'Electricity price (€/kWh)', sc: 'Share of the energy used at home (%)', batteryKwh: 'Battery (kWh, 0 = none)',
    costKwp: 'Cost per kWp (€)', exportPrice: 'Price of exported energy (€/kWh)', main: 'It is my main home (50 % deduction instead of 36 %)',
    def: 'Default: {v}', srcPrice: 'order of the 2024–2025 household price (ARERA)', srcExport: 'order of the 2024–2025 zonal price (GSE ritiro dedicato)',
    srcSc: '35 % without a battery, 65 % with one (assumption)', srcCost: 'by system size, 2024–2025 market prices (assumption)',
    srcBattery: '{e} per kWh of capacity (assumption)', billHint: 'If you do not know your use: the bill divided by the electricity price.', srcCons: 'without a consumption, the whole share given is used at home',
    share: 'Copy the link to this card', report: 'Download the card (PDF)', copied: 'Link copied.', note: 'Indicative estimates computed by navigli (docs/roofs.md); no personal data is stored.',
    classes: { very_good: 'very good', good: 'good', fair: 'fair', unsuitable: 'unsuitable' },
    greens: { intensivo: 'intensive', estensivo: 'extensive', 'non idoneo': 'unsuitable' },
    why: { north: 'faces north', small: 'too small (under 1 kWp)', dark: 'little sun (under 1,000 kWh/m² a year)' },
    months: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
    dirs: ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'], yearsAxis: 'years',
    uses: { '01': 'residential', '02': 'administrative', '03': 'public services', '05': 'place of worship', '06': 'commercial', '07': 'industrial or craft', '08': 'agricultural', '09': 'recreation or sport', '10': 'transport' },
  },
};

const SOLAR_COLOURS = { very_good: '#b2182b', good: '#ef8a62', fair: '#fddbc7', unsuitable: '#bdbdbd' };
const GREEN_COLOURS = { intensive: '#1b7837', extensive: '#7fbf7b', none: '#bdbdbd' };
const SVG = 'http://www.w3.org/2000/svg';

/** Installs the roof panel into the viewer; returns `at(coordinate)` for map clicks. */
export function installRoof({ map, data, lang, el, notice, hash, hashParts, writeHash, panel }) {
  const T = TEXTS[lang];
  const locale = lang === 'en' ? 'en-GB' : 'it-IT';
  const n = (v, d = 0) => (v == null || !Number.isFinite(v) ? '—' : v.toLocaleString(locale, { maximumFractionDigits: d, minimumFractionDigits: 0, useGrouping: 'always' }));
  const eur = (v) => `${n(v, 0)} €`;
  const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
  const dir = (aspect) => T.dirs[Math.round((((aspect % 360) + 360) % 360) / 45) % 8];

  // State, from the URL first.
  const state = { point: null, planes: null, mode: hash.get('mode') === 'green' ? 'green' : 'solar', report: null };
  const fields = [
    ['consumption', 'cons'], ['bill', 'bill'], ['price', 'price'], ['sc', 'sc'], ['battery', 'bat'], ['cost', 'cost'], ['exportPrice', 'exp'],
  ];
  const figures = Object.fromEntries(fields.map(([k, h]) => [k, hash.get(h) || '']));
  figures.main = hash.get('main') === '1';
  if (hash.has('roof')) {
    const [lon, lat] = hash.get('roof').split(',').map(Number);
    if (Number.isFinite(lon) && Number.isFinite(lat)) state.point = [lon, lat];
  }
  if (hash.has('planes')) state.planes = hash.get('planes').split(',').map(Number).filter(Number.isInteger);
  hashParts.push((p) => {
    if (!state.point) return;
    p.set('roof', state.point.map((v) => v.toFixed(6)).join(','));
    if (state.planes) p.set('planes', state.planes.join(','));
    for (const [k, h] of fields) if (figures[k] !== '') p.set(h, figures[k]);
    if (figures.main) p.set('main', '1');
    if (state.mode === 'green') p.set('mode', 'green');
  });

  // The building's planes on the map, coloured by class (or green-roof suitability).
  const planeSource = new VectorSource();
  const styleOf = (f) => {
    const r = state.report && state.report.planes.find((p) => p.id === f.get('plane'));
    if (!r) return null;
    const colour = state.mode === 'green' ? GREEN_COLOURS[r.green.suitable ? r.green.type : 'none'] : SOLAR_COLOURS[r.solar.class];
    const chosen = !state.planes || state.planes.includes(r.id);
    return new Style({ fill: new Fill({ color: colour }), stroke: new Stroke({ color: chosen ? '#1a1a1a' : '#ffffff', width: chosen ? 2.5 : 1 }) });
  };
  map.addLayer(new VectorLayer({ source: planeSource, zIndex: 1001, style: styleOf, className: 'nv-roof-planes' }));

  // The panel section.
  const body = el('div', { id: 'roof-body' }, el('p', {}, T.hint));
  const section = el('section', { id: 'roof', class: 'roof', 'aria-labelledby': 'roof-h' }, el('h2', { id: 'roof-h' }, T.title), body);
  panel.prepend(section);

  /** The roof API's parameters for the current point, planes and figures. */
  function query() {
    const q = new URLSearchParams({ lon: state.point[0].toFixed(6), lat: state.point[1].toFixed(6) });
    if (state.planes) q.set('planes', state.planes.join(','));
    const put = (name, v, k = 1) => { if (v !== '' && Number.isFinite(Number(v))) q.set(name, String(Number(v) * k)); };
    put('consumption', figures.consumption);
    if (figures.consumption === '') put('bill', figures.bill);
    put('price', figures.price); put('self_consumption', figures.sc, 0.01); put('battery', figures.battery);
    put('cost_per_kwp', figures.cost); put('export_price', figures.exportPrice);
    if (figures.main) q.set('main_home', 'true');
    return q;
  }

  let asked = 0;
  async function load({ fit = false } = {}) {
    if (!state.point) return;
    const n0 = ++asked;
    const q = query();
    body.setAttribute('aria-busy', 'true');
    try {
      const r = await fetch(`${data.endpoints.roofs}?${q}`);
      if (n0 !== asked) return;
      if (r.status === 404) { state.report = null; planeSource.clear(); body.replaceChildren(el('p', { class: 'roof-empty' }, T.noBuilding)); return; }
      const report = await r.json();
      if (!r.ok) throw new Error(report.description || String(r.status));
      const first = !state.report || state.report.building.id !== report.building.id;
      state.report = report;
      if (state.planes && state.planes.length === report.planes.length) state.planes = null;
      render(first);
      if (first) await drawPlanes(report, fit);
      else planeSource.changed();
      writeHash();
      document.body.dataset.roof = String(report.building.id);
    } catch (e) {
      if (n0 === asked) body.replaceChildren(el('p', { class: 'roof-empty' }, `${T.failed} ${e.message || ''}`.trim()));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  async function drawPlanes(report, fit) {
    planeSource.clear();
    if (!report.planes.length) return;
    const filter = `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>edificio_fid</fes:ValueReference><fes:Literal>${Number(report.building.id)}</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`;
    const p = new URLSearchParams({
      SERVICE: 'WFS', VERSION: '2.0.0', REQUEST: 'GetFeature', TYPENAMES: 'falde', OUTPUTFORMAT: 'application/json', SRSNAME: 'EPSG:3857', FILTER: filter,
    });
    try {
      const fc = await (await fetch(`${data.endpoints.wfs}?${p}`)).json();
      const features = new GeoJSON({ dataProjection: 'EPSG:3857' }).readFeatures(fc);
      for (const f of features) f.set('plane', Number(String(f.getId()).split('.').pop()));
      planeSource.addFeatures(features);
      if (fit && features.length) {
        const ext = createEmpty();
        for (const f of features) extendExtent(ext, f.getGeometry().getExtent());
        // On a phone the card is a bottom sheet over the lower half of the map.
        const sheet = matchMedia('(max-width: 700px)').matches ? Math.round((map.getSize()?.[1] || 0) * 0.55) : 0;
        map.getView().fit(ext, { padding: [60, 40, 40 + sheet, 40], maxZoom: 20, duration: 0 });
      }
    } catch {
      notice(T.failed);
    }
  }

  const row = (term, ...value) => el('div', { class: 'row' }, el('dt', {}, term), el('dd', {}, ...value));
  const reasonsOf = (p) => {
    const s = p.solar;
    if (s.class !== 'unsuitable') return [];
    const out = [];
    const north = Math.min(p.input.aspect, 360 - p.input.aspect);
    if (!s.flat_roof && north < 67.5) out.push(T.why.north);
    if (s.kwp < 1) out.push(T.why.small);
    if (!out.length) out.push(T.why.dark);
    return out;
  };

  /** The whole card for a new building; only the results otherwise (the list and the form
   * keep their focus and what is being typed). */
  function render(full) {
    const r = state.report;
    const results = body.querySelector('.roof-results');
    if (!full && results && r.planes.length) {
      results.replaceChildren(totals(r), monthly(r), money(r), greenCard(r));
      return;
    }
    const b = r.building;
    const head = el('p', { class: 'roof-building' },
      [fmt(T.building, { id: b.id }), b.uso ? fmt(T.use, { u: T.uses[String(b.uso).slice(0, 2)] || b.uso }) : null, fmt(T.planesN, { n: b.planes }),
        b.distance_m > 0 ? fmt(T.away, { d: n(b.distance_m) }) : null].filter(Boolean).join(' · '));
    // What the building's attributes say (a protection, a system already there), in words.
    const notes = [b.vincolo ? fmt(T.heritage, { v: b.vincolo }) : null, b.existing_kwp ? fmt(T.equipped, { k: n(b.existing_kwp, 1) }) : null]
      .filter(Boolean).map((text) => el('p', { class: 'roof-note', role: 'note' }, text));
    if (!r.planes.length) { body.replaceChildren(head, ...notes, el('p', { class: 'roof-empty' }, T.noPlanes)); return; }
    const out = el('div', { class: 'roof-results', 'aria-live': 'polite' }, totals(r), monthly(r), money(r), greenCard(r));
    body.replaceChildren(head, ...notes, modeSwitch(), legend(), planeList(r), form(r), out, shareBox());
  }

  function modeSwitch() {
    const radio = (value, label) => el('label', { class: 'inline' },
      el('input', { type: 'radio', name: 'roof-mode', value, checked: state.mode === value,
        onchange: () => { state.mode = value; planeSource.changed(); body.querySelector('.roof-legend').replaceWith(legend()); writeHash(); } }), label);
    return el('fieldset', { class: 'roof-mode' }, el('legend', {}, T.mode), radio('solar', T.solar), radio('green', T.green));
  }

  function legend() {
    const items = state.mode === 'green'
      ? [['intensive', T.intensive], ['extensive', T.extensive], ['none', T.greens['non idoneo']]].map(([k, t]) => [GREEN_COLOURS[k], t])
      : Object.entries(T.classes).map(([k, t]) => [SOLAR_COLOURS[k], t]);
    return el('ul', { class: 'roof-legend', 'aria-label': T.legend },
      ...items.map(([c, t]) => {
        const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.background = c; // CSSOM, allowed by the page's CSP (no inline style attribute)
        return el('li', {}, swatch, t);
      }));
  }

  function planeList(r) {
    const items = r.planes.map((p, k) => {
      const s = p.solar;
      const on = !state.planes || state.planes.includes(p.id);
      const box = el('input', { type: 'checkbox', id: `plane-${p.id}`, checked: on, 'data-plane': p.id, onchange: (e) => choose(p.id, e.target.checked) });
      const what = s.flat_roof ? T.flat : `${dir(p.input.aspect)} ${n(p.input.aspect)}°, ${T.slope} ${n(p.input.slope)}°`;
      const reasons = reasonsOf(p);
      const green = p.green.suitable ? T.greens[p.green.type === 'intensive' ? 'intensivo' : 'estensivo'] : T.greens['non idoneo'];
      return el('li', { class: 'plane', 'data-class': s.class },
        el('label', { for: `plane-${p.id}` }, box,
          el('span', {}, el('strong', {}, fmt(T.plane, { k: k + 1 })), ` — ${what}, ${n(p.input.area_m2)} m² — ${T.classes[s.class]}`)),
        el('p', { class: 'plane-facts' },
          [`${n(s.irradiation_kwh_m2)} kWh/m²`, `${n(s.kwp, 1)} kWp`, `${n(s.annual_kwh)} kWh`,
            p.input.shading > 0 ? `${T.shade.toLowerCase()} ${n(p.input.shading * 100, 1)} % (${T.shadeWhy})` : null,
            `${T.green.toLowerCase()}: ${green}`].filter(Boolean).join(' · ')),
        reasons.length ? el('p', { class: 'plane-why' }, reasons.join('; ')) : null);
    });
    return el('fieldset', { class: 'roof-planes' }, el('legend', {}, T.planes), el('ul', {}, ...items));
  }

  function choose(id, on) {
    const all = state.report.planes.map((p) => p.id);
    const current = new Set(state.planes || all);
    if (on) current.add(id); else current.delete(id);
    state.planes = all.filter((x) => current.has(x));
    if (!state.planes.length) {
      planeSource.changed();
      body.querySelector('.roof-results').replaceChildren(el('p', { class: 'roof-empty' }, T.none));
      writeHash();
      return;
    }
    load();
  }

  function chosenPlanes(r) {
    return r.planes.filter((p) => !state.planes || state.planes.includes(p.id));
  }

  function totals(r) {
    const s = r.summary;
    const chosen = chosenPlanes(r);
    const area = chosen.reduce((a, p) => a + p.input.area_m2, 0);
    const suitable = chosen.filter((p) => p.solar.class !== 'unsuitable');
    const irr = suitable.length ? suitable.reduce((a, p) => a + p.solar.irradiation_kwh_m2 * p.input.area_m2, 0) / suitable.reduce((a, p) => a + p.input.area_m2, 0) : null;
    const shade = area ? chosen.reduce((a, p) => a + p.input.shading * p.input.area_m2, 0) / area : 0;
    const band = s.economics.band;
    return el('div', { class: 'roof-totals' }, el('h3', {}, T.totals), el('dl', {},
      row(T.area, `${n(area)} m²`),
      row(T.cls, T.classes[s.best_class]),
      row(T.kwp, `${n(s.kwp, 1)} kWp`),
      row(T.kwh, el('span', { 'data-value': 'annual_kwh' }, `${n(s.annual_kwh)} kWh`), el('span', { class: 'band' }, ` (${fmt(T.band, { a: n(band.annual_kwh[0]), b: n(band.annual_kwh[1]) })})`)),
      row(T.irr, irr == null ? '—' : `${n(irr)} kWh/m²`),
      row(T.shade, `${n(shade * 100, 1)} % (${T.shadeWhy})`)));
  }

  function bars(values, { height = 120, labels, title, negative = false }) {
    const w = 18;
    const gap = values.length > 13 ? 3 : 6;
    const width = values.length * (w + gap) + 40;
    const max = Math.max(...values.map(Math.abs), 1);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height + 20}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', title);
    svg.setAttribute('class', 'chart');
    const zero = negative ? height / 2 : height;
    const scale = negative ? height / 2 / max : height / max;
    values.forEach((v, i) => {
      const r = document.createElementNS(SVG, 'rect');
      const h = Math.abs(v) * scale;
      r.setAttribute('x', String(30 + i * (w + gap)));
      r.setAttribute('y', String(v >= 0 ? zero - h : zero));
      r.setAttribute('width', String(w));
      r.setAttribute('height', String(Math.max(h, 0.5)));
      r.setAttribute('class', v >= 0 ? 'bar pos' : 'bar neg');
      svg.append(r);
      if (labels && labels[i] != null) {
        const t = document.createElementNS(SVG, 'text');
        t.setAttribute('x', String(30 + i * (w + gap) + w / 2));
        t.setAttribute('y', String(height + 14));
        t.setAttribute('text-anchor', 'middle');
        t.textContent = labels[i];
        svg.append(t);
      }
    });
    const axis = document.createElementNS(SVG, 'line');
    axis.setAttribute('x1', '26'); axis.setAttribute('x2', String(width)); axis.setAttribute('y1', String(zero)); axis.setAttribute('y2', String(zero));
    axis.setAttribute('class', 'axis');
    svg.append(axis);
    return svg;
  }

  function monthly(r) {
    const m = r.summary.monthly_kwh;
    const table = el('table', { class: 'roof-table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, T.month), el('th', { scope: 'col' }, 'kWh'))),
      el('tbody', {}, ...m.map((v, i) => el('tr', {}, el('th', { scope: 'row' }, T.months[i]), el('td', { 'data-month': i }, n(v))))));
    return el('div', { class: 'roof-monthly' }, el('h3', {}, T.monthly),
      bars(m, { labels: T.months.map((x) => x.slice(0, 1).toUpperCase()), title: `${T.monthly}: ${m.map((v, i) => `${T.months[i]} ${n(v)}`).join(', ')}` }),
      el('details', {}, el('summary', {}, T.monthlyTable), table));
  }

  function money(r) {
    const e = r.summary.economics;
    const u = e.used;
    const life = e.cash_flow_eur.length - 1;
    const pay = (y) => (y == null ? fmt(T.never, { n: life }) : fmt(T.years, { n: n(y, 1) }));
    const band = e.band;
    return el('div', { class: 'roof-money' }, el('h3', {}, T.money), el('dl', {},
      row(T.cost, el('span', { 'data-value': 'cost_eur' }, eur(e.cost_eur)), e.battery_cost_eur > 0 ? ` (${T.battery} ${eur(e.battery_cost_eur)})` : ''),
      row(fmt(T.deduction, { r: n(u.deduction_rate * 100) }), `−${eur(e.deduction_eur)}`),
      row(T.net, el('span', { 'data-value': 'net_cost_eur' }, eur(e.net_cost_eur))),
      row(T.savings, el('span', { 'data-value': 'annual_savings_eur' }, eur(e.annual_savings_eur)),
        el('span', { class: 'band' }, ` (${fmt(T.band, { a: eur(band.annual_savings_eur[0]), b: eur(band.annual_savings_eur[1]) })})`),
        el('ul', { class: 'split' },
          el('li', {}, fmt(T.selfPart, { k: n(e.self_consumed_kwh), e: eur(e.self_consumption_savings_eur) })),
          el('li', {}, fmt(T.exportPart, { k: n(e.exported_kwh), e: eur(e.export_revenue_eur) })),
          el('li', {}, fmt(T.omPart, { e: eur(e.om_eur) })))),
      row(T.payback, el('span', { 'data-value': 'payback_years' }, pay(e.payback_years)),
        el('span', { class: 'band' }, ` (${fmt(T.band, { a: pay(band.payback_years[1]), b: pay(band.payback_years[0]) })})`)),
      e.consumption_covered != null ? row(T.covered, `${n(e.consumption_covered * 100)} %`) : null,
      row(T.co2, `${n(e.co2_avoided_kg_per_year)} kg/${lang === 'en' ? 'yr' : 'anno'}`)),
      el('h3', {}, fmt(T.cash, { n: life })),
      bars(e.cash_flow_eur, { negative: true, labels: e.cash_flow_eur.map((_, i) => (i % 5 === 0 ? String(i) : null)), title: `${fmt(T.cash, { n: life })}: ${e.cash_flow_eur.map((v, i) => `${i}: ${eur(v)}`).join(', ')}` }),
      el('p', { class: 'note' }, fmt(T.bandNote, { p: n(band.production_share * 100) })));
  }

  function greenCard(r) {
    const s = r.summary;
    const chosen = chosenPlanes(r).filter((p) => p.green.suitable);
    if (!s.green_type || !chosen.length) return el('div', { class: 'roof-green' }, el('h3', {}, T.greenH), el('p', {}, T.greenNo));
    const runoff = chosen.reduce((a, p) => a + p.green.runoff_reduction * p.green.area_m2, 0) / chosen.reduce((a, p) => a + p.green.area_m2, 0);
    return el('div', { class: 'roof-green' }, el('h3', {}, T.greenH), el('dl', {},
      row(T.greenType, s.green_type === 'intensive' ? T.intensive : T.extensive),
      row(T.greenArea, `${n(s.green_area_m2)} m²`),
      row(T.load, `${n(s.green_load_kg_m2)} kg/m²`),
      row(T.greenCost, eur(s.green_cost_eur)),
      row(T.rain, `${n(s.retained_rain_m3_per_year, 1)} m³/${lang === 'en' ? 'yr' : 'anno'}`),
      row(T.runoff, `${n(runoff * 100)} %`)));
  }

  let timer = 0;
  function form(r) {
    const a = r.assumptions.economics;
    const battery = fmt(T.srcBattery, { e: eur(a.battery_eur_per_kwh) });
    const input = (key, label, hint, attrs) => {
      const id = `roof-${key}`;
      return el('div', { class: 'field' },
        el('label', { for: id }, label),
        el('input', { id, name: key, inputmode: 'decimal', value: figures[key], autocomplete: 'off', 'aria-describedby': `${id}-hint`, ...attrs,
          oninput: (ev) => { figures[key] = ev.target.value.trim().replace(',', '.'); clearTimeout(timer); timer = setTimeout(() => load(), 350); } }),
        el('small', { id: `${id}-hint` }, hint));
    };
    const bands = a.cost_bands.map((b) => (b.up_to_kwp ? `≤ ${n(b.up_to_kwp)} kWp ${eur(b.eur_per_kwp)}` : `> ${eur(b.eur_per_kwp)}`)).join(', ');
    return el('fieldset', { class: 'roof-form' }, el('legend', {}, T.ask),
      input('consumption', T.consumption, T.srcCons, { placeholder: '2700' }),
      input('bill', T.bill, T.billHint, { placeholder: '750' }),
      input('price', T.price, `${fmt(T.def, { v: `${n(a.electricity_price_eur_kwh, 2)} €/kWh` })} — ${T.srcPrice}.`, { placeholder: n(a.electricity_price_eur_kwh, 2) }),
      input('sc', T.sc, `${fmt(T.def, { v: T.srcSc })}.`, { placeholder: n(a.self_consumption * 100) }),
      input('battery', T.batteryKwh, `${fmt(T.def, { v: '0' })} — ${battery}.`, { placeholder: '0' }),
      input('cost', T.costKwp, `${fmt(T.def, { v: bands })} — ${T.srcCost}.`, { placeholder: n(a.cost_bands[0].eur_per_kwp) }),
      input('exportPrice', T.exportPrice, `${fmt(T.def, { v: `${n(a.export_price_eur_kwh, 2)} €/kWh` })} — ${T.srcExport}.`, { placeholder: n(a.export_price_eur_kwh, 2) }),
      el('label', { class: 'inline main' }, el('input', { type: 'checkbox', id: 'roof-main', checked: figures.main,
        onchange: (ev) => { figures.main = ev.target.checked; load(); } }), T.main));
  }

  function shareBox() {
    return el('div', { class: 'roof-share' },
      el('button', { type: 'button', class: 'tool', onclick: async () => { writeHash(); try { await navigator.clipboard.writeText(location.href); notice(T.copied); } catch { notice(location.href); } } }, T.share),
      // The same card as a PDF, made by the server from the same parameters.
      el('a', { class: 'tool report', target: '_blank', rel: 'noopener', href: '#',
        onclick: (e) => { const q = query(); q.set('lang', lang); e.currentTarget.href = `${data.endpoints.roof_report}?${q}`; } }, T.report),
      el('p', { class: 'note' }, T.note));
  }

  /** The roof check of the building at a map coordinate (EPSG:3857). */
  function at(coordinate, { fit = false } = {}) {
    state.point = toLonLat(coordinate);
    state.planes = null;
    body.replaceChildren(el('p', {}, T.loading));
    openPanel();
    return load({ fit });
  }
  /** On a phone the panel is a bottom sheet: the card opens it. */
  function openPanel() {
    panel.classList.add('open');
    document.querySelector('.sheet-toggle')?.setAttribute('aria-expanded', 'true');
  }
  // A place found (search, position): its building, framed.
  document.addEventListener('navigli:place', (e) => at(e.detail.coordinate, { fit: true }));
  if (state.point) {
    openPanel();
    load({ fit: !hash.has('map') });
  }
  return { at, state, coordinate: () => (state.point ? fromLonLat(state.point) : null) };
}
