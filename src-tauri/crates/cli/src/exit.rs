//! The exit statuses of `balcao-cli` in one table: the constants the commands return, the table `balcao-cli --help`
//! prints and the one docs/profiles.md shows (a test keeps the three in step).

use balcao_core::ErrorCode;

use crate::lookup::exit_status;

/// `validate`: at least one input is not a valid CPF or CNPJ.
pub const EXIT_INVALID_INPUT: u8 = 1;
/// `history`: the history could not be used (keyring, file, lock).
pub const EXIT_HISTORY_UNUSABLE: u8 = 1;
/// `sim`: the simulator could not start (address in use, no runtime).
pub const EXIT_SIM_FAILED: u8 = 1;
/// `admin`: the recovery was refused and nothing changed (recover), nothing was stored (set-credentials), or the
/// policy, a profile or a credential is missing (check).
pub const EXIT_ADMIN_FAILED: u8 = 1;
/// A command line the parser refused, an unusable option value or file given on it (every command).
pub const EXIT_USAGE: u8 = 2;
/// `batch`: every row was reached, but lookups failed (the state is kept for `--resume --retry-failed`).
pub const EXIT_LOOKUPS_FAILED: u8 = 3;
/// `batch`: cancelled with Ctrl-C (the state is kept for `--resume`).
pub const EXIT_CANCELLED: u8 = 130;

/// Every exit status: (status or range, commands, meaning in pt-BR), in ascending order.
pub fn table() -> Vec<(String, &'static str, &'static str)> {
    let codes = ErrorCode::ALL.map(exit_status);
    let (low, high) = (codes.iter().min().copied().unwrap_or(0), codes.iter().max().copied().unwrap_or(0));
    vec![
        ("0".to_owned(), "todos", "sucesso (batch: lote concluído sem falhas; validate: todos válidos)"),
        (EXIT_INVALID_INPUT.to_string(), "validate", "algum número é inválido"),
        (EXIT_HISTORY_UNUSABLE.to_string(), "history", "histórico indisponível (cofre de senhas, arquivo, bloqueio)"),
        (EXIT_SIM_FAILED.to_string(), "sim", "o simulador não pôde iniciar (endereço em uso)"),
        (
            EXIT_ADMIN_FAILED.to_string(),
            "admin, audit",
            "audit: banco, chave ou senha indisponíveis; recover: recusada, nada foi alterado; set-credentials: nada foi gravado; check: falta a política, um \
             perfil ou uma credencial",
        ),
        (
            EXIT_USAGE.to_string(),
            "todos",
            "uso incorreto: argumento ou valor inválido (sim: endereço ou configuração recusados)",
        ),
        (
            EXIT_LOOKUPS_FAILED.to_string(),
            "batch",
            "lote terminado, mas consultas falharam (estado salvo: --resume --retry-failed)",
        ),
        (format!("{low}–{high}"), "lookup, batch", "um status por código de erro (balcao-cli lookup --help)"),
        (EXIT_CANCELLED.to_string(), "batch", "cancelado com Ctrl-C (estado salvo: --resume)"),
    ]
}

/// The table as `balcao-cli --help` prints it.
pub fn help() -> String {
    let mut s = String::from("Status de saída:\n");
    for (status, commands, meaning) in table() {
        s.push_str(&format!("{status:>6}  {commands:<14} {meaning}\n"));
    }
    s.push_str("Os códigos de erro de lookup e batch (10 a 26): balcao-cli lookup --help.");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: &str = include_str!("../../../../docs/profiles.md");

    #[test]
    fn docs_show_the_same_exit_status_table_as_the_code() {
        for (status, commands, meaning) in table() {
            let commands = commands.split(", ").map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
            let commands = if commands == "`todos`" { "todos".to_owned() } else { commands };
            let row = format!("| {status} | {commands} | {meaning} |");
            assert!(DOCS.contains(&row), "docs/profiles.md lacks the row\n{row}");
        }
        for code in ErrorCode::ALL {
            let row = format!("| {} | `{code:?}` |", exit_status(code));
            assert!(DOCS.contains(&row), "docs/profiles.md lacks the row «{row}»");
        }
    }

    #[test]
    fn help_shows_every_status_and_batch_help_its_own() {
        let help = help();
        for (status, _, meaning) in table() {
            assert!(help.contains(&format!("{status:>6}")) && help.contains(meaning), "--help lacks {status}");
        }
        let batch = crate::batch::HELP;
        for status in [0, EXIT_USAGE, EXIT_LOOKUPS_FAILED, EXIT_CANCELLED] {
            assert!(batch.contains(&format!("{status} ")), "batch --help lacks {status}");
        }
        let lookup = crate::lookup::EXIT_CODES_HELP;
        assert!(lookup.contains(&format!("{EXIT_USAGE:>4}  uso incorreto")), "lookup --help lacks the usage status");
        assert!(lookup.contains(&format!("{EXIT_LOOKUPS_FAILED:>4}  (batch)")), "lookup --help lacks batch's 3");
    }
}
