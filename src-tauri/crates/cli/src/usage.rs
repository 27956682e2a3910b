//! The argument parser in pt-BR: help headings and flags, and every usage error rewritten from its kind and
//! context (the parser's own English text is never printed). Exit status 2 for a usage error.

use std::io::Write;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, Error, ErrorKind};
use clap::{Arg, ArgAction, Command};

use crate::exit::EXIT_USAGE;

const TEMPLATE: &str = "{before-help}{about-with-newline}\nUso: {usage}\n\n{all-args}{after-help}";

/// An argument's help with its accepted and default values in pt-BR (the parser's own "[possible values: …]" and
/// "[default: …]" are hidden).
fn localised_arg(a: Arg) -> Arg {
    let heading = if a.is_positional() { "Argumentos" } else { "Opções" };
    let mut help = a.get_help().map(ToString::to_string).unwrap_or_default();
    let values: Vec<String> =
        a.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_owned()).collect();
    let takes_value = a.get_action().takes_values();
    if takes_value && !values.is_empty() {
        help.push_str(&format!(" [valores: {}]", values.join(", ")));
    }
    let defaults: Vec<String> = a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    if takes_value && !defaults.is_empty() {
        help.push_str(&format!(" [padrão: {}]", defaults.join(", ")));
    }
    let a = a.help_heading(heading).help(help);
    if takes_value { a.hide_possible_values(true).hide_default_value(true) } else { a }
}

/// `cmd` and its subcommands with pt-BR help: headings, the help and version flags, the usage line.
pub fn localised(cmd: Command) -> Command {
    localised_at(cmd, "")
}

fn localised_at(cmd: Command, parent: &str) -> Command {
    let has_version = cmd.get_version().is_some();
    let path = if parent.is_empty() { cmd.get_name().to_owned() } else { format!("{parent} {}", cmd.get_name()) };
    let mut cmd = cmd
        .help_template(TEMPLATE)
        .subcommand_help_heading("Comandos")
        .subcommand_value_name("COMANDO")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .mut_args(localised_arg)
        .arg(
            Arg::new("ajuda")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("Mostra esta ajuda")
                .help_heading("Opções"),
        );
    if has_version {
        cmd = cmd.arg(
            Arg::new("versao")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Mostra a versão")
                .help_heading("Opções"),
        );
    }
    // The usage line as the parser writes it, with its English words replaced.
    let usage = cmd.clone().bin_name(&path).render_usage().to_string();
    let usage =
        usage.trim_start_matches("Usage:").trim().replace("[OPTIONS]", "[OPÇÕES]").replace("<COMMAND>", "<COMANDO>");
    cmd = cmd.override_usage(usage);
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sub| localised_at(sub, &path));
    }
    cmd
}

fn values(e: &Error, kind: ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::StyledStr(s)) => vec![s.to_string()],
        Some(ContextValue::StyledStrs(v)) => v.iter().map(ToString::to_string).collect(),
        Some(ContextValue::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn one(e: &Error, kind: ContextKind) -> String {
    values(e, kind).join(", ")
}

fn quoted(list: &[String]) -> String {
    list.iter().map(|v| format!("«{v}»")).collect::<Vec<_>>().join(", ")
}

/// The pt-BR text of a usage error.
pub fn message(e: &Error) -> String {
    let arg = one(e, ContextKind::InvalidArg);
    let value = one(e, ContextKind::InvalidValue);
    let mut text = match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation | ErrorKind::NoEquals => {
            let mut t = format!("valor «{value}» inválido para {arg}.");
            let valid = values(e, ContextKind::ValidValue);
            if !valid.is_empty() {
                t.push_str(&format!(" Valores aceitos: {}.", quoted(&valid)));
            }
            t
        }
        ErrorKind::UnknownArgument => format!("argumento desconhecido «{arg}»."),
        ErrorKind::InvalidSubcommand => {
            format!("comando desconhecido «{}».", one(e, ContextKind::InvalidSubcommand))
        }
        ErrorKind::MissingRequiredArgument => {
            format!("falta o argumento obrigatório {}.", quoted(&values(e, ContextKind::InvalidArg)))
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "falta o comando (validate, sim, lookup, history, batch, admin ou audit).".to_owned()
        }
        ErrorKind::ArgumentConflict => {
            let prior = values(e, ContextKind::PriorArg);
            if prior.is_empty() {
                format!("{arg} não pode ser usado aqui.")
            } else {
                format!("{arg} não pode ser usado junto com {}.", quoted(&prior))
            }
        }
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("número errado de valores para {arg}.")
        }
        ErrorKind::InvalidUtf8 => "um argumento não é texto UTF-8 válido.".to_owned(),
        _ => "linha de comando inválida.".to_owned(),
    };
    let suggested: Vec<String> =
        [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue]
            .into_iter()
            .flat_map(|k| values(e, k))
            .collect();
    if !suggested.is_empty() {
        text.push_str(&format!(" Quis dizer {}?", quoted(&suggested)));
    }
    text
}

/// Prints a parser outcome: help and version as asked (status 0), a usage error in pt-BR (status 2).
pub fn report(e: &Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "balcao-cli: {}\nPara ver as opções: balcao-cli --help (ou balcao-cli COMANDO --help).",
                crate::text::clean(&message(e))
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_localised_parser_is_consistent_and_says_no_english() {
        let cmd = localised(crate::Cli::command());
        cmd.clone().debug_assert();
        let mut texts = vec![cmd.clone().render_long_help().to_string()];
        for sub in cmd.get_subcommands() {
            texts.push(sub.clone().render_long_help().to_string());
        }
        for text in texts {
            for english in
                ["Usage:", "Options:", "Arguments:", "Commands:", "[OPTIONS]", "possible values", "default:", "Print"]
            {
                assert!(!text.contains(english), "«{english}» in:\n{text}");
            }
        }
    }

    #[test]
    fn usage_errors_name_the_argument_in_pt_br() {
        let e =
            localised(crate::Cli::command()).try_get_matches_from(["balcao-cli", "history", "search", "--limit", "x"]);
        let text = message(&e.unwrap_err());
        assert!(text.starts_with("valor «x» inválido para --limit"), "{text}");
    }
}
