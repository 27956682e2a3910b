//! The state of one check run on demand (a declaration, a partner search): busy, its answer or its pt-BR error.

import type { AppError } from './bindings/AppError';

export class Check<T> {
  busy = $state(false);
  result = $state<T | null>(null);
  error = $state<string | null>(null);

  /** Forgets the answer and the error (the record on screen changed). */
  reset(): void {
    this.result = null;
    this.error = null;
  }

  /** A clerk's mistake caught before any call: shown as the error, nothing else changes. */
  refuse(message: string): void {
    this.error = message;
  }

  async run(call: () => Promise<T>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      this.result = await call();
    } catch (err) {
      this.result = null;
      this.error = (err as AppError).message;
    } finally {
      this.busy = false;
    }
  }
}
