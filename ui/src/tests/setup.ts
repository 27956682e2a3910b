// Test set-up: a clean IPC mock, window.print and clipboard stand-ins, and the app state reset after each test.
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, beforeEach, vi } from 'vitest';
import { resetApp } from './helpers';

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
