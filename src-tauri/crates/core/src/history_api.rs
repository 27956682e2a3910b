//! The history and audit types the UI and CLI exchange with the history store.
