//! "Copiar diagnóstico" for IT: version, OS, profile summary, paths, update source and the last log lines — no
//! secrets, no personal data (log lines are masked).

use balcao_command::command;
use std::path::Path;

use balcao_core::AppError;
use balcao_core::api::AppInfo;
use tauri::{AppHandle, Runtime, State};

use crate::updater::{self, Resolved};
use crate::{AppState, logging};

/// Log lines included.
pub const LOG_LINES: usize = 60;

/// Everything the report shows, gathered first so that rendering is a pure function.
#[derive(Debug, Clone)]
pub struct Facts {
    pub version: String,
    pub os: String,
    pub app: Option<AppInfo>,
    pub start_error: Option<String>,
    pub data_dir: String,
    pub data_redirected: bool,
    pub log_dir: String,
    pub update: String,
    /// The agency's managed policy: where, and whether it is in force or refused.
    pub policy: String,
    pub pin_set: Option<bool>,
    pub log_tail: Vec<String>,
}

/// The text IT receives.
pub fn render(f: &Facts) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: &str| {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push('\n');
    };
    line("Balcão", &f.version);
    line("Sistema", &f.os);
    match (&f.app, &f.start_error) {
        (Some(a), _) => {
            let p = &a.profile;
            line("Perfil", &format!("{} ({}; {:?}; {:?})", p.name, p.id, p.provider, p.environment));
            line("Finalidade obrigatória", if a.purpose_required { "sim" } else { "não" });
        }
        (None, Some(e)) => line("Início", &format!("incompleto: {e}")),
        (None, None) => line("Início", "ainda não concluído"),
    }
    line("Pasta de dados", &format!("{}{}", f.data_dir, if f.data_redirected { " (BALCAO_DATA_DIR)" } else { "" }));
    line("Pasta de registros", &f.log_dir);
    line("Política da TI", &f.policy);
    line("Atualizações", &f.update);
    line(
        "PIN de bloqueio",
        match f.pin_set {
            Some(true) => "definido",
            Some(false) => "não definido",
            None => "desconhecido",
        },
    );
    s.push_str(&format!("\nÚltimas {} linhas do registro:\n", f.log_tail.len()));
    for l in &f.log_tail {
        s.push_str(&logging::mask_personal(l));
        s.push('\n');
    }
    s
}

/// The OS as people name it (Linux: PRETTY_NAME from /etc/os-release), with the architecture.
pub fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_owned())));
    format!(
        "{} ({}, {})",
        pretty.unwrap_or_else(|| std::env::consts::OS.to_owned()),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn update_summary(data_dir: &Path) -> String {
    match updater::current_source(data_dir) {
        Resolved::Ready(s) => format!(
            "{} (de {}; verificar ao iniciar: {})",
            s.endpoints.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            s.origin,
            if s.check_on_start { "sim" } else { "não" }
        ),
        Resolved::Disabled(why) => format!("desativadas — {why}"),
    }
}

/// The managed policy in one line: none (and where it would be), in force, or refused with its reason.
fn policy_summary(state: &balcao_service::managed::PolicyState) -> String {
    use balcao_service::managed::PolicyState;
    match state {
        PolicyState::Absent => format!(
            "nenhuma ({} não existe)",
            balcao_service::policy::current_policy_dir().join(balcao_service::policy::POLICY_FILE).display()
        ),
        PolicyState::Managed(p) => format!("em vigor ({})", p.file.display()),
        PolicyState::Broken(e) => format!("com erro — {}", e.message()),
    }
}

/// The diagnostics text, for the clerk to paste into a ticket.
#[command]
pub async fn diagnostics<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<String, AppError> {
    let data_dir = balcao_platform::data_dir();
    let log_dir = logging::log_dir(&data_dir);
    let (app_info, start_error, pin_set, policy) = match state.get().await {
        Ok(b) => (Some(b.lookup().app_info().await), None, b.lock().pin_set().ok(), policy_summary(b.managed_policy())),
        Err(e) => (None, Some(format!("{:?}: {}", e.code, e.message)), None, "desconhecida (o início falhou)".into()),
    };
    let facts = Facts {
        version: app.package_info().version.to_string(),
        os: os_description(),
        app: app_info,
        start_error,
        data_dir: data_dir.display().to_string(),
        data_redirected: balcao_platform::is_redirected(),
        log_dir: log_dir.display().to_string(),
        update: update_summary(&data_dir),
        policy,
        pin_set,
        log_tail: logging::tail(&log_dir, LOG_LINES),
    };
    Ok(render(&facts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::api::{Environment, ProfileSummary, Provider};

    #[test]
    fn the_report_has_what_it_needs_and_no_personal_number() {
        let f = Facts {
            version: "0.1.0".into(),
            os: "Debian GNU/Linux 12 (bookworm) (linux, x86_64)".into(),
            app: Some(AppInfo {
                version: "0.1.0".into(),
                profile: ProfileSummary {
                    id: "demo".into(),
                    name: "Demonstração".into(),
                    provider: Provider::Serpro,
                    environment: Environment::Demonstracao,
                    is_demo: true,
                },
                purpose_required: false,
            }),
            start_error: None,
            data_dir: "/home/x/.local/share/br.gov.balcao".into(),
            data_redirected: false,
            log_dir: "/home/x/.local/share/br.gov.balcao/logs".into(),
            update: "desativadas — teste".into(),
            policy: "em vigor (/etc/balcao/policy.toml)".into(),
            pin_set: Some(true),
            log_tail: vec!["INFO lookup 404.428.201-35 done".into(), "auth Bearer abc.def".into()],
        };
        let text = render(&f);
        for want in [
            "Balcão: 0.1.0",
            "Debian",
            "Demonstração",
            "Pasta de registros",
            "PIN de bloqueio: definido",
            "Política da TI: em vigor (/etc/balcao/policy.toml)",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
        assert!(!text.contains("404.428.201-35") && text.contains("***.428.201-**"));
        assert!(!text.contains("abc.def"));
    }
}
