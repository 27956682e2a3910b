//! "É sócio?": whether a CPF/CNPJ or a name appears in a company's partner list (QSA).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::declaration::MatchLevel;
use super::text::{CLOSE_THRESHOLD, MATCH_THRESHOLD, similarity};
use crate::doc::{Detection, DocKind, Document, detect};
use crate::record::{CnpjRecord, CnpjView, Partner};

/// The answer, in three words the clerk can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PartnerVerdict {
    Sim,
    Nao,
    /// The data at hand cannot settle it (no partner list, partners without CPF, only a similar name).
    NaoConfirmavel,
}

impl PartnerVerdict {
    pub fn label(self) -> &'static str {
        match self {
            PartnerVerdict::Sim => "Sim",
            PartnerVerdict::Nao => "Não",
            PartnerVerdict::NaoConfirmavel => "Não é possível confirmar",
        }
    }
}

/// What the clerk searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PartnerQueryKind {
    Cpf,
    Cnpj,
    Name,
    /// Digits that are not a valid CPF or CNPJ.
    InvalidDocument,
    Empty,
}

/// How a partner matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PartnerMatchBy {
    /// The whole CPF/CNPJ is equal.
    Document,
    /// The partner's number is masked (`***194884**`) and its visible digits agree.
    MaskedDocument,
    Name,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartnerMatch {
    /// Index in the record's partner list.
    pub index: u32,
    pub name: String,
    /// Qualificação, pt-BR.
    pub role: String,
    /// The partner's number as shown (formatted when valid), when the view has it.
    pub document: Option<String>,
    pub matched_by: PartnerMatchBy,
    /// 0..1.
    pub score: f64,
    pub level: MatchLevel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartnerCheck {
    pub query: String,
    pub query_kind: PartnerQueryKind,
    pub verdict: PartnerVerdict,
    /// "Sim", "Não" or "Não é possível confirmar".
    pub verdict_label: String,
    /// One or two pt-BR sentences: why, and what to do next.
    pub explanation: String,
    /// Whether the record has a partner list at all (absent in the `basica` view).
    pub partners_present: bool,
    /// Whether every partner comes with a CPF/CNPJ (`empresa` view); false in `qsa`.
    pub partners_have_documents: bool,
    pub partner_count: u32,
    /// Best first.
    pub matches: Vec<PartnerMatch>,
}

fn role(p: &Partner) -> String {
    let (label, code) = (p.role.label.trim(), p.role.code.trim());
    if label.is_empty() { format!("qualificação {code}") } else { label.to_owned() }
}

/// Upper-case alphanumerics and `*` of a partner's document; None when absent or all zeros.
fn partner_doc(p: &Partner) -> Option<String> {
    let d: String = p
        .document
        .as_deref()?
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '*')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    d.chars().any(|c| c != '0').then_some(d)
}

fn shown(doc: &str) -> String {
    Document::parse(doc).map_or_else(|_| doc.to_owned(), |d| d.formatted())
}

fn result(
    query: &str,
    query_kind: PartnerQueryKind,
    verdict: PartnerVerdict,
    explanation: String,
    record: &CnpjRecord,
    matches: Vec<PartnerMatch>,
) -> PartnerCheck {
    let partners = record.partners.as_deref().unwrap_or_default();
    PartnerCheck {
        query: query.to_owned(),
        query_kind,
        verdict,
        verdict_label: verdict.label().to_owned(),
        explanation,
        partners_present: record.partners.is_some(),
        partners_have_documents: !partners.is_empty() && partners.iter().all(|p| partner_doc(p).is_some()),
        partner_count: partners.len() as u32,
        matches,
    }
}

fn no_partner_list(record: &CnpjRecord) -> String {
    let nature: String =
        record.legal_nature.as_ref().map(|n| n.code.chars().filter(char::is_ascii_digit).collect()).unwrap_or_default();
    if record.view == CnpjView::Basica {
        "A visão básica não traz o quadro de sócios. Consulte este CNPJ na visão QSA ou Empresa.".to_owned()
    } else if nature == "2135" {
        "Empresário individual não tem quadro de sócios: o titular responde pela empresa. Confira o nome empresarial."
            .to_owned()
    } else {
        "A resposta não trouxe o quadro de sócios deste CNPJ; não há como confirmar.".to_owned()
    }
}

fn by_document(record: &CnpjRecord, partners: &[Partner], query: &str, doc: &Document) -> PartnerCheck {
    let (kind, label) = match doc.kind() {
        DocKind::Cpf => (PartnerQueryKind::Cpf, "CPF"),
        DocKind::Cnpj => (PartnerQueryKind::Cnpj, "CNPJ"),
    };
    let wanted = doc.as_str().as_bytes();
    let mut matches = Vec::new();
    for (i, p) in partners.iter().enumerate() {
        let Some(d) = partner_doc(p) else { continue };
        let masked = d.contains('*');
        let agrees = d.len() == wanted.len()
            && d.bytes().zip(wanted).all(|(x, w)| x == *w || (masked && x == b'*'))
            && d.bytes().any(|x| x != b'*');
        if agrees {
            let (matched_by, score, level) = if masked {
                (PartnerMatchBy::MaskedDocument, 0.5, MatchLevel::Close)
            } else {
                (PartnerMatchBy::Document, 1.0, MatchLevel::Match)
            };
            let document = Some(if masked { d.clone() } else { shown(&d) });
            matches.push(PartnerMatch {
                index: i as u32,
                name: p.name.clone(),
                role: role(p),
                document,
                matched_by,
                score,
                level,
            });
        }
    }
    matches.sort_by(|a, b| b.score.total_cmp(&a.score));
    let formatted = doc.formatted();
    let missing_docs = partners.iter().filter(|p| partner_doc(p).is_none()).count();
    let (verdict, explanation) = if let Some(m) = matches.iter().find(|m| m.matched_by == PartnerMatchBy::Document) {
        (PartnerVerdict::Sim, format!("O {label} {formatted} consta no quadro de sócios: {} ({}).", m.name, m.role))
    } else if let Some(m) = matches.first() {
        let e = format!(
            "Os dígitos visíveis do {label} conferem com {} ({}), mas o número está mascarado. Confira pelo nome ou consulte na visão Empresa.",
            m.name, m.role
        );
        (PartnerVerdict::NaoConfirmavel, e)
    } else if partners.is_empty() {
        (PartnerVerdict::Nao, "O quadro de sócios deste CNPJ está vazio.".to_owned())
    } else if missing_docs == partners.len() {
        let e = if record.view == CnpjView::Qsa {
            format!(
                "A visão QSA não traz o {label} dos sócios, então não dá para confirmar pelo número. Pesquise pelo nome ou consulte na visão Empresa."
            )
        } else {
            format!(
                "Os sócios vieram sem {label} nesta resposta, então não dá para confirmar pelo número. Pesquise pelo nome."
            )
        };
        (PartnerVerdict::NaoConfirmavel, e)
    } else if missing_docs > 0 {
        let e = format!(
            "Nenhum sócio com documento tem o {label} {formatted}, mas {missing_docs} sócio(s) vieram sem documento. Pesquise pelo nome."
        );
        (PartnerVerdict::NaoConfirmavel, e)
    } else {
        (PartnerVerdict::Nao, format!("Nenhum dos {} sócios tem o {label} {formatted}.", partners.len()))
    };
    result(query, kind, verdict, explanation, record, matches)
}

fn by_name(record: &CnpjRecord, partners: &[Partner], query: &str) -> PartnerCheck {
    let scored: Vec<(usize, f64)> = partners.iter().enumerate().map(|(i, p)| (i, similarity(query, &p.name))).collect();
    let mut matches: Vec<PartnerMatch> = scored
        .iter()
        .filter(|(_, s)| *s >= CLOSE_THRESHOLD)
        .map(|&(i, score)| {
            let p = &partners[i];
            PartnerMatch {
                index: i as u32,
                name: p.name.clone(),
                role: role(p),
                document: partner_doc(p).map(|d| if d.contains('*') { d } else { shown(&d) }),
                matched_by: PartnerMatchBy::Name,
                score,
                level: MatchLevel::from_score(score),
            }
        })
        .collect();
    matches.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    let (verdict, explanation) = match matches.first() {
        Some(m) if m.score >= MATCH_THRESHOLD => {
            let more = if matches.iter().filter(|m| m.level == MatchLevel::Match).count() > 1 {
                " Há mais de um sócio com este nome: confira o documento."
            } else {
                ""
            };
            (PartnerVerdict::Sim, format!("{} consta no quadro de sócios ({}).{more}", m.name, m.role))
        }
        Some(m) => (
            PartnerVerdict::NaoConfirmavel,
            format!(
                "Há um nome parecido no quadro de sócios: {} ({}, {:.0}% de semelhança). Confira com um documento.",
                m.name,
                m.role,
                m.score * 100.0
            ),
        ),
        None if partners.is_empty() => (PartnerVerdict::Nao, "O quadro de sócios deste CNPJ está vazio.".to_owned()),
        None => (PartnerVerdict::Nao, format!("Nenhum dos {} sócios tem nome igual ou parecido.", partners.len())),
    };
    result(query, PartnerQueryKind::Name, verdict, explanation, record, matches)
}

/// "É sócio?": looks for a CPF/CNPJ (any mask) or a name in the record's partner list.
///
/// A query with digits is read as a document: matched by number where the view carries numbers (`empresa`),
/// otherwise the answer is "Não é possível confirmar" with the reason. Any other query is a name, matched with
/// [`similarity`]: Confere → Sim, Parecido → Não é possível confirmar, below → Não.
pub fn find_partner(record: &CnpjRecord, query: &str) -> PartnerCheck {
    let q = query.trim();
    if q.is_empty() {
        let e = "Digite o CPF, o CNPJ ou o nome a procurar no quadro de sócios.".to_owned();
        return result(query, PartnerQueryKind::Empty, PartnerVerdict::NaoConfirmavel, e, record, vec![]);
    }
    let document = if q.chars().any(|c| c.is_numeric()) {
        match detect(q) {
            Detection::Cpf(c) => Some(Document::Cpf(c)),
            Detection::Cnpj(c) | Detection::Ambiguous { cnpj: c, .. } => Some(Document::Cnpj(c)),
            Detection::Invalid { error, .. } => {
                let e = format!("O número digitado não é um CPF ou CNPJ válido: {error}");
                return result(
                    query,
                    PartnerQueryKind::InvalidDocument,
                    PartnerVerdict::NaoConfirmavel,
                    e,
                    record,
                    vec![],
                );
            }
        }
    } else {
        None
    };
    let Some(partners) = record.partners.as_deref() else {
        let kind = match document.map(|d| d.kind()) {
            Some(DocKind::Cpf) => PartnerQueryKind::Cpf,
            Some(DocKind::Cnpj) => PartnerQueryKind::Cnpj,
            None => PartnerQueryKind::Name,
        };
        return result(query, kind, PartnerVerdict::NaoConfirmavel, no_partner_list(record), record, vec![]);
    };
    match document {
        Some(doc) => by_document(record, partners, query, &doc),
        None => by_name(record, partners, query),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Cnpj;
    use crate::record::{CodeLabel, Status};

    fn partner(name: &str, doc: Option<&str>) -> Partner {
        let cl = |c: &str, l: &str| CodeLabel { code: c.into(), label: l.into() };
        Partner {
            kind: cl("2", "Pessoa física"),
            name: name.into(),
            document: doc.map(Into::into),
            role: cl("49", "Sócio-Administrador"),
            since: None,
            country: None,
            legal_representative: None,
        }
    }

    fn company(view: CnpjView, partners: Option<Vec<Partner>>) -> CnpjRecord {
        CnpjRecord {
            cnpj: Cnpj::parse("34238864000168").unwrap(),
            view,
            legal_name: None,
            trade_name: None,
            establishment: None,
            status: Status::cnpj("2", None, None),
            legal_nature: None,
            opening_date: None,
            main_activity: None,
            secondary_activities: vec![],
            address: None,
            jurisdiction: None,
            phones: vec![],
            email: None,
            capital_cents: None,
            size: None,
            special_situation: None,
            special_situation_date: None,
            simples: None,
            mei: None,
            partners,
            extra: vec![],
        }
    }

    fn empresa() -> CnpjRecord {
        company(
            CnpjView::Empresa,
            Some(vec![
                partner("LUIZA ARAUJO DE OLIVEIRA", Some("07119488449")),
                partner("JOSE DA SILVA", Some("40442820135")),
            ]),
        )
    }

    #[test]
    fn by_cpf_in_empresa() {
        let c = find_partner(&empresa(), "404.428.201-35");
        assert_eq!(
            (c.verdict, c.query_kind, c.partners_have_documents),
            (PartnerVerdict::Sim, PartnerQueryKind::Cpf, true)
        );
        assert_eq!(c.matches.len(), 1);
        assert_eq!(c.matches[0].index, 1);
        assert_eq!(c.matches[0].document.as_deref(), Some("404.428.201-35"));
        assert!(c.explanation.contains("JOSE DA SILVA"));
        let c = find_partner(&empresa(), "630.172.859-95");
        assert_eq!(c.verdict, PartnerVerdict::Nao);
        assert_eq!(c.verdict_label, "Não");
        assert!(c.explanation.contains("Nenhum dos 2 sócios"), "{}", c.explanation);
    }

    #[test]
    fn by_cpf_in_qsa_cannot_confirm() {
        let mut r = empresa();
        r.view = CnpjView::Qsa;
        for p in r.partners.as_mut().unwrap() {
            p.document = None;
        }
        let c = find_partner(&r, "40442820135");
        assert_eq!(c.verdict, PartnerVerdict::NaoConfirmavel);
        assert_eq!(c.verdict_label, "Não é possível confirmar");
        assert!(c.explanation.contains("visão QSA não traz o CPF"), "{}", c.explanation);
        assert!(c.partners_present && !c.partners_have_documents);
        // The name still works in qsa.
        let c = find_partner(&r, "José da Silva");
        assert_eq!(c.verdict, PartnerVerdict::Sim);
        assert_eq!(c.matches[0].matched_by, PartnerMatchBy::Name);
    }

    #[test]
    fn masked_numbers_and_zeros() {
        let r = company(
            CnpjView::Qsa,
            Some(vec![partner("ANA", Some("***428201**")), partner("BIA", Some("00000000000"))]),
        );
        let c = find_partner(&r, "404.428.201-35");
        assert_eq!(c.verdict, PartnerVerdict::NaoConfirmavel);
        assert_eq!(c.matches[0].matched_by, PartnerMatchBy::MaskedDocument);
        assert_eq!(c.matches[0].name, "ANA");
        let c = find_partner(&r, "630.172.859-95");
        assert!(c.matches.is_empty());
        assert_eq!(c.verdict, PartnerVerdict::NaoConfirmavel, "BIA has no number");
    }

    #[test]
    fn by_name() {
        let c = find_partner(&empresa(), "luiza araújo oliveira");
        assert_eq!(c.verdict, PartnerVerdict::Sim);
        let c = find_partner(&empresa(), "Luiza Oliveira");
        assert_eq!(c.verdict, PartnerVerdict::NaoConfirmavel);
        assert!(c.explanation.contains("parecido"));
        assert_eq!(c.matches[0].level, MatchLevel::Close);
        let c = find_partner(&empresa(), "Pedro Souza");
        assert_eq!((c.verdict, c.matches.len()), (PartnerVerdict::Nao, 0));
    }

    #[test]
    fn no_list_invalid_and_empty() {
        let c = find_partner(&company(CnpjView::Basica, None), "40442820135");
        assert_eq!((c.verdict, c.partners_present), (PartnerVerdict::NaoConfirmavel, false));
        assert!(c.explanation.contains("visão básica"));
        let mut ei = company(CnpjView::Empresa, None);
        ei.legal_nature = Some(CodeLabel { code: "213-5".into(), label: "Empresário (Individual)".into() });
        assert!(find_partner(&ei, "Maria").explanation.contains("Empresário individual"));
        let c = find_partner(&empresa(), "404.428.201-36");
        assert_eq!((c.verdict, c.query_kind), (PartnerVerdict::NaoConfirmavel, PartnerQueryKind::InvalidDocument));
        assert!(c.explanation.contains("deveria ser 5"));
        assert_eq!(find_partner(&empresa(), "  ").query_kind, PartnerQueryKind::Empty);
        let c = find_partner(&company(CnpjView::Empresa, Some(vec![])), "Maria");
        assert_eq!(c.verdict, PartnerVerdict::Nao);
    }

    #[test]
    fn serialises_camel_case() {
        let v = serde_json::to_value(find_partner(&empresa(), "40442820135")).unwrap();
        assert_eq!(v["verdict"], "sim");
        assert_eq!(v["queryKind"], "cpf");
        assert_eq!(v["matches"][0]["matchedBy"], "document");
        assert_eq!(v["partnersPresent"], true);
    }
}
