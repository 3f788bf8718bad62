// Bundles the viewer (src/viewer.js), the builder (src/builder.js) and the GeoPortale's copy buttons (src/geoportale.js) with their CSS, OpenLayers included, into dist/ with content
// hashes in the file names, and writes dist/manifest.json (logical name → file) that the server
// reads to link them. Run by scripts/web.sh; no network, no third-party URLs in the output.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { viewer: join(here, 'src/viewer.js'), builder: join(here, 'src/builder.js'), geoportale: join(here, 'src/geoportale.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: out,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const manifest = {};
for (const file of Object.keys(result.metafile.outputs)) {
  const name = file.split('/').pop();
  const m = name.match(/^([a-z]+)-[A-Z0-9]+\.(js|css)$/);
  if (m) manifest[`${m[1]}.${m[2]}`] = name;
  else manifest[name] = name;
}
// Licence texts of the bundled packages (legalComments: linked) are served beside the bundle.
for (const name of readdirSync(out)) if (!Object.values(manifest).includes(name)) manifest[name] = name;
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
const digest = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 12);
console.log(`web bundle ${digest}: ${Object.values(manifest).join(', ')}`);
