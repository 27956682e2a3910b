// Pure modules: pt-BR formatting, the lazy loader, the shortcut matcher, the IPC wrapper's error and id handling, the input mask caret.
import { describe, expect, it } from 'vitest';
import { maskKeepingCaret, inspect } from '../lib/docInput';
import * as f from '../lib/format';
import { ipc, toAppError } from '../lib/ipc';
import { once } from '../lib/lazy';
import { match, onAction, runAction, table } from '../lib/shortcuts';
import { nextTheme } from '../lib/theme';
import { usePtBrLanguage } from '../lib/pageLanguage';
import { t } from '../lib/i18n/pt-BR';
import { callsOf, mockCommands } from './helpers';

function key(init: KeyboardEventInit & { target?: EventTarget }): KeyboardEvent {
  const e = new KeyboardEvent('keydown', init);
  if (init.target) Object.defineProperty(e, 'target', { value: init.target });
  return e;
}

describe('format', () => {
  it('dates, instants and ages', () => {
    expect(f.date('2024-03-05')).toBe('05/03/2024');
    expect(f.date('anterior a 10/11/1990')).toBe('anterior a 10/11/1990');
    expect(f.date(null)).toBe('—');
    expect(f.ageYears('1980-01-15', new Date(2020, 0, 14))).toBe(39);
    expect(f.ageYears('1980-01-15', new Date(2020, 0, 15))).toBe(40);
    expect(f.ageYears('15/01/1980')).toBeNull();
    expect(f.dateTime('nonsense')).toBe('nonsense');
  });

  it('relative ages', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    expect(f.since('2026-11-26T11:59:40Z', now)).toBe('agora há pouco');
    expect(f.since('2026-11-26T11:00:00Z', now)).toBe('há 1 hora');
    expect(f.since('2026-11-23T12:00:00Z', now)).toBe('há 3 dias');
    expect(f.since('2026-06-26T12:00:00Z', now)).toBe('há 5 meses');
    expect(f.since('2023-11-26T12:00:00Z', now)).toBe('há 3 anos');
    expect(f.since('2026-11-26T11:55:00Z', now)).toBe('há 5 minutos');
    expect(f.since('2026-09-26T12:00:00Z', now)).toBe('há 2 meses');
  });

  it('dates and instants come from Intl in pt-BR, never from the system locale', () => {
    // A day from the API is the same day in any time zone (read in UTC, not shifted to the evening before).
    expect(f.date('2024-12-31')).toBe('31/12/2024');
    const local = new Date(2024, 2, 5, 14, 7);
    expect(f.dateTime(local.toISOString())).toBe(
      `${new Intl.DateTimeFormat('pt-BR', { dateStyle: 'short' }).format(local)} ${new Intl.DateTimeFormat('pt-BR', { timeStyle: 'short' }).format(local)}`,
    );
    expect(f.dateTime(local.toISOString())).toBe('05/03/2024 14:07');
    expect(f.date(local.toISOString())).toBe('05/03/2024');
  });

  it('money, phones, CEP, addresses and code labels', () => {
    expect(f.reais(12345678)).toMatch(/^R\$\s123\.456,78$/);
    expect(f.reais(0)).toMatch(/^R\$\s0,00$/);
    expect(f.reais(null)).toBe('—');
    expect(f.phone({ ddd: '61', number: '33334444' })).toBe('(61) 3333-4444');
    expect(f.phone({ ddd: null, number: '999998888' })).toBe('99999-8888');
    expect(f.cep('70040010')).toBe('70040-010');
    expect(f.addressLines(null)).toEqual([]);
    expect(f.codeLabel({ code: '', label: 'Só rótulo' })).toBe('Só rótulo');
    expect(f.percent(0.974)).toBe('97%');
    expect(t.statusBar.quotaValue(1, null)).toBe('1 usada');
    expect(t.statusBar.quotaValue(1200, null)).toBe('1.200 usadas');
  });
});

describe('page language', () => {
  it('makes navigator.language pt-BR when the OS says "c" (LANG=C.UTF-8), so Intl formatters built from it work', () => {
    const nav = { language: 'c', languages: ['c'] } as unknown as Navigator;
    expect(() => new Intl.NumberFormat(nav.language)).toThrow(RangeError);
    const root = document.createElement('html');
    usePtBrLanguage(nav, root);
    expect(nav.language).toBe('pt-BR');
    expect(nav.languages).toEqual(['pt-BR']);
    expect(root.dataset.osLanguage).toBe('c');
    expect(new Intl.NumberFormat(nav.language).format(1234.5)).toBe('1.234,5');
  });
});

describe('shortcuts', () => {
  it('maps keys to actions', () => {
    expect(match(key({ key: '1', code: 'Digit1', altKey: true }))).toEqual({ kind: 'screen', screen: 'consulta' });
    expect(match(key({ key: '6', code: 'Digit6', altKey: true }))).toEqual({ kind: 'screen', screen: 'inicio' });
    expect(match(key({ key: 'k', code: 'KeyK', ctrlKey: true }))).toEqual({ kind: 'focusInput' });
    expect(match(key({ key: 'p', code: 'KeyP', metaKey: true }))).toEqual({ kind: 'receipt' });
    expect(match(key({ key: 'd', code: 'KeyD', altKey: true }))).toEqual({ kind: 'local', name: 'declaration' });
    expect(match(key({ key: 'F1', code: 'F1' }))).toEqual({ kind: 'help' });
    expect(match(key({ key: 'Escape', code: 'Escape' }))).toEqual({ kind: 'escape' });
    expect(match(key({ key: 'a', code: 'KeyA' }))).toBeNull();
    // Ctrl+L locks also from inside a field (the clerk was typing when they stepped away).
    expect(match(key({ key: 'l', code: 'KeyL', ctrlKey: true, target: document.createElement('input') }))).toEqual({
      kind: 'lock',
    });
    expect(match(key({ key: 'l', code: 'KeyL', altKey: true }))).toBeNull();
    expect(match(key({ key: '?', target: document.createElement('input') }))).toBeNull();
    expect(match(key({ key: '?', target: document.body }))).toEqual({ kind: 'help' });
  });

  it('runs local actions only while a handler is registered', () => {
    let n = 0;
    const off = onAction('view', () => (n += 1));
    expect(runAction('view')).toBe(true);
    off();
    expect(runAction('view')).toBe(false);
    expect(n).toBe(1);
  });

  it('documents every shortcut with a label', () => {
    const rows = table();
    expect(rows.length).toBe(23);
    expect(rows).toContainEqual({ keys: 'Alt+O', label: 'Outras bases (CPF/CNPJ em tela)' });
    expect(rows).toContainEqual({ keys: 'Ctrl+L', label: 'Bloquear a tela agora' });
    expect(rows.find((r) => r.keys === 'Ctrl+Shift+A')?.label).toMatch(/atendente/);
    expect(new Set(rows.map((r) => r.keys)).size).toBe(rows.length);
    expect(rows.every((r) => r.label.length > 3)).toBe(true);
  });

  it('cycles the theme through an explicit choice and back to the system', () => {
    expect(['dark', 'light']).toContain(nextTheme('auto'));
    expect(nextTheme('dark')).toBe('auto');
  });
});

describe('ipc', () => {
  it('keeps an AppError and turns anything else into Internal', () => {
    expect(toAppError({ code: 'NotFound', message: 'x' })).toEqual({ code: 'NotFound', message: 'x' });
    expect(toAppError({ code: 'Bogus', message: 'x' }).code).toBe('Internal');
    expect(toAppError('texto').code).toBe('Internal');
    expect(toAppError(new Error('e')).message).toMatch(/Erro inesperado/);
  });

  it('sends ids as JSON numbers and names arguments as the commands expect', async () => {
    const calls = mockCommands({ history_get: () => ({}), history_search: () => ({ items: [], nextBeforeId: null }) });
    await ipc.historyGet(12);
    await ipc.historySearch({ text: null, profileId: null, outcome: null, from: null, to: null, beforeId: 3, limit: 10 });
    await ipc.uiReady(12.7);
    expect(callsOf(calls, 'history_get')[0]!.args).toEqual({ id: 12 });
    expect((callsOf(calls, 'history_search')[0]!.args.query as { beforeId: unknown }).beforeId).toBe(3);
    expect(callsOf(calls, 'ui_ready')[0]!.args).toEqual({ millis: 13 });
  });

  it('rejects with the AppError a command threw', async () => {
    mockCommands({ lookup: () => Promise.reject({ code: 'Timeout', message: 'demorou' }) });
    await expect(
      ipc.lookup({ input: '1', view: null, purpose: null, authorizationCode: null, doNotRecord: false }),
    ).rejects.toEqual({ code: 'Timeout', message: 'demorou' });
  });
});

describe('lookup input', () => {
  it('keeps the caret after the same character when the mask inserts separators', () => {
    expect(maskKeepingCaret('40442820135', 11)).toEqual({ value: '404.428.201-35', caret: 14 });
    const mid = maskKeepingCaret('404428201', 4);
    expect(mid.value.startsWith('404.4')).toBe(true);
    expect(mid.caret).toBe(5);
  });

  it('reports validity, kind and a pt-BR reason', () => {
    expect(inspect('404.428.201-35')).toMatchObject({ valid: true, kind: 'cpf', error: null });
    expect(inspect('12.ABC.345/01DE-35')).toMatchObject({ valid: true, kind: 'cnpj' });
    const bad = inspect('34.238.864/0001-69');
    expect(bad).toMatchObject({ valid: false, kind: 'cnpj', settled: true });
    expect(bad.error).toMatch(/dígito verificador/);
    expect(inspect('404.4').settled).toBe(false);
    expect(inspect('404@').settled).toBe(true);
  });
});

describe('lazy', () => {
  it('loads once while it succeeds and tries again after a failure', async () => {
    let calls = 0;
    const load = once(async () => {
      calls += 1;
      if (calls === 1) throw new Error('chunk missing');
      return calls;
    });
    await expect(load()).rejects.toThrow('chunk missing');
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(calls).toBe(2);
  });
});
