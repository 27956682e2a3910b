//! CSV exports of the history and of the audit trail: header naming who and when, period selection, masked
//! numbers in the audit, and the export itself audited.

mod common;

use balcao_core::Cpf;
use balcao_core::history_api::{AuditEvent, DayRange};
use balcao_core::record::ApiKind;
use balcao_history::Actor;
use common::*;
use time::macros::datetime;

fn actor() -> Actor {
    Actor { clerk_cpf: Some(Cpf::parse("91708635203").unwrap()), os_user: "supervisora".into() }
}

fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("UTF-8 BOM for spreadsheets");
    let mut r =
        csv::ReaderBuilder::new().delimiter(b';').flexible(true).has_headers(false).from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

#[test]
fn history_export_has_a_who_and_when_header_and_the_selected_days() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let c = ctx();
    h.record_at(&c, &found_cpf("40442820135", "Ana; \"Aspas\""), &doc("40442820135"), datetime!(2026-03-01 15:00 UTC))
        .unwrap();
    h.record_at(&c, &not_found(ApiKind::SerproCpfV1), &doc("63017285995"), datetime!(2026-03-02 15:00 UTC)).unwrap();
    h.record_at(&c, &found_cpf("11144477735", "Fora"), &doc("11144477735"), datetime!(2026-03-05 15:00 UTC)).unwrap();
    let mut out = Vec::new();
    let range = DayRange { from: Some("2026-03-01".into()), to: Some("2026-03-02".into()) };
    assert_eq!(h.export_history_csv(&mut out, &range, &actor()).unwrap(), 2);
    let rows = rows(&out);
    assert_eq!(rows[0], ["Balcão — Histórico de consultas"]);
    assert_eq!(rows[1], ["Exportado por", "supervisora (CPF 917.086.352-03)"]);
    assert_eq!(rows[2][0], "Exportado em (UTC)");
    assert!(rows[2][1].ends_with('Z'));
    assert_eq!(rows[3], ["Período", "01/03/2026 a 02/03/2026"]);
    assert_eq!(rows[5][0], "Id");
    let data = &rows[6..];
    assert_eq!(data.len(), 2);
    assert_eq!(data[0][8], "404.428.201-35");
    assert_eq!(data[0][9], "Ana; \"Aspas\"");
    assert_eq!(data[0][11], "Encontrado");
    assert_eq!(data[1][11], "Não encontrado");
    assert_eq!(data[1][13], "404");
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit[0].event, AuditEvent::Export);
    assert!(audit[0].detail.as_deref().unwrap().contains("2 linha(s)"));
    assert_eq!(audit[0].clerk_cpf.as_deref(), Some("91708635203"));
}

#[test]
fn audit_export_masks_numbers_and_lists_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let mut c = ctx();
    c.authorization_code = Some("ECAC-99".into());
    c.do_not_record = true;
    h.record(&c, &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    h.record(&ctx(), &network_failure(), &doc("12ABC34501DE35")).unwrap();
    let mut first = Vec::new();
    h.export_history_csv(&mut first, &DayRange::default(), &actor()).unwrap();
    let mut out = Vec::new();
    assert_eq!(h.export_audit_csv(&mut out, &DayRange::default(), &actor()).unwrap(), 3);
    let text = String::from_utf8(out.clone()).unwrap();
    for whole in ["40442820135", "404.428.201-35", "12ABC34501DE35", "12.ABC.345/01DE-35"] {
        assert!(!text.contains(whole), "the audit export shows {whole} unmasked");
    }
    let rows = rows(&out);
    assert_eq!(rows[3], ["Período", "todo o período"]);
    let data = &rows[6..];
    assert_eq!(data[0][3], "consulta");
    assert_eq!(data[0][4], "111.444.777-35");
    assert_eq!(data[0][9], "***.428.201-**");
    assert_eq!(data[0][11], "ECAC-99");
    assert_eq!(data[0][17], "não", "não registrar");
    assert_eq!(data[1][9], "**.***.345/01DE-**");
    assert_eq!(data[1][13], "Network");
    assert_eq!(data[2][3], "exportação");
}

#[test]
fn a_file_exported_elsewhere_is_audited_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    h.audit_file_export("lote «lista.csv»", 122, &actor()).unwrap();
    let audit = h.audit(&Default::default(), None, None).unwrap().items;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].event, AuditEvent::Export);
    assert_eq!(audit[0].detail.as_deref(), Some("exportação de lote «lista.csv»: 122 linha(s)"));
    assert_eq!(audit[0].clerk_cpf.as_deref(), Some("91708635203"));
}

/// OWASP's formula starts: each one fed through every field an export shows that comes from outside Balcão (a name
/// from the API, the clerk's typed purpose, the e-CAC code, the profile name, the OS user).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

#[test]
fn every_formula_start_from_outside_is_neutralised_in_the_history_and_audit_exports() {
    for c in FORMULA_STARTS {
        let dir = tempfile::tempdir().unwrap();
        let mut h = open(&dir.path().join("history.db"));
        let name = format!("{c}HYPERLINK(\"http://mal.example/\";\"Ana\")");
        let purpose = format!("{c}cmd|' /C calc'!A0");
        let code = format!("{c}1+1");
        let mut cx = ctx();
        cx.purpose = Some(purpose.clone());
        cx.authorization_code = Some(code.clone());
        cx.profile_name = format!("{c}Perfil");
        cx.os_user = format!("{c}atendente");
        h.record(&cx, &found_cpf("40442820135", &name), &doc("40442820135")).unwrap().unwrap();
        let who = Actor { clerk_cpf: None, os_user: format!("{c}supervisora") };
        for audit in [false, true] {
            let mut out = Vec::new();
            if audit {
                h.export_audit_csv(&mut out, &DayRange::default(), &who).unwrap();
            } else {
                h.export_history_csv(&mut out, &DayRange::default(), &who).unwrap();
            }
            let rows = rows(&out);
            for cell in rows.iter().flatten() {
                assert!(!cell.starts_with(FORMULA_STARTS), "{c:?} (audit {audit}): cell {cell:?} starts a formula");
            }
            let cells: Vec<&String> = rows.iter().flatten().collect();
            // The purpose and the code are stored trimmed: a leading tab or carriage return is gone before export.
            let typed = |t: &str| if c.is_whitespace() { t.trim().to_owned() } else { format!("'{t}") };
            let expect: Vec<String> = if audit {
                vec![typed(&purpose), typed(&code), format!("'{c}Perfil"), format!("'{c}atendente")]
            } else {
                vec![format!("'{name}"), format!("'{c}Perfil")]
            };
            for e in expect {
                assert!(cells.contains(&&e), "{c:?} (audit {audit}): {e:?} not written as text: {cells:?}");
            }
        }
    }
}

/// An unknown situação code (#15) is flagged in the exported file as on screen: the API's label, its code and
/// "não reconhecido"; a known one is its label alone.
#[test]
fn history_export_flags_an_unknown_situacao_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let c = ctx();
    let mut record = cpf_record("40442820135", "Ana", "0");
    if let balcao_core::record::Record::Cpf(r) = &mut record {
        r.status = balcao_core::record::Status::cpf("7", Some("Situação especial"));
    }
    h.record_at(&c, &found(record), &doc("40442820135"), datetime!(2026-03-01 15:00 UTC)).unwrap();
    h.record_at(&c, &found_cpf("63017285995", "Bia"), &doc("63017285995"), datetime!(2026-03-01 16:00 UTC)).unwrap();
    let mut out = Vec::new();
    let range = DayRange { from: Some("2026-03-01".into()), to: Some("2026-03-01".into()) };
    assert_eq!(h.export_history_csv(&mut out, &range, &actor()).unwrap(), 2);
    let rows = rows(&out);
    let status: Vec<&str> = rows[6..].iter().map(|r| r[10].as_str()).collect();
    assert!(status.contains(&"Situação especial (código 7, não reconhecido)"), "{status:?}");
    assert!(status.contains(&"Regular"), "{status:?}");
}
