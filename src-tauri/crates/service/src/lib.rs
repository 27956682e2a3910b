//! Balcão's use cases without Tauri: start-up, lookup, history, profiles and settings, as the shell's commands call them.

pub mod settings_store;
