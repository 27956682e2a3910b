//! Declared vs official: what the citizen says (name, birth date, mother's name) checked against a CPF record.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::text::{CLOSE_THRESHOLD, MATCH_THRESHOLD, RULE, similarity};
use crate::record::CpfRecord;

/// What the citizen declared; every field optional. `birth_date` accepts dd/mm/aaaa, d/m/aaaa, ddmmaaaa or aaaa-mm-dd.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Declaration {
    pub name: Option<String>,
    pub birth_date: Option<String>,
    pub mother_name: Option<String>,
}

/// How one declared field compares with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum MatchLevel {
    Match,
    Close,
    Different,
    /// Not declared, or not in the record: nothing to compare.
    Missing,
}

impl MatchLevel {
    /// pt-BR label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            MatchLevel::Match => "Confere",
            MatchLevel::Close => "Parecido",
            MatchLevel::Different => "Diferente",
            MatchLevel::Missing => "Sem dado para comparar",
        }
    }

    /// The level a similarity score reaches (see `compare::text` for the thresholds).
    pub fn from_score(score: f64) -> Self {
        if score >= MATCH_THRESHOLD {
            MatchLevel::Match
        } else if score >= CLOSE_THRESHOLD {
            MatchLevel::Close
        } else {
            MatchLevel::Different
        }
    }
}

/// One field of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldCheck {
    /// `name`, `birthDate` or `motherName`.
    pub key: String,
    pub label: String,
    /// As declared (dates shown as dd/mm/aaaa when readable).
    pub declared: Option<String>,
    /// As in the record (dates as dd/mm/aaaa).
    pub official: Option<String>,
    pub level: MatchLevel,
    pub level_label: String,
    /// 0..1.
    pub score: f64,
    /// pt-BR: why this level.
    pub note: String,
}

/// The whole check: one row per field, the worst level among the compared fields, and the rule applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationCheck {
    pub fields: Vec<FieldCheck>,
    /// The worst of Match/Close/Different among the compared fields; Missing when none could be compared.
    pub overall: MatchLevel,
    pub overall_label: String,
    /// One pt-BR line explaining the rule, for the UI.
    pub rule: String,
}

fn blank_to_none(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn row(
    key: &str,
    label: &str,
    declared: Option<String>,
    official: Option<String>,
    level: MatchLevel,
    score: f64,
    note: String,
) -> FieldCheck {
    FieldCheck {
        key: key.to_owned(),
        label: label.to_owned(),
        declared,
        official,
        level,
        level_label: level.label().to_owned(),
        score,
        note,
    }
}

fn missing_note(declared: bool, what: &str) -> String {
    if declared {
        format!("A base consultada não informa {what}; não há o que comparar.")
    } else {
        "Não declarado.".to_owned()
    }
}

fn check_name(key: &str, label: &str, what: &str, declared: Option<&str>, official: &[(&str, &str)]) -> FieldCheck {
    let Some(d) = declared else {
        let off = official.first().map(|(v, _)| (*v).to_owned());
        return row(key, label, None, off, MatchLevel::Missing, 0.0, missing_note(false, what));
    };
    let best = official.iter().map(|(v, source)| (similarity(d, v), *v, *source)).max_by(|a, b| a.0.total_cmp(&b.0));
    let Some((score, value, source)) = best else {
        return row(key, label, Some(d.to_owned()), None, MatchLevel::Missing, 0.0, missing_note(true, what));
    };
    let level = MatchLevel::from_score(score);
    let pct = (score * 100.0).round();
    let note = match level {
        MatchLevel::Match => format!("Confere com {source} (ignorando acentos, maiúsculas, pontuação e partículas)."),
        MatchLevel::Close => format!("Parecido com {source} ({pct}% de semelhança): confira a grafia com o documento."),
        _ => format!("Diferente de {source} ({pct}% de semelhança)."),
    };
    row(key, label, Some(d.to_owned()), Some(value.to_owned()), level, score, note)
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    fn new(year: u32, month: u32, day: u32) -> Option<Self> {
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1000..=9999).contains(&year) && (1..=days).contains(&day)).then_some(Self {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        })
    }

    /// Reads dd/mm/aaaa (also with `-` or `.`, one-digit day or month), ddmmaaaa, aaaa-mm-dd or aaaammdd.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.split_once('T').map_or(s, |(d, _)| d);
        let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
        let num = |p: &str| p.parse::<u32>().ok().filter(|_| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        match parts.as_slice() {
            [y, m, d] if y.len() == 4 => Self::new(num(y)?, num(m)?, num(d)?),
            [d, m, y] if y.len() == 4 && d.len() <= 2 && m.len() <= 2 => Self::new(num(y)?, num(m)?, num(d)?),
            [all] if all.len() == 8 => {
                let n = |r: std::ops::Range<usize>| num(&all[r]);
                Self::new(n(4..8)?, n(2..4)?, n(0..2)?).or_else(|| Self::new(n(0..4)?, n(4..6)?, n(6..8)?))
            }
            _ => None,
        }
    }

    pub(crate) fn br(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }
}

fn one_digit_apart(a: u16, b: u16) -> bool {
    let (a, b) = (format!("{a:04}"), format!("{b:04}"));
    a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count() == 1
}

fn check_birth(declared: Option<&str>, official: Option<&str>) -> FieldCheck {
    let (key, label) = ("birthDate", "Data de nascimento");
    let off_date = official.and_then(Date::parse);
    let off_text = official.map(|o| off_date.map_or_else(|| o.to_owned(), Date::br));
    let Some(d) = declared else {
        return row(key, label, None, off_text, MatchLevel::Missing, 0.0, missing_note(false, "a data de nascimento"));
    };
    let Some(dd) = Date::parse(d) else {
        let note = "Data declarada ilegível: use dd/mm/aaaa (por exemplo, 01/01/1975).".to_owned();
        return row(key, label, Some(d.to_owned()), off_text, MatchLevel::Different, 0.0, note);
    };
    let Some(od) = off_date else {
        let note = missing_note(true, "a data de nascimento");
        return row(key, label, Some(dd.br()), off_text, MatchLevel::Missing, 0.0, note);
    };
    let (level, score, note) = if dd == od {
        (MatchLevel::Match, 1.0, "Mesma data.".to_owned())
    } else if dd.year == od.year && dd.day == od.month && dd.month == od.day {
        (MatchLevel::Close, 0.7, "Dia e mês trocados: confira com o documento.".to_owned())
    } else if dd.day == od.day && dd.month == od.month && one_digit_apart(dd.year, od.year) {
        (MatchLevel::Close, 0.7, "Ano com um dígito diferente: confira com o documento.".to_owned())
    } else {
        let same = [dd.day == od.day, dd.month == od.month, dd.year == od.year].iter().filter(|b| **b).count();
        (MatchLevel::Different, same as f64 / 3.0, "Data diferente da registrada.".to_owned())
    };
    row(key, label, Some(dd.br()), off_text, level, score, note)
}

/// Checks what the citizen declared against a CPF record, field by field.
///
/// Names: [`similarity`] (the declared name is also tried against the nome social). Dates: equal → Match;
/// day and month swapped, or one digit of the year different → Close (0.7); otherwise Different
/// (score = share of day, month, year that agree). Absent on either side → Missing.
pub fn check_declaration(record: &CpfRecord, declared: &Declaration) -> DeclarationCheck {
    let mut names: Vec<(&str, &str)> = Vec::new();
    if let Some(n) = blank_to_none(record.name.as_deref()) {
        names.push((n, "o nome registrado"));
    }
    if let Some(n) = blank_to_none(record.social_name.as_deref()) {
        names.push((n, "o nome social"));
    }
    let mothers: Vec<(&str, &str)> =
        blank_to_none(record.mother_name.as_deref()).map(|m| (m, "o nome da mãe registrado")).into_iter().collect();
    let fields = vec![
        check_name("name", "Nome", "o nome", blank_to_none(declared.name.as_deref()), &names),
        check_birth(blank_to_none(declared.birth_date.as_deref()), blank_to_none(record.birth_date.as_deref())),
        check_name(
            "motherName",
            "Nome da mãe",
            "o nome da mãe",
            blank_to_none(declared.mother_name.as_deref()),
            &mothers,
        ),
    ];
    let overall =
        fields.iter().map(|f| f.level).filter(|l| *l != MatchLevel::Missing).max().unwrap_or(MatchLevel::Missing);
    let rule = format!("{RULE} Datas: iguais = Confere; dia e mês trocados ou um dígito do ano diferente = Parecido.");
    DeclarationCheck { fields, overall, overall_label: overall.label().to_owned(), rule }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Cpf;
    use crate::record::Status;

    fn record() -> CpfRecord {
        CpfRecord {
            name: Some("MARIA APARECIDA DA CONCEIÇÃO".into()),
            social_name: Some("MARCOS CONCEICAO".into()),
            birth_date: Some("1975-01-31".into()),
            ..CpfRecord::new(Cpf::parse("40442820135").unwrap(), Status::cpf("0", None))
        }
    }

    fn decl(name: &str, birth: &str, mother: &str) -> Declaration {
        let o = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        Declaration { name: o(name), birth_date: o(birth), mother_name: o(mother) }
    }

    #[test]
    fn dates_in_every_accepted_format() {
        let want = Date { year: 1975, month: 1, day: 31 };
        for s in [
            "31/01/1975",
            "31/1/1975",
            "31-01-1975",
            "31.01.1975",
            "31011975",
            "1975-01-31",
            "19750131",
            "1975-01-31T00:00:00Z",
        ] {
            assert_eq!(Date::parse(s), Some(want), "{s}");
        }
        for s in ["31/02/1975", "1975", "", "aa/bb/cccc", "00/01/1975", "+1/01/1975"] {
            assert_eq!(Date::parse(s), None, "{s}");
        }
        assert_eq!(Date::parse("29/02/2000").map(Date::br).as_deref(), Some("29/02/2000"));
        assert_eq!(Date::parse("29/02/1900"), None);
    }

    #[test]
    fn all_three_fields() {
        let c = check_declaration(&record(), &decl("Maria Aparecida da Conceicao", "31/01/1975", "Joana"));
        let levels: Vec<_> = c.fields.iter().map(|f| f.level).collect();
        assert_eq!(levels, [MatchLevel::Match, MatchLevel::Match, MatchLevel::Missing]);
        assert_eq!(c.overall, MatchLevel::Match);
        assert!(c.fields[2].note.contains("não informa o nome da mãe"), "{}", c.fields[2].note);
        assert_eq!(c.fields[1].official.as_deref(), Some("31/01/1975"));
        assert!(c.rule.contains("85%"));
    }

    #[test]
    fn close_and_different() {
        let c = check_declaration(&record(), &decl("Maria da Conceição", "01/31/1975", ""));
        assert_eq!(c.fields[0].level, MatchLevel::Close);
        assert_eq!(c.fields[1].level, MatchLevel::Different, "01/31 is not a date");
        assert!(c.fields[1].note.contains("ilegível"));
        let c = check_declaration(&record(), &decl("Ana Souza", "1975-01-13", ""));
        assert_eq!(c.fields[0].level, MatchLevel::Different);
        assert_eq!(c.fields[1].level, MatchLevel::Different);
        assert!((c.fields[1].score - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(c.overall, MatchLevel::Different);
        let mut r = record();
        r.birth_date = Some("1975-12-01".into());
        let c = check_declaration(&r, &decl("", "12/01/1975", ""));
        assert_eq!((c.fields[1].level, c.fields[1].score), (MatchLevel::Close, 0.7));
        let c = check_declaration(&r, &decl("", "01/12/1976", ""));
        assert_eq!(c.fields[1].level, MatchLevel::Close);
        assert_eq!(c.fields[0].level, MatchLevel::Missing);
        assert_eq!(c.overall, MatchLevel::Close);
    }

    #[test]
    fn social_name_and_nothing_declared() {
        let c = check_declaration(&record(), &decl("Marcos Conceição", "", ""));
        assert_eq!(c.fields[0].level, MatchLevel::Match);
        assert!(c.fields[0].note.contains("nome social"));
        let c = check_declaration(&record(), &Declaration::default());
        assert!(c.fields.iter().all(|f| f.level == MatchLevel::Missing));
        assert_eq!(c.overall, MatchLevel::Missing);
        assert_eq!(c.overall_label, "Sem dado para comparar");
    }

    #[test]
    fn serialises_camel_case() {
        let v = serde_json::to_value(check_declaration(&record(), &decl("x", "", ""))).unwrap();
        assert!(v["fields"][0]["levelLabel"].is_string());
        assert_eq!(v["fields"][1]["level"], "missing");
        assert!(v["overallLabel"].is_string());
    }
}
