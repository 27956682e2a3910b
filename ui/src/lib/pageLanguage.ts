//! The page's language is pt-BR whatever the OS locale: navigator.language made pt-BR before any library reads it.

/**
 * Makes `navigator.language(s)` say pt-BR, and keeps what the OS said on `<html data-os-language>`.
 *
 * WebKitGTK derives navigator.language from the process locale: under `LANG=C.UTF-8` it is "c", which is not a
 * language tag, and a library that formats with it (uPlot builds `new Intl.NumberFormat(navigator.language)` when it
 * loads) throws a RangeError, which left the history chart blank. Balcão's page reads pt-BR on any machine.
 */
export function usePtBrLanguage(nav: Navigator = navigator, root: HTMLElement = document.documentElement): void {
  root.dataset.osLanguage = String(nav.language);
  try {
    Object.defineProperty(nav, 'language', { value: 'pt-BR', configurable: true });
    Object.defineProperty(nav, 'languages', { value: Object.freeze(['pt-BR']), configurable: true });
  } catch {
    // A navigator that refuses the override keeps the OS's; every Balcão formatter names pt-BR itself.
  }
}
