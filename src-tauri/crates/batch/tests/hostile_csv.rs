//! A hostile CSV: formula injection through every cell the result CSV writes (echoed input cells and header, names
//! from the API reused from the history), and files built to exhaust memory or fill the disk (too many cells in a row,
//! a row too long, too many cells in all, one wide row padding every other row). Each is refused with a pt-BR error
//! naming the line, quickly, or written in a size proportional to the input.

use std::time::{Duration, Instant};

use balcao_batch::{Batch, MAX_CELLS_PER_ROW, MAX_ROW_BYTES, MAX_TOTAL_CELLS};
use balcao_core::api::Environment;
use balcao_core::batch_api::BatchOptions;
use balcao_core::record::{ApiKind, CallMeta, CpfRecord, Lookup, Record, Status};
use balcao_core::{Cpf, Document, ErrorCode, Sensitive};
use balcao_history::{History, LookupContext};

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn ctx() -> LookupContext {
    LookupContext {
        profile_id: "demonstracao".into(),
        profile_name: "Demonstração".into(),
        environment: Environment::Demonstracao,
        clerk_cpf: None,
        os_user: "atendente".into(),
        purpose: None,
        authorization_code: None,
        view: None,
        do_not_record: false,
    }
}

/// A found CPF whose name, as the API returned it, starts with `c`.
fn found(cpf: &str, name: &str) -> Lookup {
    Lookup {
        record: Record::Cpf(CpfRecord {
            name: Some(name.to_owned()),
            ..CpfRecord::new(Cpf::parse(cpf).unwrap(), Status::cpf("0", None))
        }),
        meta: CallMeta {
            api: ApiKind::SerproCpfV1,
            http_status: 200,
            latency_ms: 1,
            activity_id: None,
            billable: true,
        },
        raw: "{}".into(),
        consulted_at: "2026-03-01T12:00:00Z".into(),
        partial: false,
    }
}

fn output(batch: &Batch) -> Vec<u8> {
    let mut out = Vec::new();
    batch.write_csv(&mut out).unwrap();
    out
}

fn cells(out: &[u8]) -> Vec<Vec<String>> {
    let text = out.strip_prefix(b"\xEF\xBB\xBF").expect("BOM");
    let mut r = csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(text);
    r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect()
}

#[test]
fn every_formula_start_echoed_from_the_input_or_named_by_the_api_is_neutralised_in_the_result_csv() {
    for c in FORMULA_STARTS {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open_with_key(&dir.path().join("history.db"), &Sensitive::new("5a".repeat(32))).unwrap();
        let name = format!("{c}HYPERLINK(\"http://mal.example/\";\"Ana\")");
        let doc = Document::parse("40442820135").unwrap();
        h.record(&ctx(), &Ok(found("40442820135", &name)), &doc).unwrap().unwrap();
        // Quoted, so the tab or carriage return stays inside the cell as a spreadsheet would have written it.
        let input = format!(
            "\"{c}nome\";cpf;\"{c}obs\"\n\"{c}cmd|' /C calc'!A0\";404.428.201-35;\"{c}1+1\"\n\"{c}x\";63017285995;\"{c}2\"\n"
        );
        let opts = BatchOptions { reuse_max_age_days: Some(30), ..Default::default() };
        let mut batch = Batch::prepare("l.csv", input.as_bytes(), &opts).unwrap();
        assert_eq!(batch.reuse_history(&h, Environment::Demonstracao, time::OffsetDateTime::now_utc()).unwrap(), 1);
        let rows = cells(&output(&batch));
        for cell in rows.iter().flatten() {
            assert!(!cell.starts_with(FORMULA_STARTS), "{c:?}: cell {cell:?} starts a formula");
        }
        let all: Vec<&String> = rows.iter().flatten().collect();
        for e in [format!("'{c}nome"), format!("'{c}cmd|' /C calc'!A0"), format!("'{c}1+1"), format!("'{name}")] {
            assert!(all.contains(&&e), "{c:?}: {e:?} not written as text: {all:?}");
        }
    }
}

fn refused(bytes: &[u8]) -> (balcao_core::AppError, Duration) {
    let t = Instant::now();
    let e = Batch::prepare("l.csv", bytes, &BatchOptions::default()).unwrap_err();
    (e, t.elapsed())
}

#[test]
fn a_row_with_ten_million_delimiters_is_refused_quickly_naming_its_line() {
    let mut bytes = b"cpf;nome\n40442820135;Ana\n".to_vec();
    bytes.extend(std::iter::repeat_n(b';', 10_000_000));
    bytes.push(b'\n');
    let (e, took) = refused(&bytes);
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("linha 3") && e.message.contains("colunas"), "{}", e.message);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_single_row_of_a_hundred_megabytes_is_refused_quickly_naming_its_line() {
    let mut bytes = b"cpf\n40442820135\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 100 * 1024 * 1024));
    let (e, took) = refused(&bytes);
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("linha 3") && e.message.contains("KB"), "{}", e.message);
    assert!(took < Duration::from_secs(10), "{took:?}");
    // A quote left open swallows the rest of the file into one row: the same limit stops it.
    let mut bytes = b"cpf;nome\n40442820135;\"Ana\n".to_vec();
    for _ in 0..20_000 {
        bytes.extend_from_slice(b"63017285995;Caio\n");
    }
    let (e, _) = refused(&bytes);
    assert!(e.message.contains("linha 2") && e.message.contains("aspas"), "{}", e.message);
}

#[test]
fn too_many_cells_in_all_are_refused_naming_the_line_reached() {
    // Rows within the per-row limits, but more cells in all than a batch takes.
    let row = format!("40442820135{}\n", ";x".repeat(MAX_CELLS_PER_ROW - 1));
    let rows = MAX_TOTAL_CELLS / MAX_CELLS_PER_ROW + 1;
    let bytes = row.repeat(rows).into_bytes();
    let (e, took) = refused(&bytes);
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains(&format!("linha {rows}")) && e.message.contains("células"), "{}", e.message);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn limits_let_a_clerks_spreadsheet_through() {
    // The widest row allowed, the longest row allowed, and ordinary rows.
    let mut text = format!("cpf{}\n", ";c".repeat(MAX_CELLS_PER_ROW - 1));
    text.push_str(&format!("40442820135;{}\n", "a".repeat(MAX_ROW_BYTES - 13)));
    for _ in 0..100 {
        text.push_str("63017285995;Caio;obs\n");
    }
    let batch = Batch::prepare("l.csv", text.as_bytes(), &BatchOptions::default()).unwrap();
    assert_eq!(batch.plan().counts.rows, 101);
}

/// What a proportional result may take: twice the input, plus the verdict columns of each row.
fn proportional(out: &[u8], input: &[u8], rows: usize) -> bool {
    out.len() <= 2 * input.len() + 256 * rows
}

#[test]
fn the_result_csv_stays_proportional_to_the_input() {
    // Two columns of 100 000 rows and one row with 200 cells: the old export padded all 100 000 rows to 200.
    let mut text = String::from("cpf;nome\n");
    for _ in 0..100_000 {
        text.push_str("40442820135;a\n");
    }
    let mut bytes = text.clone().into_bytes();
    bytes.extend_from_slice(format!("63017285995{}\n", ";x".repeat(199)).as_bytes());
    match Batch::prepare("l.csv", &bytes, &BatchOptions::default()) {
        Err(e) => assert!(e.message.contains("linha 100002") && e.message.contains("colunas"), "{}", e.message),
        Ok(b) => {
            let out = output(&b);
            assert!(proportional(&out, &bytes, 100_001), "{} bytes out for {} in", out.len(), bytes.len());
        }
    }
    // Trailing empty cells (a stray run of delimiters) do not widen every row: accepted, and proportional.
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(format!("63017285995{}\n", ";".repeat(200)).as_bytes());
    let b = Batch::prepare("l.csv", &bytes, &BatchOptions::default()).unwrap();
    let out = output(&b);
    assert!(proportional(&out, &bytes, 100_001), "{} bytes out for {} in", out.len(), bytes.len());
    assert_eq!(cells(&out)[1].len(), 2 + balcao_batch::VERDICT_COLUMNS.len());
}
