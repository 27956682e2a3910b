//! The main window's size, position and maximised state: saved to `window.json` in the data folder as the clerk
//! moves and resizes it, and given back to the window at the next start.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{Manager, PhysicalPosition, PhysicalSize, Runtime, WebviewWindow, Window};

const FILE: &str = "window.json";
/// Moves and resizes arrive in bursts: the state is written once they pause.
const SETTLE: Duration = Duration::from_millis(300);
/// Sizes outside these bounds are not a window a clerk left (a damaged file): the defaults are kept.
const MIN_SIDE: u32 = 200;
const MAX_SIDE: u32 = 16_384;

/// Where and how large the window was (physical pixels; position of the outer frame, size of the inside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Geometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub maximized: bool,
}

impl Geometry {
    fn plausible(&self) -> bool {
        (MIN_SIDE..=MAX_SIDE).contains(&self.width) && (MIN_SIDE..=MAX_SIDE).contains(&self.height)
    }
}

/// The window's last geometry and whether a write is already waiting.
#[derive(Debug, Default)]
pub struct WindowState {
    latest: Mutex<Option<Geometry>>,
    pending: Mutex<bool>,
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The saved geometry, if there is a sound one.
pub fn load(data_dir: &Path) -> Option<Geometry> {
    let text = std::fs::read(file(data_dir)).ok()?;
    serde_json::from_slice::<Geometry>(&text).ok().filter(Geometry::plausible)
}

/// Writes the geometry whole (temporary file renamed into place).
pub fn save(data_dir: &Path, g: &Geometry) -> std::io::Result<()> {
    let text = serde_json::to_vec(g).map_err(std::io::Error::other)?;
    let tmp = data_dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file(data_dir))
}

/// Gives the window the saved geometry (called once, at start). A position no screen shows any more (a monitor
/// unplugged) is not used: the window system places it.
pub fn restore<R: Runtime>(window: &WebviewWindow<R>, data_dir: &Path) {
    let Some(g) = load(data_dir) else { return };
    if let Some(state) = window.try_state::<WindowState>() {
        *state.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(g);
    }
    // Only what differs is set: resizing or moving a window that is already where the clerk left it costs start-up
    // time for nothing (the window is laid out again while the page loads).
    if window.inner_size().ok() != Some(PhysicalSize::new(g.width, g.height)) {
        let _ = window.set_size(PhysicalSize::new(g.width, g.height));
    }
    let visible = window.available_monitors().unwrap_or_default().iter().any(|m| {
        let (p, s) = (m.position(), m.size());
        let inside = |v: i32, start: i32, len: u32| {
            v >= start && i64::from(v) < i64::from(start) + i64::from(len).saturating_sub(40)
        };
        inside(g.x, p.x, s.width) && inside(g.y, p.y, s.height)
    });
    if visible && window.outer_position().ok() != Some(PhysicalPosition::new(g.x, g.y)) {
        let _ = window.set_position(PhysicalPosition::new(g.x, g.y));
    }
    if g.maximized {
        let _ = window.maximize();
    }
    tracing::debug!(?g, visible, "window geometry restored");
}

/// The window moved or was resized: its geometry is noted and written once the changes pause. While maximised only
/// the flag changes, so un-maximising next time returns to the size the clerk chose.
pub fn changed<R: Runtime>(window: &Window<R>) {
    if window.label() != "main" {
        return;
    }
    let Some(state) = window.try_state::<WindowState>() else { return };
    let maximized = window.is_maximized().unwrap_or(false);
    let minimized = window.is_minimized().unwrap_or(false);
    if minimized {
        return;
    }
    {
        let mut latest = state.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let g = if maximized {
            latest.map(|g| Geometry { maximized: true, ..g })
        } else {
            match (window.outer_position(), window.inner_size()) {
                (Ok(p), Ok(s)) => Some(Geometry { x: p.x, y: p.y, width: s.width, height: s.height, maximized: false }),
                _ => None,
            }
        };
        if g.is_none() || g == *latest {
            return;
        }
        *latest = g;
    }
    let mut pending = state.pending.lock().unwrap_or_else(PoisonError::into_inner);
    if *pending {
        return;
    }
    *pending = true;
    let app = window.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SETTLE).await;
        let state = app.state::<WindowState>();
        *state.pending.lock().unwrap_or_else(PoisonError::into_inner) = false;
        let g = *state.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(g) = g
            && let Err(e) = save(&balcao_platform::data_dir(), &g)
        {
            tracing::warn!(error = %e, "window geometry not saved");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_geometry_round_trips_and_a_damaged_or_absurd_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), None, "nothing saved yet");
        let g = Geometry { x: -20, y: 35, width: 1100, height: 700, maximized: true };
        save(dir.path(), &g).unwrap();
        assert_eq!(load(dir.path()), Some(g));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        std::fs::write(dir.path().join(FILE), b"{\"x\":1").unwrap();
        assert_eq!(load(dir.path()), None, "half a file");
        save(dir.path(), &Geometry { width: 0, ..g }).unwrap();
        assert_eq!(load(dir.path()), None, "a window of no width");
        save(dir.path(), &Geometry { height: 90_000, ..g }).unwrap();
        assert_eq!(load(dir.path()), None, "taller than any screen");
    }
}
