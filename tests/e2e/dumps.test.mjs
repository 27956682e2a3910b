// No core dumps in the real window: the running Balcão and every WebKit process it started have a core file size
// limit of 0 (soft and hard), so a crash leaves no image of secrets, the history key or citizens' data on disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync, readlinkSync } from 'node:fs';
import { openApp, env } from './harness.mjs';

let browser;

before(async () => {
  browser = await openApp();
  await (await browser.$('[data-testid="lookup-input"]')).waitForDisplayed({ timeout: 30000 });
});

after(async () => {
  await browser?.deleteSession();
});

const pids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
const parent = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
};
const exe = (pid) => {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
};

test('the running app and the WebKit processes it started can write no core file', () => {
  const app = realpathSync(env.app);
  const roots = pids().filter((p) => exe(p) === app);
  assert.ok(roots.length >= 1, `the app ${app} is running`);
  const tree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of pids()) {
      if (!tree.has(p) && tree.has(parent(p))) {
        tree.add(p);
        grew = true;
      }
    }
  }
  const names = [...tree].map((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim());
  assert.ok(names.some((n) => /WebKit/i.test(n)), `WebKit processes among ${names.join(', ')}`);
  for (const p of tree) {
    const line = readFileSync(`/proc/${p}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max core file size'));
    assert.deepEqual(line.split(/\s+/).slice(4, 6), ['0', '0'], `pid ${p} (${readFileSync(`/proc/${p}/comm`, 'utf8').trim()}): ${line}`);
  }
});
