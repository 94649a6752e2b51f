// A world map as SVG, each country shaded by a count (a choropleth), drawn
// in the browser from Natural Earth's 1:110m country shapes as the npm
// package world-atlas ships them (TopoJSON, about 105 KB), decoded with
// topojson-client; both are served from /vendor/ by the gateway (see
// README.md: nothing is fetched from elsewhere). The projection is Equal
// Earth (equal-area, so that large countries do not look more important).
// Countries with a count can be chosen by mouse or keyboard.

import { COUNTRIES } from './countries.js';
import { h } from './ui.js';
import { t } from './i18n.js';
import { NUMERIC_TO_ALPHA3 } from './country-numbers.js';

const ATLAS = '/vendor/world-atlas-2.0.2/countries-110m.json';
const TOPOJSON = '/vendor/topojson-client-3.1.0/src/index.js';
const SVG = 'http://www.w3.org/2000/svg';
const ANTARCTICA = '010';

// Count bins and their colours, light to dark blue; even the lightest
// stands out from the grey of countries without any.
export const BINS = [
  { min: 1, max: 1, fill: '#9ecae1' },
  { min: 2, max: 4, fill: '#6baed6' },
  { min: 5, max: 9, fill: '#3182bd' },
  { min: 10, max: 24, fill: '#1f5f99' },
  { min: 25, max: Infinity, fill: '#08306b' },
];
export const EMPTY_FILL = '#e7ebef';
export const fillFor = (n) => (n > 0 ? BINS.find((b) => n >= b.min && n <= b.max).fill : EMPTY_FILL);

let shapes = null;

/** The countries' outlines as GeoJSON features with `alpha3`, loaded once. */
async function loadShapes() {
  if (!shapes) {
    shapes = (async () => {
      const [{ feature }, response] = await Promise.all([import(TOPOJSON), fetch(ATLAS)]);
      if (!response.ok) throw new Error(t('map.shapesMissing'));
      const atlas = await response.json();
      return feature(atlas, atlas.objects.countries).features
        .filter((f) => f.id !== ANTARCTICA)
        .map((f) => ({ ...f, alpha3: NUMERIC_TO_ALPHA3[f.id] || '' }));
    })();
    shapes.catch(() => {
      shapes = null;
    });
  }
  return shapes;
}

// Equal Earth (Šavrič, Patterson and Jenny, 2018).
const A1 = 1.340264;
const A2 = -0.081106;
const A3 = 0.000893;
const A4 = 0.003796;
const M = Math.sqrt(3) / 2;
const SCALE = 150;
function project([lon, lat]) {
  const lambda = (lon * Math.PI) / 180;
  const theta = Math.asin(M * Math.sin((lat * Math.PI) / 180));
  const t2 = theta * theta;
  const t6 = t2 * t2 * t2;
  const x = (lambda * Math.cos(theta)) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)));
  const y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
  return [x * SCALE, -y * SCALE];
}

/**
 * A ring's points with longitudes made continuous: a ring that crosses the
 * antimeridian (Russia's east, Fiji) jumps by about 360° from one point to
 * the next; unwrapped, it runs past ±180° instead, and is drawn twice (as
 * is and shifted by 360°), the globe's outline clipping both.
 */
function unwrap(ring) {
  let shift = 0;
  let previous = ring[0][0];
  return ring.map(([lon, lat]) => {
    if (lon - previous > 180) shift -= 360;
    else if (previous - lon > 180) shift += 360;
    previous = lon;
    return [lon + shift, lat];
  });
}

function ringPath(ring, offset) {
  return `${ring.map((point, i) => {
    const [x, y] = project([point[0] + offset, point[1]]);
    return `${i ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
  }).join('')}Z`;
}

function pathOf(geometry) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  let d = '';
  for (const rings of polygons) {
    for (const raw of rings) {
      const ring = unwrap(raw);
      const lons = ring.map(([lon]) => lon);
      d += ringPath(ring, 0);
      if (Math.max(...lons) > 180) d += ringPath(ring, -360);
      if (Math.min(...lons) < -180) d += ringPath(ring, 360);
    }
  }
  return d;
}

const names = new Map(COUNTRIES);

/**
 * The map: counts is a Map alpha3 -> n; selected an alpha3 or ''; onSelect
 * (alpha3) when a country with a count is chosen. Resolves to a <figure>
 * (with a legend), or rejects when the shapes cannot be loaded.
 */
export async function worldMap({ counts, selected = '', onSelect, caption }) {
  const features = await loadShapes();
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '-420 -215 840 430');
  svg.setAttribute('class', 'world-map');
  svg.setAttribute('role', 'group');
  svg.setAttribute('aria-label', caption);
  svg.dataset.testid = 'world-map';
  const sea = document.createElementNS(SVG, 'path');
  // The outline of the projected globe: the meridians at ±180°.
  const edge = [];
  for (let lat = -90; lat <= 90; lat += 5) edge.push(project([180, lat]));
  for (let lat = 90; lat >= -90; lat -= 5) edge.push(project([-180, lat]));
  sea.setAttribute('d', `M${edge.map(([x, y]) => `${x.toFixed(1)} ${y.toFixed(1)}`).join('L')}Z`);
  sea.setAttribute('class', 'sea');
  sea.setAttribute('aria-hidden', 'true');
  const clip = document.createElementNS(SVG, 'clipPath');
  const clipId = `globe-${Math.random().toString(36).slice(2, 8)}`;
  clip.id = clipId;
  const clipShape = document.createElementNS(SVG, 'path');
  clipShape.setAttribute('d', sea.getAttribute('d'));
  clip.append(clipShape);
  const countries = document.createElementNS(SVG, 'g');
  countries.setAttribute('clip-path', `url(#${clipId})`);
  svg.append(clip, sea, countries);
  for (const f of features) {
    const n = (f.alpha3 && counts.get(f.alpha3)) || 0;
    const name = names.get(f.alpha3) || (f.properties && f.properties.name) || '';
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', pathOf(f.geometry));
    path.setAttribute('fill', fillFor(n));
    path.setAttribute('class', ['country', n && 'has-count', f.alpha3 && f.alpha3 === selected && 'selected'].filter(Boolean).join(' '));
    path.dataset.country = f.alpha3;
    path.dataset.count = String(n);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = t('map.countryCount', { name, n });
    path.append(title);
    if (n && onSelect) {
      path.setAttribute('tabindex', '0');
      path.setAttribute('role', 'button');
      path.setAttribute('aria-label', t('map.countryCount', { name, n }));
      path.setAttribute('aria-pressed', String(f.alpha3 === selected));
      path.addEventListener('click', () => onSelect(f.alpha3));
      path.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect(f.alpha3);
        }
      });
    } else {
      path.setAttribute('aria-hidden', 'true');
    }
    countries.append(path);
  }
  // Countries too small for the 1:110m shapes (islands, city states) are
  // still in the table; the map says how many are not drawn.
  const drawn = new Set(features.map((f) => f.alpha3));
  const missing = [...counts.keys()].filter((c) => !drawn.has(c));
  return h('figure', { class: 'map-figure', 'data-testid': 'map-figure' },
    svg,
    h('figcaption', {},
      h('ul', { class: 'legend', 'aria-label': t('map.legend') },
        h('li', {}, h('span', { class: 'swatch', style: { background: EMPTY_FILL }, 'aria-hidden': 'true' }), t('map.none')),
        BINS.map((b) => h('li', {},
          h('span', { class: 'swatch', style: { background: b.fill }, 'aria-hidden': 'true' }),
          b.max === Infinity ? t('map.binOpen', { min: b.min }) : b.min === b.max ? String(b.min) : t('map.bin', { min: b.min, max: b.max })))),
      missing.length
        ? h('p', { class: 'muted small', text: t('map.notDrawn', { list: missing.map((c) => names.get(c) || c).join(', ') }) })
        : null));
}
