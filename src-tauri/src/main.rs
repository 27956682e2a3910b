//! Balcão's entry point: hands over to the shell library.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    balcao_app::run();
}
