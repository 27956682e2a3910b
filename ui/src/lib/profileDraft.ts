//! The profile being edited in Configurações: a draft with numbers as the text of their inputs, and its checks.

import type { CnpjView } from './bindings/CnpjView';
import type { CpfApi } from './bindings/CpfApi';
import type { Environment } from './bindings/Environment';
import type { Provider } from './bindings/Provider';
import type { Profile } from './bindings/Profile';
import { t } from './i18n/pt-BR';

export const PROVIDERS: Provider[] = ['serpro', 'conecta'];
export const ENVIRONMENTS: Environment[] = ['serproTrial', 'homologacao', 'producao', 'custom'];
export const CPF_APIS: Record<Provider, CpfApi[]> = { serpro: ['serproV1', 'serproV2'], conecta: ['conectaLight'] };
export const VIEWS: CnpjView[] = ['basica', 'qsa', 'empresa'];
const SERPRO_GATEWAY = 'https://gateway.apiserpro.serpro.gov.br';

/** The profile being edited, with numbers as the text of their inputs. */
export type Draft = {
  isNew: boolean;
  profile: Profile;
  quotaLimit: string;
  quotaWarn: string;
  rps: string;
};

/** A number's text for its input ('' when unset). */
export function text(n: number | bigint | null | undefined): string {
  return n === null || n === undefined ? '' : String(n);
}

/** An optional positive number typed by the clerk: null when empty, undefined when not a positive number. */
export function optionalNumber(s: string): number | null | undefined {
  const v = s.trim();
  if (!v) return null;
  const n = Number(v.replace(',', '.'));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The pt-BR refusal of the first number (from `optionalNumber`, with its field's label) that is not a positive
 * number, or not a whole one when `whole`; null when all are acceptable.
 */
export function refuseNumbers(fields: [number | null | undefined, string][], whole = false): string | null {
  for (const [v, label] of fields) {
    if (v === undefined || (whole && v !== null && !Number.isInteger(v))) return t.settings.invalidNumber(label);
  }
  return null;
}

/** A stable id from the name for a new profile: lower case, accents dropped, spaces as "-". */
export function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A new SERPRO production profile with the default network settings. */
export function newDraft(clerkCpf: string | null): Draft {
  return {
    isNew: true,
    profile: {
      id: '',
      name: '',
      provider: 'serpro',
      environment: 'producao',
      baseUrl: SERPRO_GATEWAY,
      cpfApi: 'serproV2',
      cnpjViews: ['empresa'],
      clerkCpf,
      paths: { token: null, cpf: null, cnpjBasica: null, cnpjQsa: null, cnpjEmpresa: null },
      extraCaFile: null,
      quotaLimit: null,
      quotaWarnPercent: null,
      network: {
        connectTimeoutMs: 10_000,
        totalTimeoutMs: 30_000,
        maxRetries: 2,
        retryBaseMs: 200,
        retryMaxDelayMs: 5_000,
        maxConcurrency: 4,
        rateLimitRps: null,
      },
    },
    quotaLimit: '',
    quotaWarn: '',
    rps: '',
  };
}

/** A stored profile (a copy) as a draft. */
export function draftOf(p: Profile): Draft {
  return {
    isNew: false,
    profile: p,
    quotaLimit: text(p.quotaLimit),
    quotaWarn: text(p.quotaWarnPercent),
    rps: text(p.network.rateLimitRps),
  };
}

/** Changes the provider, keeping the CPF API and the address consistent with it. */
export function setProvider(p: Profile, pr: Provider): void {
  p.provider = pr;
  if (p.cpfApi && !CPF_APIS[pr].includes(p.cpfApi)) p.cpfApi = CPF_APIS[pr][0] ?? null;
  if (pr === 'serpro' && !p.baseUrl) p.baseUrl = SERPRO_GATEWAY;
  if (pr === 'conecta' && p.baseUrl === SERPRO_GATEWAY) p.baseUrl = '';
}

/** Adds or removes a CNPJ view, keeping the views in their fixed order. */
export function toggleView(p: Profile, v: CnpjView): void {
  const views = p.cnpjViews;
  p.cnpjViews = views.includes(v) ? views.filter((x) => x !== v) : VIEWS.filter((x) => x === v || views.includes(x));
}

/**
 * The profile to save from a draft (a plain copy): trimmed, the id from the name when new, numbers parsed. A string
 * is the pt-BR reason the draft is refused before any call (Rust checks the rest when saving).
 */
export function profileFromDraft(draft: Draft, p: Profile): Profile | string {
  p.name = p.name.trim();
  if (!p.name) return t.settings.nameMissing;
  if (draft.isNew && !p.id) p.id = slug(p.name);
  if (!/^[A-Za-z0-9._-]+$/.test(p.id)) return t.settings.idInvalid;
  const quota = optionalNumber(draft.quotaLimit);
  const warn = optionalNumber(draft.quotaWarn);
  const rps = optionalNumber(draft.rps);
  const refused = refuseNumbers([
    [quota, t.settings.quotaLimit],
    [warn, t.settings.quotaWarn],
    [rps, t.settings.rateLimit],
  ]);
  if (refused) return refused;
  p.quotaLimit = quota === undefined || quota === null ? null : Math.round(quota);
  p.quotaWarnPercent = warn === undefined || warn === null ? null : Math.round(warn);
  p.network.rateLimitRps = rps ?? null;
  p.baseUrl = p.baseUrl.trim();
  p.clerkCpf = p.clerkCpf?.trim() || null;
  p.extraCaFile = p.extraCaFile?.trim() || null;
  for (const k of ['token', 'cpf', 'cnpjBasica', 'cnpjQsa', 'cnpjEmpresa'] as const) p.paths[k] = p.paths[k]?.trim() || null;
  return p;
}
