//! The store's versioned schema: migrations embedded in the binary, applied only on request, and the version check.

use balcao_core::error::{AppError, ErrorCode};

use crate::connect::ConnectOptions;
use crate::error::from_pg;

/// Every migration, in order; the schema version is the number of the last one applied.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_audit_and_quota.sql")),
    (2, include_str!("../migrations/0002_limits_offline_writer.sql")),
];

/// The schema version this build of Balcão writes and reads.
pub const SCHEMA_VERSION: i32 = 2;

/// Serialises two `migrate` runs against the same database (`pg_advisory_xact_lock`).
const MIGRATE_LOCK: i64 = 0x6261_6c63_616f_0001;

/// The group roles the migrations grant to; IT creates them (and the login roles that belong to them).
const GROUP_ROLES: [&str; 2] = ["balcao_counter", "balcao_reader"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationOutcome {
    pub from: i32,
    pub to: i32,
}

/// Applies the missing migrations in one transaction, as the schema owner. A store already at this version is
/// left as it is; a store at a newer version is refused and nothing is changed.
pub async fn migrate(opts: &ConnectOptions) -> Result<MigrationOutcome, AppError> {
    const DOING: &str = "preparar o esquema";
    let mut client = opts.connect(DOING).await?;
    let tx = client.transaction().await.map_err(|e| from_pg(&e, DOING))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK]).await.map_err(|e| from_pg(&e, DOING))?;
    let missing = tx
        .query(
            "SELECT r FROM unnest($1::text[]) AS r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)",
            &[&GROUP_ROLES.as_slice()],
        )
        .await
        .map_err(|e| from_pg(&e, DOING))?;
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().filter_map(|r| r.try_get::<_, String>(0).ok()).collect();
        return Err(AppError::new(
            ErrorCode::Config,
            format!(
                "Faltam os papéis {} no servidor. Crie-os antes (veja a seção do banco da agência no guia de \
                 implantação); nada foi alterado.",
                names.join(", ")
            ),
        ));
    }
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS balcao;
         CREATE TABLE IF NOT EXISTS balcao.schema_version (
             version    integer     PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await
    .map_err(|e| from_pg(&e, DOING))?;
    let from = current_version(&tx).await.map_err(|e| from_pg(&e, DOING))?;
    if from > SCHEMA_VERSION {
        return Err(newer_schema(from));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > from) {
        tx.batch_execute(sql).await.map_err(|e| from_pg(&e, &format!("aplicar a migração {version}")))?;
        tx.execute("INSERT INTO balcao.schema_version (version) VALUES ($1)", &[version])
            .await
            .map_err(|e| from_pg(&e, DOING))?;
    }
    tx.commit().await.map_err(|e| from_pg(&e, DOING))?;
    Ok(MigrationOutcome { from, to: SCHEMA_VERSION.max(from) })
}

async fn current_version(c: &impl tokio_postgres::GenericClient) -> Result<i32, tokio_postgres::Error> {
    let row = c.query_one("SELECT coalesce(max(version), 0) FROM balcao.schema_version", &[]).await?;
    row.try_get(0)
}

/// Refuses a store whose schema this build does not know (newer), or that is not prepared or behind.
pub(crate) async fn check_version(client: &tokio_postgres::Client, doing: &str) -> Result<(), AppError> {
    let version = match current_version(client).await {
        Ok(v) => v,
        Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "42P01" || d.code().code() == "3F000") => 0,
        Err(e) => return Err(from_pg(&e, doing)),
    };
    if version > SCHEMA_VERSION {
        return Err(newer_schema(version));
    }
    if version < SCHEMA_VERSION {
        return Err(AppError::new(
            ErrorCode::Config,
            format!(
                "O banco da agência está na versão {version} do esquema e este Balcão precisa da versão \
                 {SCHEMA_VERSION}. A TI deve rodar `balcao-cli admin migrate-agency-store`; nada foi gravado."
            ),
        ));
    }
    Ok(())
}

fn newer_schema(version: i32) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "O banco da agência está na versão {version} do esquema, mais nova do que este Balcão conhece \
             (versão {SCHEMA_VERSION}). Atualize o Balcão neste computador; nada foi gravado no banco."
        ),
    )
}
