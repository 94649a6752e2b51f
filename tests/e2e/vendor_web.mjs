// The web UI's third-party files, copied from the npm packages that
// package.json pins (installed by `npm ci`) into gateway/web/vendor/, where
// the gateway serves them: Natural Earth's 1:110m country shapes as
// world-atlas ships them, and topojson-client's ES modules that decode
// them. The copies are kept in the repository (both packages are ISC
// licensed; Natural Earth is public domain), so that the UI needs no npm
// step to be served; each directory is named with its package's version,
// so that a new version is a new address (no stale cache).
//
//   node vendor_web.mjs           copy (after changing a version in package.json)
//   node vendor_web.mjs --check   exit 1 if a copy differs from its package
//
// ui_e2e.sh runs the check.

import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, '..', '..', 'gateway', 'web', 'vendor');
const check = process.argv.includes('--check');

/** [package, files (relative to it), or a directory whose .js files are taken]. */
const PACKAGES = [
  ['world-atlas', ['countries-110m.json', 'LICENSE']],
  ['topojson-client', ['LICENSE', { dir: 'src' }]],
];

let differences = 0;
for (const [name, entries] of PACKAGES) {
  const root = join(here, 'node_modules', name);
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const target = join(vendor, `${name}-${version}`);
  const files = entries.flatMap((e) => (typeof e === 'string' ? [e]
    : readdirSync(join(root, e.dir)).filter((f) => f.endsWith('.js')).sort().map((f) => join(e.dir, f))));
  if (!check) {
    for (const old of existsSync(vendor) ? readdirSync(vendor) : []) {
      if (old.startsWith(`${name}-`) && old !== `${name}-${version}`) rmSync(join(vendor, old), { recursive: true });
    }
  }
  for (const file of files) {
    const source = readFileSync(join(root, file));
    const copy = join(target, file);
    if (check) {
      if (!existsSync(copy) || !readFileSync(copy).equals(source)) {
        console.error(`vendor_web: ${copy} differs from ${name}@${version}/${file}: run node tests/e2e/vendor_web.mjs`);
        differences += 1;
      }
    } else {
      mkdirSync(dirname(copy), { recursive: true });
      writeFileSync(copy, source);
    }
  }
  if (!check) console.log(`vendor_web: ${name}@${version}: ${files.length} files in ${target}`);
}
process.exit(differences ? 1 : 0);
