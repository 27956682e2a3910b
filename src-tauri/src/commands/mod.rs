//! The command table, built from the one declaration in `src-tauri/commands.rs`: the handler behind the idle lock's
//! gate, each command's lock policy, and (in tests) the generated capability and TypeScript bindings.

mod bases;
mod batch;
#[cfg(test)]
mod bindings;
mod compare;
mod desk;
mod history;
mod lookup;
mod page;
mod settings;

pub use batch::BatchFollower;
use tauri::ipc::Invoke;
use tauri::{Manager, Runtime};

use crate::{AppState, diagnostics, idle_lock, state, updater};

/// What the idle lock does with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockPolicy {
    /// Runs while locked and before start-up has read the lock: returns no personal data, changes no settings.
    Runs,
    /// Refused until the lock is open.
    Refused,
}

/// One command the page may call (its permission is `allow-<name>` with dashes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    pub while_locked: LockPolicy,
    /// The argument keys the page sends (camelCase), read from the function's signature.
    pub args: &'static [&'static str],
}

/// A command's signature as the page sees it, recorded by `#[balcao_command::command]` (tests only).
#[cfg(test)]
pub trait Signature {
    /// The arguments the page sends: camelCase key and TypeScript type.
    fn args(cfg: &ts_rs::Config) -> Vec<(&'static str, String)>;
    /// The TypeScript type of the answer.
    fn answer(cfg: &ts_rs::Config) -> String;
}

/// Turns the declaration into the command list, the Tauri handler and (in tests) the signatures.
macro_rules! declare_commands {
    ($($module:ident :: $command:ident => $lock:ident),* $(,)?) => {
        /// Every command the page may call, in declaration order.
        pub const COMMANDS: &[Command] =
            &[$(Command { name: stringify!($command), while_locked: LockPolicy::$lock, args: $module::$command::ARGS }),*];

        fn table<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
            typed::<R, _>(tauri::generate_handler![$($module::$command),*])
        }

        /// Each command's name, arguments and answer, for the generated TypeScript.
        #[cfg(test)]
        fn signatures(cfg: &ts_rs::Config) -> Vec<(&'static str, Vec<(&'static str, String)>, String)> {
            vec![$((
                stringify!($command),
                <$module::$command as Signature>::args(cfg),
                <$module::$command as Signature>::answer(cfg),
            )),*]
        }
    };
}

include!("../../commands.rs");

/// The policy declared for `name`; `None` for anything that is not one of Balcão's commands.
pub fn lock_policy(name: &str) -> Option<LockPolicy> {
    COMMANDS.iter().find(|c| c.name == name).map(|c| c.while_locked)
}

pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    let inner = table::<R>();
    move |invoke: Invoke<R>| {
        // Fails closed: without the state, or before start-up has read the lock, only harmless commands run.
        let services = invoke.message.webview_ref().try_state::<AppState>().and_then(|s| s.started());
        let refuse = !idle_lock::allowed(services.as_deref(), invoke.message.command());
        if refuse {
            invoke.resolver.reject(idle_lock::locked_error());
            return true;
        }
        inner(invoke)
    }
}

/// Names the handler's argument type (the generated closure cannot infer it in a generic function).
fn typed<R: Runtime, F: Fn(Invoke<R>) -> bool>(f: F) -> F {
    f
}
