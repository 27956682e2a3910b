//! `cargo xtask bench`: runs the criterion benchmarks of the workspace.

use crate::sh::{self, Result};

pub fn run() -> Result {
    sh::run(sh::cargo().args(["bench", "--workspace"]))
}
