//! Loading code that is not on the first paint: one cached `import()` per module, forgotten when it fails so the
//! next call retries.

export type Loader<T> = () => Promise<T>;

/** Wraps `load` so it runs at most once while it succeeds; a failed load is tried again on the next call. */
export function once<T>(load: Loader<T>): Loader<T> {
  let pending: Promise<T> | null = null;
  return () => {
    if (!pending) {
      const p = load();
      pending = p;
      p.catch(() => {
        if (pending === p) pending = null;
      });
    }
    return pending;
  };
}
