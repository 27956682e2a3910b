// After `vite build`: fails when the whole JS bundle exceeds 150 KB gzip, or when index.html carries inline
// script or style (the CSP allows neither).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const assets = join(dist, 'assets');

let total = 0;
for (const f of readdirSync(assets).filter((f) => f.endsWith('.js'))) {
  total += gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
}
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const inline = /<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=/.test(html);

console.log(`JS bundle: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error('JS bundle over budget');
  process.exit(1);
}
if (inline) {
  console.error('index.html has inline script or style, which the CSP blocks');
  process.exit(1);
}
