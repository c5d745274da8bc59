/**
 * A small least-recently-used cache of loads in flight or done. Concurrent `get`s of one key share a
 * single load (a fan-out of 3,000 jobs for one activity reads it once); failed loads and `null`
 * results are not kept, so a transient database error or a row that appears later is retried.
 */
export class LoadingLru<K, V> {
  readonly #capacity: number;
  readonly #load: (key: K) => Promise<V | null>;
  readonly #entries = new Map<K, Promise<V | null>>();

  constructor(capacity: number, load: (key: K) => Promise<V | null>) {
    this.#capacity = capacity;
    this.#load = load;
  }

  get(key: K): Promise<V | null> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const loading = this.#load(key);
    this.#entries.set(key, loading);
    loading.then(
      (value) => {
        if (value === null && this.#entries.get(key) === loading) this.#entries.delete(key);
      },
      () => {
        if (this.#entries.get(key) === loading) this.#entries.delete(key);
      },
    );
    while (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return loading;
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
