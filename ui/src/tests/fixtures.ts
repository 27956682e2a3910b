// Fixture "demo" of every result shape, typed by the generated bindings; used by tests only, never by production code.
import type { AppInfo } from '../lib/bindings/AppInfo';
import type { CnpjRecord } from '../lib/bindings/CnpjRecord';
import type { CpfRecord } from '../lib/bindings/CpfRecord';
import type { ErrorCode } from '../lib/bindings/ErrorCode';
import type { LookupResponse } from '../lib/bindings/LookupResponse';
import type { OfficialRecord } from '../lib/bindings/OfficialRecord';
import type { DeclarationCheck } from '../lib/bindings/DeclarationCheck';
import type { HistoryEntry } from '../lib/bindings/HistoryEntry';
import type { HistoryPage } from '../lib/bindings/HistoryPage';
import type { HistoryStats } from '../lib/bindings/HistoryStats';
import type { HistorySummary } from '../lib/bindings/HistorySummary';
import type { PartnerCheck } from '../lib/bindings/PartnerCheck';
import type { Profile } from '../lib/bindings/Profile';
import type { ProfileEntry } from '../lib/bindings/ProfileEntry';
import type { RecordDiff } from '../lib/bindings/RecordDiff';
import type { Settings } from '../lib/bindings/Settings';
import type { StatusInfo } from '../lib/bindings/StatusInfo';
import type { UpdateCheck } from '../lib/bindings/UpdateCheck';
import { isoDay } from '../lib/format';

export const messages: Record<ErrorCode, string> = {
  InvalidDocument: 'Número inválido. Confira os dígitos digitados; nenhuma consulta foi feita.',
  NotFound: 'Nenhum cadastro encontrado para este número na base consultada.',
  Unauthorized: 'As credenciais deste perfil foram recusadas. Peça à TI para conferir a chave e o segredo em Configurações.',
  Forbidden: 'Esta API não está contratada para este perfil. Peça à TI para conferir o contrato ou o caminho configurado.',
  MinorDataBlocked: 'Os dados deste CPF pertencem a menor de idade e não podem ser exibidos (LGPD).',
  RateLimited: 'Muitas consultas em pouco tempo. Aguarde alguns segundos e tente de novo.',
  QuotaExhausted: 'A cota de consultas deste perfil acabou. Avise a TI; nenhuma nova consulta será cobrada.',
  Upstream: 'O serviço do governo respondeu com erro. Tente de novo em instantes; se persistir, avise a TI.',
  Network: 'Sem conexão com o serviço do governo. Verifique a rede e tente de novo.',
  Timeout: 'O serviço do governo demorou demais para responder. Tente de novo em instantes.',
  Tls: 'Conexão segura recusada: o certificado do servidor não é confiável nesta máquina. Avise a TI.',
  KeychainUnavailable:
    'O cofre de senhas do sistema não está disponível. Desbloqueie sua sessão ou avise a TI; nada foi gravado sem criptografia.',
  HistoryLocked: 'Não foi possível abrir o histórico criptografado. Avise a TI; o arquivo não foi alterado.',
  Config: 'A configuração deste perfil está incompleta. Revise-a em Configurações.',
  PurposeRequired: 'Informe a finalidade ou o número do protocolo antes de consultar.',
  Busy: 'Há uma operação em andamento. Aguarde o fim dela e tente de novo.',
  Internal: 'Erro inesperado no Balcão. Tente de novo; se persistir, copie o diagnóstico e avise a TI.',
};

export const demoProfile = {
  id: 'demonstracao',
  name: 'Demonstração',
  provider: 'serpro',
  environment: 'demonstracao',
  isDemo: true,
} as const;

export const appInfoDemo: AppInfo = { version: '0.1.0', profile: { ...demoProfile }, purposeRequired: false };

export const appInfoProd: AppInfo = {
  version: '0.1.0',
  profile: { id: 'serpro-prod', name: 'SERPRO Produção', provider: 'serpro', environment: 'producao', isDemo: false },
  purposeRequired: true,
};

export const settings: Settings = {
  clerkCpf: '111.444.777-35',
  purposeRequired: false,
  retention: { maxAgeDays: 90, maxEntries: 50000 },
  idleLockMinutes: 10,
  activeProfile: 'demonstracao',
  firstRunDone: true,
  managed: {
    policyFile: null,
    broken: null,
    purposeRequired: false,
    retention: false,
    idleLockMinutes: false,
    pinRequired: false,
    noClerkProfiles: false,
  },
};

export const statusDemo: StatusInfo = {
  profile: { ...demoProfile },
  tokenValidUntil: null,
  quotas: [
    { api: 'serproCpfV2', used: 3, limit: null, nearLimit: false, exhausted: false },
    { api: 'serproCnpj', used: 1, limit: null, nearLimit: false, exhausted: false },
  ],
  agency: null,
};

export const statusProd: StatusInfo = {
  profile: { ...appInfoProd.profile },
  tokenValidUntil: '2026-11-26T15:30:00Z',
  quotas: [
    { api: 'serproCpfV2', used: 120, limit: 1000, nearLimit: false, exhausted: false },
    { api: 'serproCnpj', used: 7, limit: null, nearLimit: false, exhausted: false },
  ],
  agency: null,
};

export const cpfRegular: CpfRecord = {
  cpf: '40442820135',
  name: 'Nome do CPF 404.428.201-35',
  socialName: 'Nome Social Exemplo',
  status: { code: '0', label: 'Regular', severity: 'ok', date: null, reason: null, unknown: false },
  birthDate: '1980-01-15',
  deathYear: null,
  registrationDate: '1998-06-02',
  motherName: 'Mãe Exemplo da Silva',
  sex: 'Feminino',
  address: {
    streetType: 'Rua',
    street: 'das Flores',
    number: '100',
    complement: 'apto 12',
    district: 'Centro',
    cep: '70040010',
    municipality: { code: '9701', label: 'Brasília' },
    uf: 'DF',
    country: null,
  },
  phones: [{ ddd: '61', number: '33334444' }],
  residentAbroad: false,
  foreigner: null,
  updatedOn: '2024-03-05',
  extra: [{ key: 'tituloEleitor', label: 'Título de eleitor', value: '0123 4567 8901' }],
};

export const cpfDeceased: CpfRecord = {
  ...cpfRegular,
  cpf: '63017285995',
  name: 'Titular Falecido Exemplo',
  socialName: null,
  status: { code: '3', label: 'Titular falecido', severity: 'danger', date: null, reason: null, unknown: false },
  deathYear: 2019,
  extra: [],
};

const partners: CnpjRecord['partners'] = [
  {
    kind: { code: '2', label: 'Pessoa física' },
    name: 'Sócia Administradora Exemplo',
    document: '404.428.201-35',
    role: { code: '49', label: 'Sócio-Administrador' },
    since: '2010-05-01',
    country: null,
    legalRepresentative: null,
  },
  {
    kind: { code: '3', label: 'Estrangeiro' },
    name: 'Foreign Partner Ltd',
    document: null,
    role: { code: '37', label: 'Sócio Pessoa Jurídica Domiciliado no Exterior' },
    since: '2015-01-20',
    country: { code: '249', label: 'Estados Unidos' },
    legalRepresentative: { cpf: '111.444.777-35', name: 'Representante Exemplo', role: { code: '17', label: 'Procurador' } },
  },
];

export const cnpjEmpresa: CnpjRecord = {
  cnpj: '34238864000168',
  view: 'empresa',
  legalName: 'Empresa Exemplo Ltda',
  tradeName: 'Exemplo',
  establishment: 'matriz',
  status: { code: '2', label: 'Ativa', severity: 'ok', date: '2005-11-03', reason: 'Sem motivo', unknown: false },
  legalNature: { code: '2062', label: 'Sociedade Empresária Limitada' },
  openingDate: '2005-11-03',
  mainActivity: { code: '6201501', label: 'Desenvolvimento de programas de computador sob encomenda' },
  secondaryActivities: [{ code: '6204000', label: 'Consultoria em tecnologia da informação' }],
  address: {
    streetType: 'Avenida',
    street: 'Central',
    number: '1',
    complement: null,
    district: 'Asa Sul',
    cep: '70070120',
    municipality: { code: '9701', label: 'Brasília' },
    uf: 'DF',
    country: null,
  },
  jurisdiction: null,
  phones: [{ ddd: '61', number: '999998888' }],
  email: 'contato@exemplo.com.br',
  capitalCents: 12345678,
  size: { code: '03', label: 'Empresa de pequeno porte' },
  specialSituation: null,
  specialSituationDate: null,
  simples: { opted: true, periods: [{ start: '2010-01-01', end: '2015-12-31' }, { start: '2018-01-01', end: null }] },
  mei: { opted: false, periods: [] },
  partners,
  extra: [],
};

export const cnpjBasica: CnpjRecord = {
  ...cnpjEmpresa,
  view: 'basica',
  establishment: null,
  simples: null,
  mei: null,
  partners: null,
  capitalCents: null,
};

export const cnpjFilialQsa: CnpjRecord = {
  ...cnpjEmpresa,
  cnpj: '12ABC34501DE35',
  view: 'qsa',
  establishment: 'filial',
  status: { code: '8', label: 'Baixada', severity: 'danger', date: '2022-07-01', reason: 'Extinção por encerramento', unknown: false },
  partners: partners.map((p) => ({ ...p, document: null })),
};

export function rec(r: CpfRecord): OfficialRecord;
export function rec(r: CnpjRecord): OfficialRecord;
export function rec(r: CpfRecord | CnpjRecord): OfficialRecord {
  return 'cpf' in r ? { kind: 'cpf', ...r } : { kind: 'cnpj', ...r };
}

export function response(
  r: CpfRecord | CnpjRecord,
  opts: { historyId?: number | null; partial?: boolean; consultedAt?: string } = {},
): LookupResponse {
  const isCpf = 'cpf' in r;
  const record = isCpf ? rec(r as CpfRecord) : rec(r as CnpjRecord);
  const formatted = isCpf
    ? (r as CpfRecord).cpf.replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4')
    : (r as CnpjRecord).cnpj.replace(/^(.{2})(.{3})(.{3})(.{4})(\d{2})$/, '$1.$2.$3/$4-$5');
  return {
    lookup: {
      record,
      meta: {
        api: isCpf ? 'serproCpfV2' : 'serproCnpj',
        httpStatus: opts.partial ? 206 : 200,
        latencyMs: 42,
        activityId: 'act-123',
        billable: true,
      },
      raw: JSON.stringify({ ni: 'cpf' in r ? (r as CpfRecord).cpf : (r as CnpjRecord).cnpj, situacao: { codigo: r.status.code } }),
      consultedAt: opts.consultedAt ?? '2026-11-26T14:00:00Z',
      partial: opts.partial ?? false,
    },
    historyId: opts.historyId === undefined ? 7 : opts.historyId,
    kind: isCpf ? 'cpf' : 'cnpj',
    formatted,
  };
}

export function summary(id: number, r: CpfRecord | CnpjRecord, at: string, over: Partial<HistorySummary> = {}): HistorySummary {
  const resp = response(r);
  return {
    id: id,
    at,
    day: at.slice(0, 10),
    profileId: 'demonstracao',
    profileName: 'Demonstração',
    environment: 'demonstracao',
    api: resp.lookup.meta.api,
    view: 'cpf' in r ? null : (r as CnpjRecord).view,
    kind: resp.kind,
    number: 'cpf' in r ? (r as CpfRecord).cpf : (r as CnpjRecord).cnpj,
    formatted: resp.formatted,
    name: 'cpf' in r ? (r as CpfRecord).name : (r as CnpjRecord).legalName,
    status: r.status,
    outcome: 'found',
    errorCode: null,
    httpStatus: 200,
    billable: true,
    ...over,
  };
}

export function entry(s: HistorySummary, r: CpfRecord | CnpjRecord | null): HistoryEntry {
  const resp = r ? response(r, { consultedAt: s.at }) : null;
  return {
    summary: s,
    lookup: resp ? resp.lookup : null,
    error: r ? null : { code: 'NotFound', message: messages.NotFound },
    meta: resp ? resp.lookup.meta : null,
    raw: r ? '{}' : null,
  };
}

export const olderCpf: CpfRecord = { ...cpfRegular, name: 'Nome Antigo', motherName: 'Mãe Exemplo da Silva' };

export const historyItems: HistorySummary[] = [
  summary(9, cpfRegular, '2026-11-26T14:00:00Z'),
  summary(8, cnpjEmpresa, '2026-11-25T10:00:00Z'),
  summary(5, olderCpf, '2026-10-01T09:30:00Z'),
  summary(4, cpfRegular, '2026-09-01T09:30:00Z', { outcome: 'notFound', status: null, name: null, errorCode: 'NotFound' }),
];

export const historyPage: HistoryPage = { items: historyItems, nextBeforeId: null };

export const diffChanged: RecordDiff = {
  leftKind: 'cpf',
  rightKind: 'cpf',
  leftNumber: '404.428.201-35',
  rightNumber: '404.428.201-35',
  sameDocument: true,
  changedCount: 1,
  fields: [
    { key: 'name', label: 'Nome', left: 'Nome Antigo', right: 'Nome do CPF 404.428.201-35', changed: true, items: [] },
    { key: 'status', label: 'Situação cadastral', left: 'Regular', right: 'Regular', changed: false, items: [] },
    {
      key: 'phones',
      label: 'Telefones',
      left: '(61) 3333-4444',
      right: '(61) 3333-4444',
      changed: false,
      items: [{ value: '(61) 3333-4444', side: 'both' }],
    },
  ],
};

export const diffTwoCnpj: RecordDiff = {
  leftKind: 'cnpj',
  rightKind: 'cnpj',
  leftNumber: '34.238.864/0001-68',
  rightNumber: '12.ABC.345/01DE-35',
  sameDocument: false,
  changedCount: 2,
  fields: [
    { key: 'status', label: 'Situação cadastral', left: 'Ativa', right: 'Baixada', changed: true, items: [] },
    { key: 'legalName', label: 'Razão social', left: 'Empresa Exemplo Ltda', right: 'Empresa Exemplo Ltda', changed: false, items: [] },
    {
      key: 'partners',
      label: 'Sócios',
      left: 'A; B',
      right: 'B; C',
      changed: true,
      items: [
        { value: 'A', side: 'left' },
        { value: 'B', side: 'both' },
        { value: 'C', side: 'right' },
      ],
    },
  ],
};

export const diffNone: RecordDiff = { ...diffChanged, changedCount: 0, fields: diffChanged.fields.map((f) => ({ ...f, changed: false })) };

export const declarationCheck: DeclarationCheck = {
  overall: 'different',
  overallLabel: 'Diferente',
  rule: 'Nomes: semelhança ≥ 90% confere, ≥ 75% parecido; datas: iguais ou diferentes.',
  fields: [
    {
      key: 'name',
      label: 'Nome',
      declared: 'Nome do CPF 404428201-35',
      official: 'Nome do CPF 404.428.201-35',
      level: 'match',
      levelLabel: 'Confere',
      score: 0.97,
      note: 'Iguais sem acentos e pontuação.',
    },
    {
      key: 'birthDate',
      label: 'Data de nascimento',
      declared: '16/01/1980',
      official: '15/01/1980',
      level: 'different',
      levelLabel: 'Diferente',
      score: 0,
      note: 'Datas diferentes.',
    },
    {
      key: 'motherName',
      label: 'Nome da mãe',
      declared: null,
      official: 'Mãe Exemplo da Silva',
      level: 'missing',
      levelLabel: 'Sem dado para comparar',
      score: 0,
      note: 'Não declarado.',
    },
  ],
};

export const partnerYes: PartnerCheck = {
  query: '404.428.201-35',
  queryKind: 'cpf',
  verdict: 'sim',
  verdictLabel: 'Sim',
  explanation: 'O CPF consta no quadro societário como Sócio-Administrador.',
  partnersPresent: true,
  partnersHaveDocuments: true,
  partnerCount: 2,
  matches: [
    {
      index: 0,
      name: 'Sócia Administradora Exemplo',
      role: 'Sócio-Administrador',
      document: '404.428.201-35',
      matchedBy: 'document',
      score: 1,
      level: 'match',
    },
  ],
};

export const partnerUnsure: PartnerCheck = {
  query: 'Fulano',
  queryKind: 'name',
  verdict: 'naoConfirmavel',
  verdictLabel: 'Não é possível confirmar',
  explanation: 'A visão básica não traz o quadro societário. Consulte na visão QSA ou Empresa.',
  partnersPresent: false,
  partnersHaveDocuments: false,
  partnerCount: 0,
  matches: [],
};

function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return isoDay(d);
}

export const stats: HistoryStats = {
  daily: [
    { day: daysAgo(2), lookups: 5, billable: 4, byApi: [{ api: 'serproCpfV2', count: 3 }, { api: 'serproCnpj', count: 1 }] },
    { day: daysAgo(0), lookups: 2, billable: 2, byApi: [{ api: 'serproCpfV2', count: 2 }] },
  ],
  quota: [
    { profileId: 'demonstracao', api: 'serproCpfV2', usedToday: 2, usedThisMonth: 5, usedTotal: 40 },
    { profileId: 'demonstracao', api: 'serproCnpj', usedToday: 0, usedThisMonth: 1, usedTotal: 9 },
  ],
};

export const emptyStats: HistoryStats = { daily: [], quota: [] };

const network = {
  connectTimeoutMs: 10000,
  totalTimeoutMs: 30000,
  maxRetries: 2,
  retryBaseMs: 200,
  retryMaxDelayMs: 5000,
  maxConcurrency: 4,
  rateLimitRps: null,
};

const noPaths = { token: null, cpf: null, cnpjBasica: null, cnpjQsa: null, cnpjEmpresa: null };

export const profileList: Profile[] = [
  {
    id: 'demonstracao',
    name: 'Demonstração',
    provider: 'serpro',
    environment: 'demonstracao',
    baseUrl: 'http://127.0.0.1:9999',
    cpfApi: 'serproV2',
    cnpjViews: ['basica', 'qsa', 'empresa'],
    clerkCpf: null,
    paths: noPaths,
    extraCaFile: null,
    quotaLimit: null,
    quotaWarnPercent: null,
    network,
  },
  {
    id: 'serpro-prod',
    name: 'SERPRO Produção',
    provider: 'serpro',
    environment: 'producao',
    baseUrl: 'https://gateway.apiserpro.serpro.gov.br',
    cpfApi: 'serproV1',
    cnpjViews: ['empresa'],
    clerkCpf: '111.444.777-35',
    paths: noPaths,
    extraCaFile: null,
    quotaLimit: 1000,
    quotaWarnPercent: 90,
    network,
  },
];

/** What profiles_list answers: each profile with whether its credentials are stored. */
export const profiles: ProfileEntry[] = [
  { profile: profileList[0]!, credentials: 'notNeeded', managed: false },
  { profile: profileList[1]!, credentials: 'missing', managed: false },
];

/** An update offered by the server (update_status / update_check). */
export const updateAvailable: UpdateCheck = {
  state: 'available',
  currentVersion: '0.1.0',
  offeredVersion: '0.2.0',
  date: null,
  notes: 'Correções.',
  message: 'A versão 0.2.0 está disponível.',
};
