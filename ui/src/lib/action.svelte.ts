//! The state of one call to the core behind a button (save, test, check, export…): busy, its answer or its pt-BR error.

import type { ErrorCode } from './bindings/ErrorCode';
import { toAppError } from './ipc';

export class Action<T = unknown> {
  busy = $state(false);
  /** The last answer, as received (never changed in place: a new answer replaces it). */
  result = $state.raw<T | null>(null);
  /** The pt-BR message of the last failure (the core's own, or the clerk's mistake caught before any call). */
  error = $state<string | null>(null);
  /** The code of the last failure; null for a mistake refused before any call. */
  code = $state<ErrorCode | null>(null);
  /** A pt-BR line on success («Perfil salvo.»), when the caller gave one. */
  notice = $state<string | null>(null);

  /** What to show under the button: the notice (ok) or the error. */
  get message(): { ok: boolean; text: string } | null {
    if (this.error !== null) return { ok: false, text: this.error };
    if (this.notice !== null) return { ok: true, text: this.notice };
    return null;
  }

  /** Forgets the answer, the notice and the error (the record or the form on screen changed). */
  reset(): void {
    this.result = null;
    this.error = null;
    this.code = null;
    this.notice = null;
  }

  /** A clerk's mistake caught before any call: shown as the error, nothing else changes. */
  refuse(message: string): void {
    this.error = message;
    this.code = null;
    this.notice = null;
  }

  /** A failure outside `run` (a poll that failed): shown with its pt-BR message and code. */
  fail(err: unknown): void {
    const e = toAppError(err);
    this.error = e.message;
    this.code = e.code;
    this.notice = null;
  }

  /**
   * Calls the core once: while a call runs, another is refused (a double click calls once). True when it answered;
   * the answer is in `result`, and `notice` (text or made from the answer) is shown. False when it failed or was
   * refused: a failure's pt-BR message is in `error`.
   */
  async run(call: () => Promise<T>, notice?: string | ((answer: T) => string)): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    this.code = null;
    this.notice = null;
    try {
      const answer = await call();
      this.result = answer;
      if (notice !== undefined) this.notice = typeof notice === 'string' ? notice : notice(answer);
      return true;
    } catch (err) {
      this.result = null;
      this.fail(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
