/**
 * Deterministic JSON: object keys sorted (JavaScript's default UTF-16 order) at every level, no whitespace, keys whose
 * value is undefined left out (as JSON.stringify does). Two programs that agree on the value
 * agree on the bytes, which is what a hash over the value needs.
 */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  return out === undefined ? 'null' : out;
}

function canonicalize(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt has no JSON form');
    case 'number':
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return canonicalize(withToJson.toJSON());
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalize(v) ?? 'null').join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = canonicalize(obj[key]);
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${v}`);
  }
  return `{${parts.join(',')}}`;
}
