//! A counter's door to the agency store: append one audit line (idempotent by its id) and reserve one unit of quota.

use balcao_core::error::AppError;
use time::{Date, OffsetDateTime};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::connect::ConnectOptions;
use crate::document::{DocumentRef, scrub_numbers};
use crate::error::from_pg;
use crate::schema::check_version;

/// One audit line as the agency store keeps it.
#[derive(Debug, Clone)]
pub struct AuditLine {
    /// Its own id: a retried insert of the same line is stored once.
    pub id: Uuid,
    pub counter_id: String,
    /// The counter's own order of its lines.
    pub seq: i64,
    pub at: OffsetDateTime,
    pub clerk: String,
    pub api: String,
    pub purpose: Option<String>,
    /// The e-CAC authorisation code, when there was one.
    pub authorization_code: Option<String>,
    pub document: DocumentRef,
    pub outcome: String,
}

/// What quota is counted against: the credential, the API and the gateway's day (#13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaKey {
    pub credential: String,
    pub api: String,
    pub gateway_day: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Granted,
    /// The agency's limit for this key is reached: the call must not leave.
    Refused,
}

/// A counter's connection, opened only once the store's schema version is the one this build knows.
#[derive(Debug)]
pub struct CounterStore {
    client: tokio_postgres::Client,
}

impl CounterStore {
    /// Connects as the counter's role and checks the schema version before anything can be written.
    pub async fn open(opts: &ConnectOptions) -> Result<Self, AppError> {
        const DOING: &str = "abrir o banco da agência";
        let client = opts.connect(DOING).await?;
        check_version(&client, DOING).await?;
        Ok(Self { client })
    }

    /// Appends one line; `Ok(false)` when a line with this id was already stored (a retry). A number typed in the
    /// free text (purpose, authorisation code, clerk, outcome) is hidden first ([`scrub_numbers`]).
    pub async fn append(&mut self, line: &AuditLine) -> Result<bool, AppError> {
        Ok(self.append_all(std::slice::from_ref(line)).await? == 1)
    }

    /// Appends `lines` in one transaction, in their order (pipelined: one round trip for the lot): all are stored
    /// or none. Returns how many were new (the others were already stored by an earlier, interrupted drain).
    pub async fn append_all(&mut self, lines: &[AuditLine]) -> Result<u64, AppError> {
        const DOING: &str = "gravar as linhas de auditoria";
        let tx = self.client.transaction().await.map_err(|e| from_pg(&e, DOING))?;
        let stmt = tx
            .prepare("SELECT balcao.append_audit_line($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .await
            .map_err(|e| from_pg(&e, DOING))?;
        let scrubbed: Vec<Scrubbed> = lines.iter().map(Scrubbed::of).collect();
        let hashes: Vec<&[u8]> = lines.iter().map(|l| l.document.hash.as_slice()).collect();
        let params: Vec<[&(dyn ToSql + Sync); 11]> = lines
            .iter()
            .zip(&scrubbed)
            .zip(&hashes)
            .map(|((line, s), hash)| {
                [
                    &line.id as &(dyn ToSql + Sync),
                    &line.counter_id,
                    &line.seq,
                    &line.at,
                    &s.clerk,
                    &line.api,
                    &s.purpose,
                    &s.authorization_code,
                    hash,
                    &line.document.masked,
                    &s.outcome,
                ]
            })
            .collect();
        let calls = params.iter().map(|p| tx.query_one(&stmt, p));
        let rows = futures_util::future::try_join_all(calls).await.map_err(|e| from_pg(&e, DOING))?;
        let mut new = 0;
        for row in rows {
            if row.try_get::<_, bool>(0).map_err(|e| from_pg(&e, DOING))? {
                new += 1;
            }
        }
        tx.commit().await.map_err(|e| from_pg(&e, DOING))?;
        Ok(new)
    }

    /// Reports one unit spent from the offline allowance (`id` its own: a retry counts once); added to the day's use.
    pub async fn record_offline_use(&self, id: Uuid, counter_id: &str, key: &QuotaKey) -> Result<bool, AppError> {
        const DOING: &str = "informar a cota usada sem conexão";
        let row = self
            .client
            .query_one(
                "SELECT balcao.record_offline_use($1, $2, $3, $4, $5)",
                &[&id, &counter_id, &key.credential, &key.api, &key.gateway_day],
            )
            .await
            .map_err(|e| from_pg(&e, DOING))?;
        row.try_get(0).map_err(|e| from_pg(&e, DOING))
    }

    /// Whether the connection is gone (the server stopped or the network dropped): open a new one.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Reserves one unit for `key` if the agency's use is under `limit`, in one statement on the server.
    pub async fn reserve(&self, key: &QuotaKey, limit: u32) -> Result<Reservation, AppError> {
        const DOING: &str = "reservar a cota";
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let row = self
            .client
            .query_one(
                "SELECT balcao.reserve_quota($1, $2, $3, $4)",
                &[&key.credential, &key.api, &key.gateway_day, &limit],
            )
            .await
            .map_err(|e| from_pg(&e, DOING))?;
        let granted: bool = row.try_get(0).map_err(|e| from_pg(&e, DOING))?;
        Ok(if granted { Reservation::Granted } else { Reservation::Refused })
    }
}

/// A line's free text with every number hidden ([`scrub_numbers`]).
struct Scrubbed {
    clerk: String,
    purpose: Option<String>,
    authorization_code: Option<String>,
    outcome: String,
}

impl Scrubbed {
    fn of(line: &AuditLine) -> Self {
        Self {
            clerk: scrub_numbers(&line.clerk),
            purpose: line.purpose.as_deref().map(scrub_numbers),
            authorization_code: line.authorization_code.as_deref().map(scrub_numbers),
            outcome: scrub_numbers(&line.outcome),
        }
    }
}
