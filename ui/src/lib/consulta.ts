//! What the window asks of the Consulta screen (put the caret in its input, empty it): Consulta attaches itself
//! while mounted; with no Consulta mounted, a request does nothing.

export type ConsultaControls = { focus: () => void; clear: () => void };

let attached: ConsultaControls | null = null;

/** Called by Consulta on mount; returns the function that detaches it (on destroy). */
export function attachConsulta(controls: ConsultaControls): () => void {
  attached = controls;
  return () => {
    if (attached === controls) attached = null;
  };
}

/** Puts the caret in the lookup input (its text selected). */
export function focusConsultaInput(): void {
  attached?.focus();
}

/** Empties the lookup input, its errors and the result. */
export function clearConsulta(): void {
  attached?.clear();
}
