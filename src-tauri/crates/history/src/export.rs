//! CSV exports of the history and of the audit trail for supervisors: `;`-separated UTF-8 with a BOM (opens
//! directly in a pt-BR spreadsheet), preceded by lines naming who exported, when, and the period. Every export is
//! itself written to the audit trail. Every cell goes through [`safe_cell`] (formula injection: a name from an API, a
//! typed purpose or an e-CAC code that starts like a formula is written as text).

use std::io::Write;

use balcao_core::csv_cell::safe_cell;
use balcao_core::history_api::{AuditEvent, AuditOrigin, DayRange};
use balcao_core::{AppError, Cpf, ErrorCode};
use rusqlite::types::Value;
use rusqlite::{Transaction, params, params_from_iter};
use time::OffsetDateTime;

use crate::codec::{self, AUDIT_COLUMNS, ENTRY_COLUMNS};
use crate::text::{br_day, day_bounds, instant};
use crate::{History, error};

/// Who does an export or a purge (for the audit trail and the export header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub clerk_cpf: Option<Cpf>,
    pub os_user: String,
}

impl Actor {
    /// The OS user running Balcão, with the clerk's CPF when known.
    pub fn current(clerk_cpf: Option<Cpf>) -> Self {
        Self { clerk_cpf, os_user: balcao_platform::os_user_name() }
    }

    fn describe(&self) -> String {
        match &self.clerk_cpf {
            Some(cpf) => format!("{} (CPF {})", self.os_user, cpf.formatted()),
            None => self.os_user.clone(),
        }
    }

    pub(crate) fn audit(
        &self,
        tx: &Transaction<'_>,
        (event, origin): (AuditEvent, AuditOrigin),
        at: &str,
        detail: &str,
    ) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO audit (at, event, clerk_cpf, os_user, detail, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![at, event.as_str(), self.clerk_cpf.map(|c| c.to_string()), self.os_user, detail, origin.as_str()],
        )?;
        Ok(())
    }
}

fn io_err(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Internal,
        format!("Não foi possível gravar o arquivo exportado ({e}). Verifique o espaço e a pasta escolhida."),
    )
}

fn period_label(range: &DayRange) -> String {
    let from = range.from.as_deref().filter(|s| !s.is_empty());
    let to = range.to.as_deref().filter(|s| !s.is_empty());
    match (from, to) {
        (None, None) => "todo o período".to_owned(),
        (Some(a), None) => format!("a partir de {}", br_day(a)),
        (None, Some(b)) => format!("até {}", br_day(b)),
        (Some(a), Some(b)) => format!("{} a {}", br_day(a), br_day(b)),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "sim" } else { "não" }
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_default()
}

impl History {
    /// Writes the history entries of `range` (oldest first) as CSV to `out`; returns how many rows were written.
    pub fn export_history_csv(
        &mut self,
        out: &mut dyn Write,
        range: &DayRange,
        actor: &Actor,
    ) -> Result<u64, AppError> {
        let now = OffsetDateTime::now_utc();
        let (where_sql, values) = self.range_filter(range)?;
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM lookups {where_sql} ORDER BY id");
        let zone = self.zones.local().clone();
        let mut w = writer(out, "Histórico de consultas", range, actor, now)?;
        write_safe(
            &mut w,
            [
                "Id",
                "Data e hora (UTC)",
                "Dia",
                "Perfil",
                "Ambiente",
                "API",
                "Visão",
                "Tipo",
                "Número",
                "Nome",
                "Situação",
                "Resultado",
                "Erro",
                "HTTP",
                "Latência (ms)",
                "activityid",
                "Cobrável",
            ],
        )?;
        let mut rows = 0u64;
        {
            let err = |e| error::db(e, "exportar o histórico");
            let mut stmt = self.conn.prepare(&sql).map_err(err)?;
            let mut q = stmt.query(params_from_iter(values)).map_err(err)?;
            while let Some(row) = q.next().map_err(err)? {
                let e = codec::entry(row, &zone).map_err(err)?;
                let s = &e.summary;
                write_safe(
                    &mut w,
                    [
                        s.id.to_string(),
                        s.at.clone(),
                        br_day(&s.day),
                        s.profile_name.clone(),
                        s.environment.label().to_owned(),
                        s.api.map(|a| a.label().to_owned()).unwrap_or_default(),
                        s.view.map(|v| v.as_str().to_owned()).unwrap_or_default(),
                        s.kind.label().to_owned(),
                        s.formatted.clone(),
                        opt(s.name.clone()),
                        s.status.as_ref().map(balcao_core::record::Status::shown_label).unwrap_or_default(),
                        s.outcome.label().to_owned(),
                        s.error_code.map(|c| format!("{c:?}")).unwrap_or_default(),
                        s.http_status.map(|h| h.to_string()).unwrap_or_default(),
                        e.meta.as_ref().map(|m| m.latency_ms.to_string()).unwrap_or_default(),
                        opt(e.meta.as_ref().and_then(|m| m.activity_id.clone())),
                        yes_no(s.billable).to_owned(),
                    ],
                )?;
                rows += 1;
            }
        }
        w.flush().map_err(io_err)?;
        drop(w);
        self.audit_export("histórico", range, rows, actor, now)?;
        Ok(rows)
    }

    /// Writes the audit lines of `range` (oldest first) as CSV to `out`; returns how many rows were written.
    pub fn export_audit_csv(&mut self, out: &mut dyn Write, range: &DayRange, actor: &Actor) -> Result<u64, AppError> {
        let now = OffsetDateTime::now_utc();
        let (where_sql, values) = self.range_filter(range)?;
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit {where_sql} ORDER BY id");
        let zone = self.zones.local().clone();
        let mut w = writer(out, "Trilha de auditoria", range, actor, now)?;
        write_safe(
            &mut w,
            [
                "Id",
                "Data e hora (UTC)",
                "Dia",
                "Evento",
                "CPF do atendente",
                "Usuário do sistema",
                "Perfil",
                "Ambiente",
                "Tipo",
                "Número (mascarado)",
                "Finalidade",
                "Código de autorização e-CAC",
                "Resultado",
                "Erro",
                "API",
                "HTTP",
                "Cobrável",
                "Registrada no histórico",
                "Detalhe",
                "Origem",
            ],
        )?;
        let mut rows = 0u64;
        {
            let err = |e| error::db(e, "exportar a auditoria");
            let mut stmt = self.conn.prepare(&sql).map_err(err)?;
            let mut q = stmt.query(params_from_iter(values)).map_err(err)?;
            while let Some(row) = q.next().map_err(err)? {
                let a = codec::audit(row, &zone).map_err(err)?;
                let event = match a.event {
                    AuditEvent::Lookup => "consulta",
                    AuditEvent::Export => "exportação",
                    AuditEvent::Purge => "expurgo",
                    AuditEvent::Recovery => "recuperação da chave",
                };
                write_safe(
                    &mut w,
                    [
                        a.id.to_string(),
                        a.at,
                        br_day(&a.day),
                        event.to_owned(),
                        opt(a.clerk_cpf.as_deref().and_then(|c| Cpf::parse(c).ok()).map(|c| c.formatted())),
                        a.os_user,
                        opt(a.profile_name),
                        a.environment.map(|e| e.label().to_owned()).unwrap_or_default(),
                        a.kind.map(|k| k.label().to_owned()).unwrap_or_default(),
                        opt(a.number_masked),
                        opt(a.purpose),
                        opt(a.authorization_code),
                        a.outcome.map(|o| o.label().to_owned()).unwrap_or_default(),
                        a.error_code.map(|c| format!("{c:?}")).unwrap_or_default(),
                        a.api.map(|x| x.label().to_owned()).unwrap_or_default(),
                        a.http_status.map(|h| h.to_string()).unwrap_or_default(),
                        yes_no(a.billable).to_owned(),
                        if a.event == AuditEvent::Lookup { yes_no(a.recorded).to_owned() } else { String::new() },
                        opt(a.detail),
                        a.origin.map(|o| o.label().to_owned()).unwrap_or_default(),
                    ],
                )?;
                rows += 1;
            }
        }
        w.flush().map_err(io_err)?;
        drop(w);
        self.audit_export("auditoria", range, rows, actor, now)?;
        Ok(rows)
    }

    fn range_filter(&self, range: &DayRange) -> Result<(String, Vec<Value>), AppError> {
        let (start, end) = day_bounds(range.from.as_deref(), range.to.as_deref(), self.zones.local())?;
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        if let Some(s) = start {
            clauses.push("at >= ?");
            values.push(Value::Text(s));
        }
        if let Some(e) = end {
            clauses.push("at < ?");
            values.push(Value::Text(e));
        }
        let sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        Ok((sql, values))
    }

    /// Notes in the audit trail that a file made elsewhere (a batch's result, `what` names it) was exported with
    /// `rows` rows: every export of lookup results leaves a trace, whoever wrote the file.
    pub fn audit_file_export(&mut self, what: &str, rows: u64, actor: &Actor) -> Result<(), AppError> {
        let err = |e| error::db(e, "registrar a exportação na auditoria");
        let origin = self.origin;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let detail = format!("exportação de {what}: {rows} linha(s)");
        actor.audit(&tx, (AuditEvent::Export, origin), &instant(OffsetDateTime::now_utc()), &detail).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Notes in the audit trail that the history was bound to this user's keyring again with the agency's recovery
    /// key: who did it, and when (LGPD: a new way into the history leaves a trace).
    pub fn audit_recovery(&mut self, actor: &Actor) -> Result<(), AppError> {
        let err = |e| error::db(e, "registrar a recuperação na auditoria");
        let origin = self.origin;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let detail = "chave do histórico recuperada com a chave de recuperação da agência";
        actor.audit(&tx, (AuditEvent::Recovery, origin), &instant(OffsetDateTime::now_utc()), detail).map_err(err)?;
        tx.commit().map_err(err)
    }

    fn audit_export(
        &mut self,
        what: &str,
        range: &DayRange,
        rows: u64,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let err = |e| error::db(e, "registrar a exportação na auditoria");
        let origin = self.origin;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let detail = format!("exportação de {what} ({}): {rows} linha(s)", period_label(range));
        actor.audit(&tx, (AuditEvent::Export, origin), &instant(now), &detail).map_err(err)?;
        tx.commit().map_err(err)
    }
}

/// Writes one record, each cell through [`safe_cell`].
fn write_safe<W: Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> Result<(), AppError> {
    for cell in cells {
        w.write_field(safe_cell(cell.as_ref()).as_bytes()).map_err(io_err)?;
    }
    w.write_record(None::<&[u8]>).map_err(io_err)
}

/// A CSV writer that has already written the BOM and the header lines (title, who, when, period).
fn writer<'a>(
    out: &'a mut dyn Write,
    title: &str,
    range: &DayRange,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<csv::Writer<&'a mut dyn Write>, AppError> {
    out.write_all("\u{feff}".as_bytes()).map_err(io_err)?;
    let mut w = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(out);
    write_safe(&mut w, [format!("Balcão — {title}")])?;
    write_safe(&mut w, ["Exportado por".to_owned(), actor.describe()])?;
    write_safe(&mut w, ["Exportado em (UTC)".to_owned(), instant(now)])?;
    write_safe(&mut w, ["Período".to_owned(), period_label(range)])?;
    write_safe(&mut w, [""])?;
    Ok(w)
}
