//! Display formatting in pt-BR: dates, ages, money, phones, addresses; pure functions, no I/O.

import type { Address } from './bindings/Address';
import type { CodeLabel } from './bindings/CodeLabel';
import type { Phone } from './bindings/Phone';
import type { Status } from './bindings/Status';
import { t } from './i18n/pt-BR';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// One formatter of each kind, built once: pt-BR whatever the system's locale (the e2e tests run under C.UTF-8).
/** A calendar day, `05/03/2024`; days from the APIs have no time zone, so they are read and shown in UTC. */
const DAY = new Intl.DateTimeFormat('pt-BR', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
/** A local day, `05/03/2024`. */
const LOCAL_DAY = new Intl.DateTimeFormat('pt-BR', { day: '2-digit', month: '2-digit', year: 'numeric' });
/** A local time of day, `14:07`. */
const TIME = new Intl.DateTimeFormat('pt-BR', { hour: '2-digit', minute: '2-digit' });
/** "há 3 dias". */
const RELATIVE = new Intl.RelativeTimeFormat('pt-BR', { numeric: 'always', style: 'long' });

/** `2024-03-05` → `05/03/2024`; a timestamp → its local date; any other text is shown as the API gave it. */
export function date(value: string | null | undefined): string {
  if (!value) return t.common.none;
  const m = ISO_DATE.exec(value);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return Number.isNaN(d.getTime()) ? value : DAY.format(d);
  }
  const d = new Date(value);
  if (!Number.isNaN(d.getTime()) && /^\d{4}-\d{2}-\d{2}T/.test(value)) return LOCAL_DAY.format(d);
  return value;
}

/** An RFC 3339 instant → local `05/03/2024 14:07` (the day and the time, as receipts and tables show them). */
export function dateTime(value: string | null | undefined): string {
  if (!value) return t.common.none;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return `${LOCAL_DAY.format(d)} ${TIME.format(d)}`;
}

/** Whole years between an ISO birth date and `at` (today by default); null when unreadable. */
export function ageYears(birth: string | null | undefined, at: Date = new Date()): number | null {
  if (!birth) return null;
  const m = ISO_DATE.exec(birth);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  let age = at.getFullYear() - y;
  if (at.getMonth() + 1 < mo || (at.getMonth() + 1 === mo && at.getDate() < d)) age -= 1;
  return age >= 0 ? age : null;
}

/** How long ago an instant was, in words ("há 3 dias"), in the largest unit that fits. */
export function since(value: string, now: Date = new Date()): string {
  const then = new Date(value);
  if (Number.isNaN(then.getTime())) return value;
  const minutes = Math.max(0, Math.floor((now.getTime() - then.getTime()) / 60000));
  if (minutes < 1) return t.time.justNow;
  if (minutes < 60) return RELATIVE.format(-minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return RELATIVE.format(-hours, 'hour');
  const days = Math.floor(hours / 24);
  if (days < 60) return RELATIVE.format(-days, 'day');
  const months = Math.floor(days / 30);
  if (months < 24) return RELATIVE.format(-months, 'month');
  return RELATIVE.format(-Math.floor(days / 365), 'year');
}

/** A situação as text: the label, with the code and a flag when the code is in no table Balcão knows. */
export function statusText(status: Status): string {
  return status.unknown ? t.result.unknownStatus(status.label, status.code) : status.label;
}

/** Centavos (the API's unit) → `R$ 1.234,56`. */
export function reais(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return t.common.none;
  const value = cents / 100;
  return value.toLocaleString('pt-BR', { style: 'currency', currency: 'BRL' });
}

/** `(61) 3333-4444`. */
export function phone(p: Phone): string {
  const n = p.number.replace(/\D/g, '');
  const body = n.length === 9 ? `${n.slice(0, 5)}-${n.slice(5)}` : n.length === 8 ? `${n.slice(0, 4)}-${n.slice(4)}` : p.number;
  return p.ddd ? `(${p.ddd}) ${body}` : body;
}

/** `12345678` → `12345-678`. */
export function cep(value: string | null | undefined): string | null {
  if (!value) return null;
  return /^\d{8}$/.test(value) ? `${value.slice(0, 5)}-${value.slice(5)}` : value;
}

/** An address in two lines: street, then district · CEP · city/UF · country. */
export function addressLines(a: Address | null | undefined): string[] {
  if (!a) return [];
  const street = [a.streetType, a.street].filter(Boolean).join(' ');
  const first = [street, a.number, a.complement].filter(Boolean).join(', ');
  const city = [a.municipality?.label, a.uf].filter(Boolean).join('/');
  const second = [a.district, cep(a.cep), city, a.country?.label].filter(Boolean).join(' · ');
  return [first, second].filter((l) => l.length > 0);
}

/** `6201-5/01 — Desenvolvimento de software` style: code and label. */
export function codeLabel(c: CodeLabel | null | undefined): string {
  if (!c) return t.common.none;
  if (!c.code) return c.label;
  if (!c.label) return c.code;
  return `${c.code} — ${c.label}`;
}

export function yesNo(v: boolean | null | undefined): string {
  if (v === null || v === undefined) return t.common.none;
  return v ? t.common.yes : t.common.no;
}

/** A similarity score (0..1) as a percentage. */
export function percent(score: number): string {
  return `${Math.round(score * 100)}%`;
}

/** Local `YYYY-MM-DD` of a Date (for date inputs). */
export function isoDay(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** The name to show for a record: the person's name or the company's legal name. */
export function recordName(r: { kind: 'cpf'; name: string | null } | { kind: 'cnpj'; legalName: string | null }): string {
  return (r.kind === 'cpf' ? r.name : r.legalName) ?? t.common.none;
}
