/**
 * The fuzz cases: seeded, so a failing case is replayed by its seed and number. Each case is one
 * HTTP request built from the shapes identity providers send, mutated the way an attacker or a
 * broken client would: filters, PATCH bodies, resource bodies, query parameters, headers, paths.
 */

/** A small, fast, seeded PRNG (mulberry32). */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface FuzzCase {
  readonly kind: 'filter' | 'patch' | 'body' | 'query' | 'headers' | 'path';
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

/** What the fuzzer knows of the target: real ids to aim at, so requests reach deep code. */
export interface Targets {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

const ATTRS = [
  'userName',
  'USERNAME',
  'name.givenName',
  'name.familyName',
  'name',
  'displayName',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'emails[type eq "work"].value',
  'phoneNumbers.value',
  'addresses.locality',
  'active',
  'title',
  'externalId',
  'id',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  'meta.version',
  'groups',
  'groups.value',
  'groups.display',
  'groups.type',
  'members',
  'members.value',
  'members.type',
  'roles.value',
  'x509Certificates.value',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'employeeNumber',
  'manager',
  'nope',
  'a.b.c',
  '$ref',
  '',
  'emails[value pr]',
  'urn:bogus:x',
];
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'Eq', 'xx', 'and', 'or', 'not'];
const STRINGS = [
  '',
  ' ',
  'a',
  'ada@example.com',
  'ÄÖÜ',
  '\u0000',
  '\u202e',
  '😀',
  '%',
  '_',
  '\\',
  '"',
  "'",
  '\n',
  '<script>',
  '1e400',
  '-0',
  'null',
  'true',
  '2026-01-01T00:00:00Z',
  'not-a-date',
  '9223372036854775807',
  'x'.repeat(3000),
  'é'.repeat(1100),
  '\ud800',
  'ﬀ',
  'İ',
];

function jsonString(r: Random): string {
  return r.pick(STRINGS);
}

function value(r: Random, depth = 0): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2147483648, 1e308, -1e-308, Number.MAX_SAFE_INTEGER]);
    case 3:
      return jsonString(r);
    case 4:
      return r.pick(['True', 'FALSE', 'work', 'home', 'User', 'Group']);
    case 5:
      return r.pick(ATTRS);
    case 6:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [r.pick([...ATTRS, 'value', 'type', 'primary', 'display', '$ref', 'Value']), value(r, depth + 1)]),
      );
    default:
      return { value: r.pick([...STRINGS, 'id']), type: r.pick(['work', 'User', 'Group', 'x']), primary: r.chance(0.5) };
  }
}

function filterValue(r: Random): string {
  switch (r.int(6)) {
    case 0:
      return JSON.stringify(jsonString(r));
    case 1:
      return r.pick(['true', 'false', 'null', '42', '-1.5e3', '2026-01-01T00:00:00Z']);
    case 2:
      return r.pick(['jyoung', '"unterminated', '"\\u0000"', '"\\ud800"', '"\\x"', '""']);
    case 3:
      return `"${'a'.repeat(r.int(5000))}"`;
    default:
      return JSON.stringify(r.pick(['ada@example.com', 'work', 'Employee']));
  }
}

export function filter(r: Random, depth = 0): string {
  const term = () => {
    const attr = r.pick(ATTRS);
    const op = r.pick(OPS);
    return op.toLowerCase() === 'pr' ? `${attr} pr` : `${attr} ${op} ${filterValue(r)}`;
  };
  switch (r.int(depth > 3 ? 3 : 9)) {
    case 0:
    case 1:
    case 2:
      return term();
    case 3:
      return `${filter(r, depth + 1)} ${r.pick(['and', 'or', 'AND', 'Or', 'xor', ''])} ${filter(r, depth + 1)}`;
    case 4:
      return `not (${filter(r, depth + 1)})`;
    case 5:
      return `(${filter(r, depth + 1)}${r.chance(0.1) ? '' : ')'}`;
    case 6:
      return `${r.pick(['emails', 'members', 'groups', 'addresses', 'name', 'nope'])}[${filter(r, depth + 1)}]${r.chance(0.3) ? `.${r.pick(['value', 'type', 'x'])} eq "v"` : ''}`;
    case 7:
      return Array.from({ length: 1 + r.int(80) }, term).join(r.pick([' and ', ' or ']));
    default:
      return r.pick([
        '',
        ' ',
        '(',
        ')',
        '[]',
        'userName eq',
        'eq "x"',
        '"',
        'userName eq "x" and',
        'not userName eq "x"',
        '((((',
        'a'.repeat(5000),
        '\u0000',
        'userName[',
        '.value eq "x"',
      ]);
  }
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function patchBody(r: Random, targets: Targets): unknown {
  const ops = Array.from({ length: r.chance(0.02) ? 1001 : 1 + r.int(4) }, () => {
    const op: Record<string, unknown> = { op: r.pick(['add', 'remove', 'replace', 'Replace', 'ADD', 'delete', 7, null]) };
    if (r.chance(0.85))
      op.path = r.chance(0.3)
        ? filter(r, 2)
        : r.pick([...ATTRS, 'members', `members[value eq "${r.pick(targets.users)}"]`, 'emails[type eq "work"].value', 'name.givenName', '']);
    if (r.chance(0.85)) op.value = r.chance(0.3) ? [{ value: r.pick([...targets.users, ...targets.groups, 'missing']) }] : value(r);
    return op;
  });
  const body: Record<string, unknown> = { Operations: ops };
  if (r.chance(0.8)) body.schemas = r.chance(0.9) ? [PATCH_OP] : value(r);
  return r.chance(0.05) ? value(r) : body;
}

function resourceBody(r: Random, group: boolean, targets: Targets): unknown {
  const body: Record<string, unknown> = {};
  if (r.chance(0.7)) body.schemas = [group ? 'urn:ietf:params:scim:schemas:core:2.0:Group' : 'urn:ietf:params:scim:schemas:core:2.0:User'];
  if (group) {
    if (r.chance(0.8)) body.displayName = r.chance(0.7) ? `g${r.int(1e9)}` : value(r);
    if (r.chance(0.5)) body.members = r.chance(0.7) ? [{ value: r.pick([...targets.users, ...targets.groups, 'missing']) }] : value(r);
  } else if (r.chance(0.85)) body.userName = r.chance(0.7) ? `u${r.int(1e9)}@example.com` : value(r);
  for (let i = r.int(5); i > 0; i--) body[r.pick(ATTRS)] = value(r);
  return r.chance(0.05) ? value(r) : body;
}

/** encodeURIComponent, with lone surrogates sent as the invalid UTF-8 bytes a broken client would send. */
function enc(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text
      .split('')
      .map((ch) => (/[\ud800-\udfff]/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch)))
      .join('');
  }
}

function encodeQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
}

function idOf(r: Random, targets: Targets, group: boolean): string {
  const pool = group ? targets.groups : targets.users;
  switch (r.int(8)) {
    case 0:
      return enc(r.pick(STRINGS)) || 'x';
    case 1:
      return r.pick(['%FF', '%00', '..', '%2e%2e', 'a'.repeat(300), '%C0%AF', '00000000-0000-4000-8000-000000000000']);
    default:
      return r.pick(pool);
  }
}

/** One case; `auth` is the organization's scim token, `app` its app token. */
export function fuzzCase(r: Random, targets: Targets, auth: string, app: string): FuzzCase {
  const kind = r.pick(['filter', 'filter', 'patch', 'patch', 'body', 'body', 'query', 'headers', 'path'] as const);
  const group = r.chance(0.35);
  const base = group ? '/scim/v2/Groups' : '/scim/v2/Users';
  const headers: Record<string, string> = { authorization: `Bearer ${auth}` };
  const json = (v: unknown) => JSON.stringify(v);
  switch (kind) {
    case 'filter': {
      const f = filter(r);
      if (r.chance(0.3))
        return {
          kind,
          method: 'POST',
          url: r.chance(0.3) ? '/scim/v2/.search' : `${base}/.search`,
          headers: { ...headers, 'content-type': 'application/scim+json' },
          payload: json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: f, count: r.int(5) }),
        };
      return { kind, method: 'GET', url: `${base}?${encodeQuery({ filter: f })}`, headers };
    }
    case 'patch':
      return {
        kind,
        method: 'PATCH',
        url: `${base}/${idOf(r, targets, group)}`,
        headers: { ...headers, 'content-type': 'application/scim+json' },
        payload: r.chance(0.05) ? '{"Operations":[' : json(patchBody(r, targets)),
      };
    case 'body': {
      const put = r.chance(0.3);
      const text = r.chance(0.05)
        ? r.pick(['', '{', '[]', 'null', '"x"', '{"a":' + '['.repeat(100) + ']'.repeat(100) + '}', '\u0000'])
        : json(resourceBody(r, group, targets));
      return {
        kind,
        method: put ? 'PUT' : 'POST',
        url: put ? `${base}/${idOf(r, targets, group)}` : base,
        headers: { ...headers, 'content-type': r.pick(['application/scim+json', 'application/json', 'application/scim+json; charset=utf-8']) },
        payload: text,
      };
    }
    case 'query': {
      const params: Record<string, string> = {};
      for (const k of ['startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'STARTINDEX', 'filter']) {
        if (!r.chance(0.4)) continue;
        params[k] =
          k.toLowerCase().includes('index') || k === 'count'
            ? String(r.pick([0, -1, 1, 2, 99999999999999999999, '1.5', 'x', '', '2147483647', '2147483648']))
            : k === 'filter'
              ? filter(r, 2)
              : r.pick([...ATTRS, 'ascending', 'DESCENDING', 'sideways', 'emails[type eq "work"]', 'a,b,c']);
      }
      const url = r.chance(0.2) ? `${base}/${idOf(r, targets, group)}?${encodeQuery(params)}` : `${base}?${encodeQuery(params)}`;
      return { kind, method: 'GET', url, headers };
    }
    case 'headers': {
      const h: Record<string, string> = {};
      h.authorization = r.pick([
        `Bearer ${auth}`,
        `bearer ${auth}`,
        auth,
        `Bearer ${app}`,
        'Bearer',
        'Basic dXNlcjpwYXNz',
        `Bearer ${auth}x`,
        '',
        'Bearer rc_' + 'a'.repeat(600),
      ]);
      if (r.chance(0.5)) h['content-type'] = r.pick(['text/plain', 'application/xml', 'application/scim+json', 'multipart/form-data; boundary=x', '']);
      if (r.chance(0.3)) h['if-match'] = r.pick(['*', 'W/"1"', '"1"', 'W/"999"', 'garbage', '']);
      if (r.chance(0.3)) h['if-none-match'] = r.pick(['*', 'W/"1"', 'x']);
      if (r.chance(0.2)) h['x-forwarded-host'] = r.pick(['evil.example', 'javascript://x']);
      const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
      const url = r.pick([
        base,
        `${base}/${idOf(r, targets, group)}`,
        '/scim/v2/ServiceProviderConfig',
        '/scim/v2/Schemas',
        '/scim/v2/ResourceTypes/User',
        '/api/v1/events',
        '/api/v1/webhooks',
      ]);
      return {
        kind,
        method,
        url,
        headers: h,
        ...(method === 'GET' || method === 'HEAD' ? {} : { payload: r.chance(0.5) ? json(resourceBody(r, group, targets)) : 'x' }),
      };
    }
    case 'path': {
      const url = r.pick([
        `/scim/v2/${r.pick(['Users', 'users', 'USERS', 'Groups', 'Schemas', 'ResourceTypes', 'Bulk', '.search', 'Users/.search', 'Nope', ''])}/${idOf(r, targets, group)}`,
        `/scim/v2/Schemas/${enc(r.pick(ATTRS))}`,
        `/scim/v2/ResourceTypes/${r.pick(['User', 'Group', 'x', '%FF'])}`,
        `/scim/v2/Users/${idOf(r, targets, false)}/${r.pick(['x', '..', ''])}`,
        `/scim/v2//Users//${idOf(r, targets, false)}`,
        `/api/v1/${r.pick(['events', 'webhooks', 'webhooks/x', 'webhooks/x/deliveries', 'nope'])}?after=${r.pick(['0', '-1', 'x', '99999999999', '2147483647'])}&limit=${r.pick(['0', '5', '100000', 'x'])}`,
      ]);
      return { kind, method: r.pick(['GET', 'DELETE', 'POST']), url, headers: { ...headers, authorization: `Bearer ${url.startsWith('/api') ? app : auth}` } };
    }
  }
}
