// Test set-up: a clean IPC mock, window.print and clipboard stand-ins, and the app state reset after each test.
import { configure } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, beforeEach, vi } from 'vitest';
import { resetApp } from './helpers';

// The result screens load as a lazy chunk: on a busy 2-core machine (CI builds in parallel) the first import can take
// over the library's 1 s default. Waiting longer changes no assertion, only how long a failing one takes to say so.
configure({ asyncUtilTimeout: 5000 });

beforeEach(() => {
  window.print = vi.fn();
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: { writeText: vi.fn(async () => {}) },
  });
});

afterEach(() => {
  clearMocks();
  resetApp();
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});
