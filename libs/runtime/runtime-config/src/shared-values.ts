/**
 * Deep-frozen copies of definition values, shared between APIs: most blocks of a
 * normalized definition are defaults or settings many APIs have alike (timeouts, retries,
 * breaker, outlier detection, `hosts: []`, `policies` with every policy off, the same
 * route list), and at 10,000 APIs one frozen copy of each instead of 10,000 is megabytes.
 * Values are frozen, so sharing is invisible to readers; identity even lets callers share
 * what they build from a value (a router per route list).
 *
 * Entries are held weakly: a value no config uses any more is collected, and its entry
 * goes with it. Keyed by the value's JSON; only values up to `MAX_SHARED_JSON` characters
 * are shared (a larger one, such as a whole definition or an upstream block with its
 * targets, is unique per API: its key would only cost memory), larger ones are frozen
 * copies whose parts are shared. Only values built anew pay for it.
 *
 * What it built is known by identity: sharing its own output again costs nothing, and
 * `keyOf` tells which objects are shared copies (shared-blocks.ts writes a set of values
 * with each shared block once and reads them back without serializing every block again).
 */
const MAX_SHARED_JSON = 512;

export class SharedValues {
  readonly #byJson = new Map<string, WeakRef<object>>();
  /** The key of each shared copy this instance holds. */
  readonly #keyOf = new WeakMap<object, string>();
  /** Values `share` returned that are too large to share (frozen copies it built). */
  readonly #builtLarge = new WeakSet<object>();
  readonly #cleanup = new FinalizationRegistry<string>((json) => {
    const ref = this.#byJson.get(json);
    if (ref !== undefined && ref.deref() === undefined) this.#byJson.delete(json);
  });

  /** Distinct values held (for tests and metrics). */
  get size(): number {
    return this.#byJson.size;
  }

  /** Whether the value `#share` returned last is too large to share (its JSON over MAX_SHARED_JSON). */
  #large = false;

  /** `value` deep-frozen, with every object and array in it replaced by the shared equal one. */
  share<T>(value: T): T {
    if (value !== null && typeof value === 'object' && (this.#keyOf.has(value) || this.#builtLarge.has(value))) return value;
    const out = this.#share(value);
    if (this.#large) this.#builtLarge.add(out as object);
    return out as T;
  }

  /** The JSON key of `value` when it is one of this instance's shared copies. */
  keyOf(value: object): string | undefined {
    return this.#keyOf.get(value);
  }

  /**
   * Takes a deep-frozen `value` whose parts are already this instance's shared copies (or
   * unique values) as if `share` had built it: the live shared copy of an equal value if
   * there is one, else `value` itself, now shared. A value too large to share is kept as
   * a large value. Costs one serialization of `value`, none of its parts.
   */
  adopt<T extends object>(value: T): T {
    const json = JSON.stringify(value);
    if (json.length > MAX_SHARED_JSON) return this.adoptLarge(value);
    const known = this.#byJson.get(json)?.deref();
    if (known !== undefined) return known as T;
    this.#register(value, json);
    return value;
  }

  /** Takes a deep-frozen value too large to share, built of shared copies and unique values, as if `share` had built it. */
  adoptLarge<T extends object>(value: T): T {
    this.#builtLarge.add(value);
    return value;
  }

  #register(value: object, json: string): void {
    this.#byJson.set(json, new WeakRef(value));
    this.#keyOf.set(value, json);
    this.#cleanup.register(value, json);
  }

  #share(value: unknown): unknown {
    if (value === null || typeof value !== 'object') {
      this.#large = false;
      return value;
    }
    let copy: object;
    // A value holding a large one is larger still: it is neither serialized nor shared (a whole definition, an upstream with its targets).
    let large = false;
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        out[i] = this.#share(value[i]);
        large ||= this.#large;
      }
      copy = out;
    } else {
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(record)) {
        out[k] = this.#share(record[k]);
        large ||= this.#large;
      }
      copy = out;
    }
    // Key order is the schema's (normalized definitions are built field by field), so equal values serialize alike.
    const json = large ? undefined : JSON.stringify(copy);
    if (json === undefined || json.length > MAX_SHARED_JSON) {
      this.#large = true;
      return Object.freeze(copy);
    }
    this.#large = false;
    const known = this.#byJson.get(json)?.deref();
    if (known !== undefined) return known;
    Object.freeze(copy);
    this.#register(copy, json);
    return copy;
  }
}
