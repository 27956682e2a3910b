//! Generates one permission per app command (`allow-<command>`, from the declaration in commands.rs), so the
//! capability can list exactly Balcão's commands; rebuilds when the updater's build inputs change.

/// Reads the declaration for the command names only (the shell reads the rest).
macro_rules! declare_commands {
    ($($module:ident :: $command:ident => $lock:ident),* $(,)?) => {
        const COMMANDS: &[&str] = &[$(stringify!($command)),*];
    };
}

include!("commands.rs");

fn main() {
    // The production update key and default endpoint are build inputs (see docs/release.md).
    println!("cargo:rerun-if-env-changed=BALCAO_UPDATER_PUBKEY");
    println!("cargo:rerun-if-env-changed=BALCAO_UPDATE_ENDPOINT");
    println!("cargo:rerun-if-changed=commands.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
