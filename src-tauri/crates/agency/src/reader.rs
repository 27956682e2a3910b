//! The reader's door (IT, the data-protection officer): who looked up a number, and the agency's quota use.

use balcao_core::error::AppError;
use time::{Date, OffsetDateTime};

use crate::connect::ConnectOptions;
use crate::document::DocumentRef;
use crate::error::from_pg;
use crate::schema::check_version;

/// One lookup of a number, as the citizen's request is answered (LGPD art. 18 and 19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRecord {
    pub at: OffsetDateTime,
    pub counter_id: String,
    pub clerk: String,
    pub api: String,
    pub purpose: Option<String>,
    pub authorization_code: Option<String>,
    pub document_masked: String,
    pub outcome: String,
}

/// The agency's use of one credential and API on one gateway day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaUse {
    pub credential: String,
    pub api: String,
    pub gateway_day: Date,
    pub used: i32,
}

#[derive(Debug)]
pub struct ReaderStore {
    client: tokio_postgres::Client,
}

impl ReaderStore {
    pub async fn open(opts: &ConnectOptions) -> Result<Self, AppError> {
        const DOING: &str = "abrir o banco da agência para leitura";
        let client = opts.connect(DOING).await?;
        check_version(&client, DOING).await?;
        Ok(Self { client })
    }

    /// Every lookup of the number `doc` refers to, oldest first, within `[from, to)` when given.
    pub async fn who_looked_up(
        &self,
        doc: &DocumentRef,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<LookupRecord>, AppError> {
        const DOING: &str = "consultar quem pesquisou o número";
        let rows = self
            .client
            .query(
                "SELECT at, counter_id, clerk, api, purpose, authorization_code, document_masked, outcome
                   FROM balcao.audit_line
                  WHERE document_hash = $1 AND ($2::timestamptz IS NULL OR at >= $2)
                    AND ($3::timestamptz IS NULL OR at < $3)
                  ORDER BY at, counter_id, seq",
                &[&doc.hash.as_slice(), &from, &to],
            )
            .await
            .map_err(|e| from_pg(&e, DOING))?;
        rows.iter()
            .map(|r| {
                Ok(LookupRecord {
                    at: r.try_get(0)?,
                    counter_id: r.try_get(1)?,
                    clerk: r.try_get(2)?,
                    api: r.try_get(3)?,
                    purpose: r.try_get(4)?,
                    authorization_code: r.try_get(5)?,
                    document_masked: r.try_get(6)?,
                    outcome: r.try_get(7)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(|e| from_pg(&e, DOING))
    }

    /// The agency's quota use per credential, API and gateway day, newest day first.
    pub async fn quota_use(&self) -> Result<Vec<QuotaUse>, AppError> {
        const DOING: &str = "ler o uso da cota";
        let rows = self
            .client
            .query(
                "SELECT credential, api, gateway_day, used FROM balcao.quota_use
                  ORDER BY gateway_day DESC, credential, api",
                &[],
            )
            .await
            .map_err(|e| from_pg(&e, DOING))?;
        rows.iter()
            .map(|r| {
                Ok(QuotaUse {
                    credential: r.try_get(0)?,
                    api: r.try_get(1)?,
                    gateway_day: r.try_get(2)?,
                    used: r.try_get(3)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(|e| from_pg(&e, DOING))
    }
}
