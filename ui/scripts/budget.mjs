// After `vite build`: fails when the whole JS bundle exceeds 150 KB gzip, when code meant to load after the first
// paint ended up in it, or when index.html carries inline script or style (the CSP allows neither).
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

// What the first paint loads: the JS that index.html names (entry and preloads).
const firstPaint = [...html.matchAll(/(?:src|href)="\/?assets\/([^"]+\.js)"/g)].map((m) => m[1]);
const firstKb = firstPaint.reduce((n, f) => n + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0) / 1024;
// Chunks that must stay out of it (docs/benchmarks/analysis.md: each costs start-up time).
const LAZY = ['results', 'HelpOverlay', 'IdleLock', 'Comparar', 'Historico', 'Recibo', 'Configuracoes', 'Lote'];
const chunks = readdirSync(assets);
const eager = LAZY.filter((name) => !chunks.some((f) => f.startsWith(`${name}-`) && f.endsWith('.js')));
const preloaded = firstPaint.filter((f) => LAZY.some((name) => f.startsWith(`${name}-`)));

console.log(`JS bundle: ${(total / 1024).toFixed(1)} KB gzip (budget ${BUDGET / 1024} KB); first paint ${firstKb.toFixed(1)} KB`);
if (eager.length || preloaded.length) {
  console.error(`on the first paint, meant to load after it: ${[...eager, ...preloaded].join(', ')}`);
  process.exit(1);
}
if (total > BUDGET) {
  console.error('JS bundle over budget');
  process.exit(1);
}
if (inline) {
  console.error('index.html has inline script or style, which the CSP blocks');
  process.exit(1);
}
