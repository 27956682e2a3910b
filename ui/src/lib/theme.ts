//! Light/dark theme: follows prefers-color-scheme unless the clerk chose one (kept in localStorage).

export type ThemeChoice = 'auto' | 'light' | 'dark';

const KEY = 'balcao-theme';

export function loadTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'auto') delete root.dataset.theme;
  else root.dataset.theme = choice;
  try {
    if (choice === 'auto') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Storage unavailable: the choice lasts for this window only.
  }
}

/** auto → the opposite of what the system shows now → back to auto. */
export function nextTheme(choice: ThemeChoice): ThemeChoice {
  if (choice !== 'auto') return 'auto';
  const dark = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
  return dark ? 'light' : 'dark';
}
