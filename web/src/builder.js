// navigli app builder: a form over the builder's JSON API (/{tenant}/admin/apps…) — list, create,
// copy, delete apps; pick and order layers, their service, style, visibility and opacity; the
// basemap; the initial extent (the comune's, or the view of a small map); title, description,
// colour, logo, tools, access; save the draft, preview, publish, revisions with their diff and
// roll-back, import and export of the document. Every change goes with the session's CSRF
// token; the server validates every save and its 422 problems (JSON pointers) are shown beside
// the fields they name. No text is ever inserted as HTML.
import 'ol/ol.css';
import './builder.css';
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ImageLayer from 'ol/layer/Image.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import { transformExtent } from 'ol/proj.js';

const data = JSON.parse(document.getElementById('navigli-builder').textContent);
const en = data.lang === 'en';
const T = en ? {
  signedIn: 'Signed in as {u}', logout: 'Sign out', apps: 'Your maps', none: 'No map yet.', newApp: 'New map', slug: 'Name in the address',
  slugHint: 'Lower-case letters, digits and hyphens, e.g. "quartieri".', title: 'Title', create: 'Create', edit: 'Edit', copy: 'Copy',
  remove: 'Delete', open: 'Open', published: 'published, revision {n}', draftOnly: 'draft, not published', problems: '{n} problems',
  confirmRemove: 'Delete the map "{s}" and all its revisions?', copyTo: 'Name of the copy', editing: 'Editing: {s}', general: 'General',
  description: 'Description', access: 'Who can open it', public: 'Everyone', restricted: 'Signed-in users only', roles: 'Roles allowed (none ticked: any signed-in user)',
  layers: 'Layers', layersHint: 'Ticked layers appear in the map; the first row is drawn at the bottom.', include: 'Show {l}', service: 'Service',
  style: 'Style', visibleAtStart: 'On at start', opacity: 'Opacity', up: 'Move {l} up', down: 'Move {l} down', basemap: 'Basemap',
  noBasemap: 'None', navigliBasemap: 'navigli layers', extent: 'Initial view', extentTenant: "The comune's extent", extentView: 'Use this view',
  extentNow: 'Current: {e}', extentDefault: "Current: the comune's extent", tools: 'Tools', look: 'Appearance', primary: 'Header colour',
  logo: 'Logo (a path on this server, e.g. /static/logo.png)', embed: 'Sites allowed to embed it (one origin per line, e.g. https://www.comune.it)',
  save: 'Save draft', preview: 'Preview', publish: 'Publish', export: 'Export', import: 'Import', saved: 'Draft saved (version {v}).',
  publishedNow: 'Published: revision {n}.', invalid: 'The map was not saved: fix these problems.', revisions: 'Revisions', compare: 'Compare',
  restore: 'Restore revision {n}', current: 'published', noRevisions: 'Not published yet.', diffTitle: 'From revision {a} to {b}',
  noChange: 'No difference.', pickTwo: 'Pick two revisions to compare.', restored: 'Revision {n} is published again.', close: 'Close editor',
  imported: 'Document loaded: check it and save.', badImport: 'That file is not an app document.', failed: 'The server refused: {m}',
  kinds: { mvt: 'Vector tiles (MVT)', wms: 'Image (WMS)', wfs: 'Features (WFS)' }, mapLabel: 'Map to choose the initial view',
  toolNames: { identify: 'Identify', legend: 'Legend', search: 'Search', measure: 'Measure', geolocate: 'My location', permalink: 'Share link', print: 'Print (PDF)', embed: 'Embed code', roof: 'Roof check (Il mio tetto)' },
  from: 'from', to: 'to',
} : {
  signedIn: 'Accesso come {u}', logout: 'Esci', apps: 'Le tue mappe', none: 'Ancora nessuna mappa.', newApp: 'Nuova mappa', slug: "Nome nell'indirizzo",
  slugHint: 'Lettere minuscole, cifre e trattini, per esempio "quartieri".', title: 'Titolo', create: 'Crea', edit: 'Modifica', copy: 'Copia',
  remove: 'Elimina', open: 'Apri', published: 'pubblicata, revisione {n}', draftOnly: 'bozza, non pubblicata', problems: '{n} problemi',
  confirmRemove: 'Eliminare la mappa «{s}» e tutte le sue revisioni?', copyTo: 'Nome della copia', editing: 'Modifica di: {s}', general: 'Generale',
  description: 'Descrizione', access: 'Chi può aprirla', public: 'Tutti', restricted: 'Solo utenti autenticati', roles: 'Ruoli ammessi (nessuno: qualsiasi utente autenticato)',
  layers: 'Livelli', layersHint: 'I livelli spuntati compaiono nella mappa; la prima riga è disegnata sotto le altre.', include: 'Mostra {l}', service: 'Servizio',
  style: 'Stile', visibleAtStart: "Acceso all'avvio", opacity: 'Opacità', up: 'Sposta {l} in su', down: 'Sposta {l} in giù', basemap: 'Mappa di base',
  noBasemap: 'Nessuna', navigliBasemap: 'Livelli di navigli', extent: 'Vista iniziale', extentTenant: 'Estensione del comune', extentView: 'Usa questa vista',
  extentNow: 'Attuale: {e}', extentDefault: 'Attuale: estensione del comune', tools: 'Strumenti', look: 'Aspetto', primary: "Colore dell'intestazione",
  logo: 'Logo (un percorso su questo server, per esempio /static/logo.png)', embed: 'Siti che possono incorporarla (un\'origine per riga, per esempio https://www.comune.it)',
  save: 'Salva bozza', preview: 'Anteprima', publish: 'Pubblica', export: 'Esporta', import: 'Importa', saved: 'Bozza salvata (versione {v}).',
  publishedNow: 'Pubblicata: revisione {n}.', invalid: 'La mappa non è stata salvata: correggi questi problemi.', revisions: 'Revisioni', compare: 'Confronta',
  restore: 'Ripristina la revisione {n}', current: 'pubblicata', noRevisions: 'Non ancora pubblicata.', diffTitle: 'Dalla revisione {a} alla {b}',
  noChange: 'Nessuna differenza.', pickTwo: 'Scegli due revisioni da confrontare.', restored: 'La revisione {n} è di nuovo pubblicata.', close: 'Chiudi',
  imported: 'Documento caricato: controllalo e salva.', badImport: 'Il file non è un documento di mappa.', failed: 'Il server ha rifiutato: {m}',
  kinds: { mvt: 'Tasselli vettoriali (MVT)', wms: 'Immagine (WMS)', wfs: 'Oggetti (WFS)' }, mapLabel: 'Mappa per scegliere la vista iniziale',
  toolNames: { identify: 'Informazioni', legend: 'Legenda', search: 'Ricerca', measure: 'Misura', geolocate: 'La mia posizione', permalink: 'Collegamento', print: 'Stampa (PDF)', embed: 'Codice da incorporare', roof: 'Il mio tetto (verifica del tetto)' },
  from: 'da', to: 'a',
};
const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => String(v[k]));

/** Element helper: tag, attributes, children (strings become text nodes: never HTML). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'checked' || k === 'value') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const main = document.getElementById('main');
const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });

/** A call of the builder API: JSON in and out, the CSRF token on every change. */
async function api(method, path, body, extra = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (method !== 'GET') headers['X-CSRF-Token'] = data.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // The server words its problems in the page's language.
  const url = `${data.api}${path}${en ? `${path.includes('?') ? '&' : '?'}lang=en` : ''}`;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { ok: r.ok, status: r.status, etag: r.headers.get('ETag'), json };
}
const say = (text) => { status.textContent = text; };
const refused = (r) => say(fmt(T.failed, { m: (r.json && r.json.description) || r.status }));

// --- the list ---
const listSection = el('section', { class: 'apps-admin', 'aria-labelledby': 'apps-h' });
const editor = el('section', { class: 'editor', 'aria-labelledby': 'editor-h', hidden: true });

async function loadList() {
  const r = await api('GET', '');
  if (!r.ok) return refused(r);
  const rows = r.json.apps.map((a) => el('li', { class: 'app-row', 'data-slug': a.slug },
    el('div', { class: 'app-name' }, el('strong', {}, a.title || a.slug), ' ', el('code', {}, a.slug)),
    el('p', { class: 'app-state' }, a.published ? fmt(T.published, { n: a.published }) : T.draftOnly,
      a.problems.length ? el('span', { class: 'warn' }, ` — ${fmt(T.problems, { n: a.problems.length })}`) : null),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'tool', onclick: () => openEditor(a.slug), 'aria-label': `${T.edit} ${a.title || a.slug}` }, T.edit),
      el('button', { type: 'button', class: 'tool secondary', onclick: () => copyApp(a.slug), 'aria-label': `${T.copy} ${a.title || a.slug}` }, T.copy),
      el('button', { type: 'button', class: 'tool danger', onclick: () => removeApp(a.slug), 'aria-label': `${T.remove} ${a.title || a.slug}` }, T.remove),
      a.published ? el('a', { class: 'tool secondary', href: `${data.apps}/${a.slug}${en ? '?lang=en' : ''}`, target: '_blank', rel: 'noopener' }, T.open) : null)));
  listSection.replaceChildren(
    el('h2', { id: 'apps-h' }, T.apps),
    rows.length ? el('ul', { class: 'app-list' }, rows) : el('p', {}, T.none),
    newForm());
  return undefined;
}

function newForm() {
  const slug = el('input', { id: 'new-slug', name: 'slug', required: true, pattern: '[a-z0-9][a-z0-9\\-]{0,62}', maxlength: 63, 'aria-describedby': 'new-slug-hint', autocomplete: 'off' });
  const title = el('input', { id: 'new-title', name: 'title', required: true, maxlength: 120 });
  return el('form', {
    class: 'new-app', 'aria-labelledby': 'new-h',
    onsubmit: async (e) => {
      e.preventDefault();
      const doc = {
        version: 1, title: title.value.trim(), description: '', access: 'public', basemap: { kind: 'none' },
        layers: data.layers.filter((l) => !l.restricted).slice(0, 1).map((l) => ({ name: l.name, service: 'wms', visible: true, opacity: 1 })),
        tools: [...data.tools],
      };
      const r = await api('PUT', `/${encodeURIComponent(slug.value)}`, doc);
      if (!r.ok) return showProblems(r, null);
      await loadList();
      return openEditor(slug.value);
    },
  }, el('h3', { id: 'new-h' }, T.newApp),
  el('label', { for: 'new-slug' }, T.slug), slug, el('p', { id: 'new-slug-hint', class: 'hint' }, T.slugHint),
  el('label', { for: 'new-title' }, T.title), title,
  el('button', { type: 'submit', class: 'tool' }, T.create));
}

async function copyApp(slug) {
  const to = prompt(T.copyTo, `${slug}-2`);
  if (!to) return;
  const r = await api('POST', `/${encodeURIComponent(slug)}/copy?to=${encodeURIComponent(to)}`);
  if (!r.ok) return refused(r);
  await loadList();
}

async function removeApp(slug) {
  if (!confirm(fmt(T.confirmRemove, { s: slug }))) return;
  const r = await api('DELETE', `/${encodeURIComponent(slug)}`);
  if (!r.ok) return refused(r);
  if (current && current.slug === slug) closeEditor();
  await loadList();
}

// --- the editor ---
let current = null; // { slug, etag, doc }
let extentMap = null;

function problemsBox() {
  return el('div', { id: 'problems', class: 'problems', role: 'alert', tabindex: '-1', hidden: true });
}

/** The field a JSON pointer names (the closest one the form has). */
function fieldFor(pointer) {
  const parts = pointer.split('/').slice(1);
  if (parts[0] === 'layers' && parts.length > 1) {
    const name = current.doc.layers[Number(parts[1])]?.name;
    return document.querySelector(`[data-layer-row="${CSS.escape(name || '')}"] input, [data-layer-row="${CSS.escape(name || '')}"] select`);
  }
  return document.getElementById(`f-${parts[0] || 'title'}`);
}

function showProblems(r, form) {
  const errors = (r.json && r.json.errors) || (r.json ? [{ pointer: r.json.locator || '', message: r.json.description }] : [{ pointer: '', message: String(r.status) }]);
  const box = document.getElementById('problems') || listSection.appendChild(problemsBox());
  for (const f of document.querySelectorAll('[aria-invalid="true"]')) f.removeAttribute('aria-invalid');
  for (const m of document.querySelectorAll('.field-error')) m.remove();
  box.replaceChildren(el('p', {}, T.invalid), el('ul', {}, errors.map((p, i) => {
    const field = form ? fieldFor(p.pointer) : null;
    const id = `err-${i}`;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', [field.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
      field.closest('.field, tr, fieldset')?.append(el('p', { class: 'field-error', id }, p.message));
    }
    return el('li', { 'data-pointer': p.pointer }, el('code', {}, p.pointer || '/'), ' ', p.message);
  })));
  box.hidden = false;
  box.focus();
}

function closeEditor() {
  current = null;
  editor.hidden = true;
  editor.replaceChildren();
  if (extentMap) extentMap.setTarget(undefined);
  extentMap = null;
}

async function openEditor(slug) {
  const r = await api('GET', `/${encodeURIComponent(slug)}`);
  if (!r.ok) return refused(r);
  current = { slug, etag: r.etag, doc: r.json };
  renderEditor();
  editor.hidden = false;
  document.getElementById('editor-h').focus();
  return undefined;
}

const field = (id, label, input, hint) => el('div', { class: 'field' }, el('label', { for: id }, label), input, hint ? el('p', { class: 'hint', id: `${id}-hint` }, hint) : null);

function layerRows(doc) {
  const chosen = doc.layers.map((l) => l.name);
  const all = [...chosen.filter((n) => data.layers.some((l) => l.name === n)), ...data.layers.map((l) => l.name).filter((n) => !chosen.includes(n))];
  return all.map((name) => {
    const meta = data.layers.find((l) => l.name === name);
    const entry = doc.layers.find((l) => l.name === name);
    const on = Boolean(entry);
    const service = el('select', { 'aria-label': `${T.service}: ${meta.title}`, 'data-role': 'service', disabled: !on },
      ['wms', 'mvt', 'wfs'].map((s) => el('option', { value: s, selected: entry ? entry.service === s : s === 'wms' }, T.kinds[s])));
    const style = meta.styles.length
      ? el('select', { 'aria-label': `${T.style}: ${meta.title}`, 'data-role': 'style', disabled: !on },
        el('option', { value: '' }, '—'), meta.styles.map((s) => el('option', { value: s, selected: entry && entry.style === s }, s)))
      : el('span', {}, '—');
    const visible = el('input', { type: 'checkbox', 'aria-label': `${T.visibleAtStart}: ${meta.title}`, 'data-role': 'visible', checked: entry ? entry.visible !== false : true, disabled: !on });
    const opacity = el('input', { type: 'number', min: 0, max: 1, step: 0.1, 'aria-label': `${T.opacity}: ${meta.title}`, 'data-role': 'opacity', value: entry ? (entry.opacity ?? 1) : 1, disabled: !on });
    const include = el('input', {
      type: 'checkbox', id: `inc-${name}`, 'data-role': 'include', checked: on,
      onchange: (e) => { for (const c of e.target.closest('tr').querySelectorAll('[data-role]:not([data-role=include])')) c.disabled = !e.target.checked; },
    });
    const move = (dir) => () => {
      const row = document.querySelector(`[data-layer-row="${CSS.escape(name)}"]`);
      const other = dir < 0 ? row.previousElementSibling : row.nextElementSibling;
      if (!other) return;
      if (dir < 0) other.before(row); else other.after(row);
      row.querySelector(dir < 0 ? '[data-move=up]' : '[data-move=down]').focus();
    };
    return el('tr', { 'data-layer-row': name },
      el('td', {}, include, el('label', { for: `inc-${name}` }, meta.title, meta.restricted ? ' 🔒' : '')),
      el('td', { 'data-label': T.service }, service), el('td', { 'data-label': T.style }, style),
      el('td', { 'data-label': T.visibleAtStart }, visible), el('td', { 'data-label': T.opacity }, opacity),
      el('td', { class: 'order' },
        el('button', { type: 'button', class: 'mini', 'data-move': 'up', 'aria-label': fmt(T.up, { l: meta.title }), onclick: move(-1) }, '↑'),
        el('button', { type: 'button', class: 'mini', 'data-move': 'down', 'aria-label': fmt(T.down, { l: meta.title }), onclick: move(1) }, '↓')));
  });
}

function renderEditor() {
  const doc = current.doc;
  const title = el('input', { id: 'f-title', required: true, maxlength: 120, value: doc.title || '' });
  const description = el('textarea', { id: 'f-description', rows: 3, maxlength: 2000 }, doc.description || '');
  const access = (v) => el('label', { class: 'inline' }, el('input', { type: 'radio', name: 'access', value: v, checked: (doc.access || 'public') === v, onchange: syncRoles }), v === 'public' ? T.public : T.restricted);
  const roles = el('fieldset', { id: 'f-roles', class: 'roles' }, el('legend', {}, T.roles),
    data.roles.map((r) => el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'role', value: r, checked: (doc.roles || []).includes(r) }), r)));
  function syncRoles() { roles.hidden = document.querySelector('input[name=access]:checked')?.value !== 'restricted'; }
  const basemapKind = doc.basemap?.kind || 'none';
  const basemap = el('fieldset', { id: 'f-basemap' }, el('legend', {}, T.basemap),
    el('label', { class: 'inline' }, el('input', { type: 'radio', name: 'basemap', value: 'none', checked: basemapKind !== 'navigli' }), T.noBasemap),
    el('label', { class: 'inline' }, el('input', { type: 'radio', name: 'basemap', value: 'navigli', checked: basemapKind === 'navigli' }), T.navigliBasemap),
    el('div', { class: 'basemap-layers' }, data.layers.filter((l) => !l.restricted).map((l) => el('label', { class: 'inline' },
      el('input', { type: 'checkbox', name: 'basemap-layer', value: l.name, checked: basemapKind === 'navigli' && doc.basemap.layers.includes(l.name) }), l.title))));
  const extentText = el('p', { id: 'f-extent', class: 'hint', tabindex: '-1' });
  const showExtent = () => {
    extentText.textContent = current.doc.extent ? fmt(T.extentNow, { e: current.doc.extent.map((v) => v.toFixed(4)).join(', ') }) : T.extentDefault;
  };
  showExtent();
  const mapDiv = el('div', { class: 'extent-map', role: 'region', 'aria-label': T.mapLabel, tabindex: '0' });
  const tools = el('fieldset', { id: 'f-tools' }, el('legend', {}, T.tools),
    data.tools.map((t) => el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'tool', value: t, checked: (doc.tools || []).includes(t) }), T.toolNames[t] || t)));
  const primary = el('input', { id: 'f-primary', type: 'color', value: doc.primary || '#0b4f8a' });
  const logo = el('input', { id: 'f-logo', maxlength: 300, value: doc.logo || '' });
  const embed = el('textarea', { id: 'f-embed_origins', rows: 2 }, (doc.embed_origins || []).join('\n'));
  const tbody = el('tbody', {}, layerRows(doc));
  const importInput = el('input', { type: 'file', accept: 'application/json,.json', class: 'visually-hidden', id: 'f-import', onchange: importFile });
  const revisions = el('section', { class: 'revisions', 'aria-labelledby': 'rev-h' });

  const form = el('form', { class: 'app-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(); } },
    problemsBox(),
    el('fieldset', {}, el('legend', {}, T.general),
      field('f-title', T.title, title), field('f-description', T.description, description),
      el('fieldset', { id: 'f-access' }, el('legend', {}, T.access), access('public'), access('restricted')), roles),
    el('fieldset', { id: 'f-layers' }, el('legend', {}, T.layers), el('p', { class: 'hint' }, T.layersHint),
      el('div', { class: 'table-wrap' }, el('table', { class: 'layers-table' },
        el('thead', {}, el('tr', {}, [T.layers, T.service, T.style, T.visibleAtStart, T.opacity, ''].map((h) => el('th', { scope: 'col' }, h)))), tbody))),
    basemap,
    el('fieldset', {}, el('legend', {}, T.extent), mapDiv, extentText,
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'tool secondary', onclick: () => { const e = transformExtent(extentMap.getView().calculateExtent(extentMap.getSize()), 'EPSG:3857', 'EPSG:4326'); current.doc.extent = e.map((v) => Math.round(v * 1e6) / 1e6); showExtent(); } }, T.extentView),
        el('button', { type: 'button', class: 'tool secondary', onclick: () => { delete current.doc.extent; showExtent(); extentMap.getView().fit(transformExtent(data.extent, 'EPSG:4326', 'EPSG:3857')); } }, T.extentTenant))),
    tools,
    el('fieldset', {}, el('legend', {}, T.look), field('f-primary', T.primary, primary), field('f-logo', T.logo, logo), field('f-embed_origins', T.embed, embed)),
    el('div', { class: 'actions sticky' },
      el('button', { type: 'submit', class: 'tool' }, T.save),
      el('button', { type: 'button', class: 'tool', onclick: publish }, T.publish),
      el('a', { class: 'tool secondary', href: `${data.api}/${encodeURIComponent(current.slug)}/preview${en ? '?lang=en' : ''}`, target: '_blank', rel: 'noopener' }, T.preview),
      el('button', { type: 'button', class: 'tool secondary', onclick: exportDoc }, T.export),
      el('label', { for: 'f-import', class: 'tool secondary' }, T.import), importInput,
      el('button', { type: 'button', class: 'tool secondary', onclick: closeEditor }, T.close)));
  editor.replaceChildren(el('h2', { id: 'editor-h', tabindex: '-1' }, fmt(T.editing, { s: current.slug })), form, revisions);
  syncRoles();

  extentMap = new Map({
    target: mapDiv,
    layers: [new ImageLayer({ source: new ImageWMS({ url: data.wms, ratio: 1, params: { LAYERS: data.layers.filter((l) => !l.restricted).slice(0, 1).map((l) => l.name).join(','), VERSION: '1.3.0', TRANSPARENT: true } }) })],
    view: new View({ projection: 'EPSG:3857' }),
    keyboardEventTarget: mapDiv,
  });
  extentMap.getView().fit(transformExtent(current.doc.extent || data.extent, 'EPSG:4326', 'EPSG:3857'), { size: [600, 300] });
  loadRevisions(revisions);
}

/** The document as the form says. */
function collect() {
  const d = { ...current.doc, version: 1 };
  d.title = document.getElementById('f-title').value.trim();
  d.description = document.getElementById('f-description').value;
  d.access = document.querySelector('input[name=access]:checked')?.value || 'public';
  d.roles = d.access === 'restricted' ? [...document.querySelectorAll('input[name=role]:checked')].map((c) => c.value) : [];
  if (!d.roles.length) delete d.roles;
  d.layers = [...document.querySelectorAll('[data-layer-row]')].filter((row) => row.querySelector('[data-role=include]').checked).map((row) => {
    const l = { name: row.dataset.layerRow, service: row.querySelector('[data-role=service]').value, visible: row.querySelector('[data-role=visible]').checked, opacity: Number(row.querySelector('[data-role=opacity]').value) };
    const style = row.querySelector('[data-role=style]');
    if (style && style.value) l.style = style.value;
    const before = current.doc.layers.find((x) => x.name === l.name);
    if (before && before.title) l.title = before.title;
    return l;
  });
  const kind = document.querySelector('input[name=basemap]:checked')?.value;
  const base = [...document.querySelectorAll('input[name=basemap-layer]:checked')].map((c) => c.value);
  d.basemap = kind === 'navigli' ? { kind: 'navigli', layers: base } : (current.doc.basemap?.kind === 'xyz' ? current.doc.basemap : { kind: 'none' });
  d.tools = [...document.querySelectorAll('input[name=tool]:checked')].map((c) => c.value);
  d.primary = document.getElementById('f-primary').value;
  const logo = document.getElementById('f-logo').value.trim();
  if (logo) d.logo = logo; else delete d.logo;
  d.embed_origins = document.getElementById('f-embed_origins').value.split('\n').map((s) => s.trim()).filter(Boolean);
  return d;
}

async function save() {
  const doc = collect();
  const r = await api('PUT', `/${encodeURIComponent(current.slug)}`, doc, current.etag ? { 'If-Match': current.etag } : {});
  if (!r.ok) {
    current.doc = doc;
    return r.status === 422 ? showProblems(r, true) : refused(r);
  }
  current.doc = doc;
  current.etag = r.etag;
  const box = document.getElementById('problems');
  if (box) box.hidden = true;
  for (const f of document.querySelectorAll('[aria-invalid="true"]')) f.removeAttribute('aria-invalid');
  for (const m of document.querySelectorAll('.field-error')) m.remove();
  say(fmt(T.saved, { v: (r.json && r.json.version) || '' }));
  await loadList();
  return true;
}

async function publish() {
  if (!(await save())) return;
  const r = await api('POST', `/${encodeURIComponent(current.slug)}/publish`);
  if (!r.ok) return r.status === 422 ? showProblems(r, true) : refused(r);
  say(fmt(T.publishedNow, { n: r.json.revision }));
  await loadList();
  loadRevisions(document.querySelector('.revisions'));
}

function exportDoc() {
  const blob = new Blob([JSON.stringify(collect(), null, 2)], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `${current.slug}.json` });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function importFile(e) {
  const file = e.target.files[0];
  if (!file) return;
  try {
    const doc = JSON.parse(await file.text());
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.layers)) throw new Error('shape');
    current.doc = doc;
    renderEditor();
    say(T.imported);
  } catch {
    say(T.badImport);
  }
}

async function loadRevisions(box) {
  const r = await api('GET', `/${encodeURIComponent(current.slug)}/revisions`);
  if (!r.ok || !box) return;
  const out = el('div', { class: 'diff', 'aria-live': 'polite' });
  if (!r.json.revisions.length) {
    box.replaceChildren(el('h3', { id: 'rev-h' }, T.revisions), el('p', {}, T.noRevisions));
    return;
  }
  const rows = r.json.revisions.map((v) => el('li', { 'data-revision': v.revision },
    el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'rev', value: v.revision }),
      `r${v.revision} — ${v.published_at} — ${v.published_by}`, v.current ? el('strong', {}, ` (${T.current})`) : null),
    v.current ? null : el('button', {
      type: 'button', class: 'tool secondary', 'data-restore': v.revision,
      onclick: async () => {
        const rr = await api('POST', `/${encodeURIComponent(current.slug)}/rollback?revision=${v.revision}`);
        if (!rr.ok) return refused(rr);
        say(fmt(T.restored, { n: v.revision }));
        await loadList();
        return loadRevisions(box);
      },
    }, fmt(T.restore, { n: v.revision }))));
  const compare = async () => {
    const picked = [...box.querySelectorAll('input[name=rev]:checked')].map((c) => Number(c.value)).sort((a, b) => a - b);
    if (picked.length !== 2) { out.replaceChildren(el('p', {}, T.pickTwo)); return; }
    const d = await api('GET', `/${encodeURIComponent(current.slug)}/revisions?diff=${picked[0]},${picked[1]}`);
    if (!d.ok) { refused(d); return; }
    const changes = d.json.changes || [];
    out.replaceChildren(el('h4', {}, fmt(T.diffTitle, { a: picked[0], b: picked[1] })), changes.length
      ? el('ul', {}, changes.map((c) => el('li', { 'data-pointer': c.path }, el('code', {}, c.path || '/'), ` ${T.from} `, el('code', {}, JSON.stringify(c.old ?? null)), ` ${T.to} `, el('code', {}, JSON.stringify(c.new ?? null)))))
      : el('p', {}, T.noChange));
  };
  box.replaceChildren(el('h3', { id: 'rev-h' }, T.revisions), el('ul', { class: 'rev-list' }, rows),
    el('button', { type: 'button', class: 'tool secondary', onclick: compare }, T.compare), out);
}

// --- page ---
const who = el('div', { class: 'who' }, el('span', {}, fmt(T.signedIn, { u: data.user })), el('button', {
  type: 'button', class: 'tool secondary',
  onclick: async () => {
    await fetch(data.logout, { method: 'POST', headers: { 'X-CSRF-Token': data.csrf }, credentials: 'same-origin' });
    location.href = `/${data.tenant}/login`;
  },
}, T.logout));
main.append(who, status, listSection, editor);
loadList().then(() => document.body.setAttribute('data-ready', '1'));
window.navigliBuilder = { openEditor, collect, save, publish };
