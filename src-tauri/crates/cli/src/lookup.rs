//! `balcao-cli lookup`: one CPF or CNPJ through a profile (Demonstração by default), printed as JSON.

use std::io::Write;
use std::process::ExitCode;

use balcao_core::api::LookupRequest;
use balcao_core::record::CnpjView;
use balcao_core::{AppError, Cnpj, Cpf, Document, ErrorCode};

use crate::profile_args::{ProfileArgs, connect};

/// The exit status of each error code (0 is success, 2 a usage error).
pub const EXIT_CODES_HELP: &str = "\
Saída: o registro normalizado em JSON (a resposta original na chave \"raw\"), status 0.
Em caso de erro: {\"error\": {\"code\": ..., \"message\": ...}} na saída padrão e o status abaixo.

Status de saída:
   0  consulta feita
   2  uso incorreto da linha de comando (mensagem em português na saída de erros)
   3  (batch) lote terminado, mas consultas falharam: repita com --resume --retry-failed
  10  InvalidDocument      número inválido (nenhuma consulta feita)
  11  NotFound             nenhum cadastro para o número (consulta cobrada)
  12  Unauthorized         credenciais recusadas, ou a agência exige --atendente CPF e ele faltou
  13  Forbidden            API ou visão não contratada
  14  MinorDataBlocked     dados de menor de idade (LGPD)
  15  RateLimited          consultas demais em pouco tempo
  16  QuotaExhausted       cota do perfil esgotada
  17  Upstream             erro do serviço do governo
  18  Network              sem conexão
  19  Timeout              o serviço demorou demais
  20  Tls                  certificado do servidor não confiável
  21  KeychainUnavailable  cofre de senhas do sistema indisponível
  22  HistoryLocked        histórico indisponível
  23  Config               perfil ou configuração inválidos
  24  PurposeRequired      finalidade exigida
  25  Internal             erro inesperado
  26  Busy                 outra operação em andamento

Sem --profile e sem --config, consulta a Demonstração (simulador embutido, dados fictícios).
Com --credentials-from-env, a chave e o segredo de cada API vêm de BALCAO_CPF_CLIENT_ID e BALCAO_CPF_CLIENT_SECRET
(API de CPF) e BALCAO_CNPJ_CLIENT_ID e BALCAO_CNPJ_CLIENT_SECRET (API de CNPJ), e os das APIs sem credencial própria
de BALCAO_CLIENT_ID e BALCAO_CLIENT_SECRET; sem ela, do cofre de senhas do sistema (entradas
profile/<id>/api/<api>/client-id… de cada API, senão profile/<id>/client-id e profile/<id>/client-secret).";

/// The exit status for an error code (documented in `--help` and docs/profiles.md).
pub fn exit_status(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::InvalidDocument => 10,
        ErrorCode::NotFound => 11,
        ErrorCode::Unauthorized => 12,
        ErrorCode::Forbidden => 13,
        ErrorCode::MinorDataBlocked => 14,
        ErrorCode::RateLimited => 15,
        ErrorCode::QuotaExhausted => 16,
        ErrorCode::Upstream => 17,
        ErrorCode::Network => 18,
        ErrorCode::Timeout => 19,
        ErrorCode::Tls => 20,
        ErrorCode::KeychainUnavailable => 21,
        ErrorCode::HistoryLocked => 22,
        ErrorCode::Config => 23,
        ErrorCode::PurposeRequired => 24,
        ErrorCode::Internal => 25,
        ErrorCode::Busy => 26,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Cpf,
    Cnpj,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    Basica,
    Qsa,
    Empresa,
}

impl From<View> for CnpjView {
    fn from(v: View) -> Self {
        match v {
            View::Basica => CnpjView::Basica,
            View::Qsa => CnpjView::Qsa,
            View::Empresa => CnpjView::Empresa,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct Args {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// O tipo de número.
    #[arg(value_enum, value_name = "TIPO")]
    pub kind: Kind,
    /// O número, com ou sem máscara.
    #[arg(value_name = "NÚMERO")]
    pub number: String,
    /// A visão da Consulta CNPJ (padrão: a mais completa contratada).
    #[arg(long, value_enum)]
    pub view: Option<View>,
    /// Finalidade ou número do protocolo, gravado na auditoria (obrigatório quando a agência exige).
    #[arg(long, value_name = "TEXTO")]
    pub purpose: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return fail(&AppError::new(
                ErrorCode::Internal,
                format!("Não foi possível iniciar o runtime: {}.", balcao_core::error::io_reason(&e)),
            ));
        }
    };
    match runtime.block_on(lookup(args)) {
        Ok(json) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(e: &AppError) -> ExitCode {
    let body = serde_json::json!({ "error": { "code": e.code, "message": e.message } });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", crate::text::json_pretty(&body));
    ExitCode::from(exit_status(e.code))
}

fn parse_document(kind: Kind, number: &str) -> Result<Document, AppError> {
    let parsed = match kind {
        Kind::Cpf => Cpf::parse(number).map(Document::Cpf),
        Kind::Cnpj => Cnpj::parse(number).map(Document::Cnpj),
    };
    parsed.map_err(|e| AppError::new(ErrorCode::InvalidDocument, format!("{e} Nenhuma consulta foi feita.")))
}

/// The lookup through the service, as the window makes it: purpose rule, audit line, quota, and no call without a
/// history (exit 22).
async fn lookup(args: Args) -> Result<String, AppError> {
    let doc = parse_document(args.kind, &args.number)?;
    let session = connect(&args.profile).await?;
    let request = LookupRequest {
        input: doc.to_string(),
        view: args.view.map(CnpjView::from),
        purpose: args.purpose,
        authorization_code: None,
        do_not_record: false,
    };
    let answer = session.lookup(request).await;
    session.close().await;
    Ok(crate::text::json_pretty(&answer?.lookup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_documented_exit_status() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let status = exit_status(code);
            assert!(status >= 10, "{code:?} collides with success/usage codes");
            assert!(seen.insert(status), "{code:?} repeats {status}");
            let line = format!("{status:>4}  {code:?}");
            assert!(EXIT_CODES_HELP.contains(&line), "help lacks «{line}»");
        }
    }

    #[test]
    fn invalid_numbers_are_invalid_document() {
        assert_eq!(parse_document(Kind::Cpf, "404.428.201-36").unwrap_err().code, ErrorCode::InvalidDocument);
        assert_eq!(parse_document(Kind::Cpf, "34238864000168").unwrap_err().code, ErrorCode::InvalidDocument);
        assert!(parse_document(Kind::Cnpj, "12.abc.345/01de-35").is_ok());
    }
}
