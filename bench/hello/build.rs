//! Generates the fixture's single permission (`allow-ui-ready`), as Balcão's build script does for its commands.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&["ui_ready"])),
    )
    .expect("failed to run tauri-build");
}
