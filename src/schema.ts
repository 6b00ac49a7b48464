/**
 * A small schema language for the catalogue's JSON files: enough to say what each field must
 * be, to report every violation with its path, and to derive the TypeScript type of a
 * validated value (Infer) so that the schema is written once.
 */

export type Schema =
  /** A string; non-empty unless `empty`. */
  | { readonly type: 'string'; readonly pattern?: RegExp; readonly description?: string; readonly empty?: boolean }
  | { readonly type: 'integer'; readonly minimum?: number; readonly maximum?: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'array'; readonly items: Schema; readonly minItems?: number; readonly maxItems?: number }
  /** The value, or null. */
  | { readonly type: 'nullable'; readonly of: Schema }
  /** An object whose `tag` field (a string, or a boolean keyed 'true'/'false') picks the schema it must meet (a tagged union). */
  | { readonly type: 'variant'; readonly tag: string; readonly variants: Readonly<Record<string, Schema>> }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, Schema>>; readonly optional?: readonly string[] }
  | { readonly type: 'record'; readonly values: Schema }
  /** Validated elsewhere (a detector's parameters, checked against that detector's schema). */
  | { readonly type: 'any' };

type Optional<S> = S extends { readonly optional: readonly (infer K)[] } ? K : never;

type InferObject<P extends Readonly<Record<string, Schema>>, O extends string> = {
  readonly [K in Exclude<keyof P, O>]: Infer<P[K]>;
} & { readonly [K in Extract<keyof P, O>]?: Infer<P[K]> };

export type Infer<S extends Schema> = S extends { type: 'string' }
  ? string
  : S extends { type: 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : S extends { type: 'array'; items: infer I extends Schema }
          ? readonly Infer<I>[]
          : S extends { type: 'object'; properties: infer P extends Readonly<Record<string, Schema>> }
            ? InferObject<P, Optional<S> & string>
            : S extends { type: 'record'; values: infer V extends Schema }
              ? Readonly<Record<string, Infer<V>>>
              : S extends { type: 'any' }
                ? unknown
                : S extends { type: 'nullable'; of: infer O extends Schema }
                  ? Infer<O> | null
                  : S extends { type: 'variant'; variants: infer V extends Readonly<Record<string, Schema>> }
                    ? Infer<V[keyof V]>
                    : never;

/** Helpers that keep literal types, so Infer sees them. */
export const str = (pattern?: RegExp): { readonly type: 'string'; readonly pattern?: RegExp } => (pattern ? { type: 'string', pattern } : { type: 'string' });
export const int = (minimum?: number, maximum?: number) => ({ type: 'integer', minimum, maximum }) as const;
/** A string that may be empty (a section's flag letters, a name a producer left blank). */
export const text = { type: 'string', empty: true } as const;
export const bool = { type: 'boolean' } as const;
export const nullable = <const O extends Schema>(of: O) => ({ type: 'nullable', of }) as const;
export const variant = <const V extends Readonly<Record<string, Schema>>>(tag: string, variants: V) => ({ type: 'variant', tag, variants }) as const;
/** An array of exactly `n` items (a tuple of one type). */
export const tuple = <const I extends Schema>(items: I, n: number) => ({ type: 'array', items, minItems: n, maxItems: n }) as const;
export const oneOf = <const V extends readonly string[]>(values: V) => ({ type: 'enum', values }) as const;
export const list = <const I extends Schema>(items: I, minItems = 0) => ({ type: 'array', items, minItems }) as const;
export const anything = { type: 'any' } as const;
export const record = <const V extends Schema>(values: V) => ({ type: 'record', values }) as const;
export function object<const P extends Readonly<Record<string, Schema>>>(properties: P): { readonly type: 'object'; readonly properties: P; readonly optional: readonly [] };
export function object<const P extends Readonly<Record<string, Schema>>, const O extends readonly (keyof P & string)[]>(
  properties: P,
  optional: O,
): { readonly type: 'object'; readonly properties: P; readonly optional: O };
export function object(properties: Readonly<Record<string, Schema>>, optional: readonly string[] = []): Schema {
  return { type: 'object', properties, optional };
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

/** Every violation of `schema` by `value`, each as "path: what is wrong". */
export function validate(value: unknown, schema: Schema, path = ''): string[] {
  const at = path || '(top level)';
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string' || (value === '' && !schema.empty)) return [`${at}: expected a ${schema.empty ? '' : 'non-empty '}string, got ${describe(value)}`];
      if (schema.pattern && !schema.pattern.test(value)) return [`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`];
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${at}: expected an integer, got ${describe(value)}`];
      if (schema.minimum !== undefined && value < schema.minimum) return [`${at}: ${value} is below ${schema.minimum}`];
      if (schema.maximum !== undefined && value > schema.maximum) return [`${at}: ${value} is above ${schema.maximum}`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected true or false, got ${describe(value)}`];
    case 'enum':
      return typeof value === 'string' && schema.values.includes(value) ? [] : [`${at}: expected one of ${schema.values.join(', ')}, got ${describe(value)}`];
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: expected an array, got ${describe(value)}`];
      const errors = value.flatMap((item, i) => validate(item, schema.items, `${path}[${i}]`));
      if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: needs at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${at}: has ${value.length} items, at most ${schema.maxItems} allowed`);
      return errors;
    }
    case 'nullable':
      return value === null ? [] : validate(value, schema.of, path);
    case 'variant': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object, got ${describe(value)}`];
      // The tag is a string, or a boolean (variants keyed 'true' and 'false').
      const tag = (value as Record<string, unknown>)[schema.tag];
      const key = typeof tag === 'string' ? tag : typeof tag === 'boolean' ? String(tag) : undefined;
      const chosen = key !== undefined && Object.hasOwn(schema.variants, key) ? schema.variants[key] : undefined;
      if (!chosen) return [`${path ? `${path}.` : ''}${schema.tag}: expected one of ${Object.keys(schema.variants).join(', ')}, got ${describe(tag)}`];
      return validate(value, chosen, path);
    }
    case 'record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object, got ${describe(value)}`];
      return Object.entries(value).flatMap(([k, v]) => validate(v, schema.values, path ? `${path}.${k}` : k));
    }
    case 'any':
      return [];
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object, got ${describe(value)}`];
      const errors: string[] = [];
      const optional = new Set(schema.optional ?? []);
      const obj = value as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        if (!Object.hasOwn(schema.properties, key)) errors.push(`${path ? `${path}.` : ''}${key}: unknown field (known: ${Object.keys(schema.properties).join(', ')})`);
      }
      for (const [key, sub] of Object.entries(schema.properties)) {
        const sub_path = path ? `${path}.${key}` : key;
        if (!Object.hasOwn(obj, key)) {
          if (!optional.has(key)) errors.push(`${sub_path}: missing`);
          continue;
        }
        errors.push(...validate(obj[key], sub, sub_path));
      }
      return errors;
    }
  }
}
