// Date fields in dd/mm/aaaa whatever the OS locale: the mask as typed, the parser of typed and pasted dates, and the
// field component both screens use.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { isoToDisplay, maskDate, maskDateKeepingCaret, parseDate } from '../lib/dateInput';
import DateField from '../components/DateField.svelte';

describe('date mask and parser', () => {
  it('masks digits as dd/mm/aaaa as they are typed, and drops what is not a digit', () => {
    expect(maskDate('0')).toBe('0');
    expect(maskDate('07')).toBe('07');
    expect(maskDate('071')).toBe('07/1');
    expect(maskDate('0712')).toBe('07/12');
    expect(maskDate('07122')).toBe('07/12/2');
    expect(maskDate('07122026')).toBe('07/12/2026');
    expect(maskDate('0712202699')).toBe('07/12/2026');
    expect(maskDate('07/12/20ab26')).toBe('07/12/2026');
    expect(maskDate('')).toBe('');
  });

  it('pads a one-digit day or month when the clerk types the slash: "7/1/2026" key by key', () => {
    let v = '';
    for (const ch of '7/1/2026') v = maskDate(v + ch);
    expect(v).toBe('07/01/2026');
    v = '';
    for (const ch of '07/12/2026') v = maskDate(v + ch);
    expect(v).toBe('07/12/2026');
  });

  it('reads a pasted date whole: dd/mm/aaaa, one-digit parts, dashes, dots, ISO', () => {
    expect(maskDate('7/1/2026')).toBe('07/01/2026');
    expect(maskDate(' 2026-12-07 ')).toBe('07/12/2026');
    expect(maskDate('07.12.2026')).toBe('07/12/2026');
    expect(parseDate('07/12/2026')).toBe('2026-12-07');
    expect(parseDate('7-1-2026')).toBe('2026-01-07');
    expect(parseDate('07122026')).toBe('2026-12-07');
    expect(parseDate('2026-12-07')).toBe('2026-12-07');
  });

  it('refuses what is not a real calendar day, and never reads month/day/year', () => {
    expect(parseDate('12/31/2026')).toBeNull(); // month 31: an English date is not silently swapped
    expect(parseDate('31/04/2026')).toBeNull();
    expect(parseDate('29/02/2026')).toBeNull();
    expect(parseDate('29/02/2024')).toBe('2024-02-29');
    expect(parseDate('00/01/2026')).toBe(null);
    expect(parseDate('07/12/26')).toBeNull();
    expect(parseDate('07/12')).toBeNull();
    expect(parseDate('')).toBeNull();
    expect(parseDate('abc')).toBeNull();
  });

  it('keeps the caret after the same digit when the mask adds slashes', () => {
    expect(maskDateKeepingCaret('0712', 4)).toEqual({ value: '07/12', caret: 5 });
    // A digit inserted at the start of "07/12/2026" (caret after it): the caret stays after that digit.
    expect(maskDateKeepingCaret('107/12/2026', 1)).toEqual({ value: '10/07/1220', caret: 1 });
    expect(maskDateKeepingCaret('07/122026', 5)).toEqual({ value: '07/12/2026', caret: 5 });
  });

  it('shows an ISO day as dd/mm/aaaa', () => {
    expect(isoToDisplay('2026-12-07')).toBe('07/12/2026');
    expect(isoToDisplay('')).toBe('');
  });
});

describe('DateField', () => {
  function typeInto(el: HTMLInputElement, value: string) {
    el.value = value;
    el.setSelectionRange(value.length, value.length);
    return fireEvent.input(el);
  }

  it('is a text field that shows dd/mm/aaaa and gives the ISO day, not a native (OS-language) date input', async () => {
    render(DateField, { id: 'd', testid: 'd', value: '2026-11-01' });
    const el = screen.getByTestId('d') as HTMLInputElement;
    expect(el.type).toBe('text');
    expect(el.placeholder).toBe('dd/mm/aaaa');
    expect(el.value).toBe('01/11/2026');
    await typeInto(el, '15012024');
    expect(el.value).toBe('15/01/2024');
    expect(el.dataset.iso).toBe('2024-01-15');
  });

  it('says a date is invalid once it is complete, and gives no day for it', async () => {
    render(DateField, { id: 'd', testid: 'd' });
    const el = screen.getByTestId('d') as HTMLInputElement;
    await typeInto(el, '31022024');
    expect(el.value).toBe('31/02/2024');
    expect(el.dataset.iso).toBe('');
    expect(el.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('d-error').textContent).toBe('Data inválida: use dd/mm/aaaa.');
  });
});
