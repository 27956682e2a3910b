//! Generates one permission per app command (`allow-<command>`, from commands.list), so the capability can list
//! exactly Balcão's commands; rebuilds when the updater's build inputs change.

const COMMANDS: &[&str] = &include!("commands.list");

fn main() {
    // The production update key and default endpoint are build inputs (see docs/release.md).
    println!("cargo:rerun-if-env-changed=BALCAO_UPDATER_PUBKEY");
    println!("cargo:rerun-if-env-changed=BALCAO_UPDATE_ENDPOINT");
    println!("cargo:rerun-if-changed=commands.list");
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
