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
  readonly kind: 'filter' | 'patch' | 'body' | 'query' | 'headers' | 'path' | 'bulk' | 'cursor' | 'catalog' | 'api';
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

/** What the fuzzer knows of the target: real ids to aim at, so requests reach deep code. */
export interface Targets {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  /** Cursors the server issued, to send back edited and whole. */
  readonly cursors?: readonly string[];
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

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const EXTENSION = 'urn:example:fuzz:2.0:User';

/** A BulkRequest built from the operations identity providers send, mutated: paths, methods, bulkIds, references, limits. */
function bulkBody(r: Random, targets: Targets): unknown {
  const n = r.chance(0.02) ? 1001 : 1 + r.int(6);
  const ids = Array.from({ length: n }, (_, i) => `b${i}`);
  const ops = Array.from({ length: n }, (_, i) => {
    const method = r.pick(['POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'post', 'GET', 7, null]);
    const group = r.chance(0.4);
    const endpoint = group ? '/Groups' : '/Users';
    const ref = () => `bulkId:${r.pick([...ids, 'missing', ''])}`;
    const path = r.pick([
      endpoint,
      `${endpoint}/${r.pick([...targets.users, ...targets.groups])}`,
      `${endpoint}/${ref()}`,
      `${endpoint}/${r.pick(['%E0%A4%A', '%', '%ZZ', '%00', '%FF', 'a'.repeat(300), '..'])}`,
      r.pick(['/Roles', '/Entitlements/x', '/Nope', '', 'Users', '/Users/a/b', 7]),
    ]);
    const op: Record<string, unknown> = { method, path };
    if (r.chance(0.7)) op.bulkId = r.chance(0.9) ? ids[i] : r.pick(['', 7, ids[0]]);
    if (r.chance(0.2)) op.version = r.pick(['W/"1"', '*', 7, 'garbage']);
    if (r.chance(0.9)) {
      const data = r.chance(0.4) && method === 'PATCH' ? patchBody(r, targets) : resourceBody(r, group, targets);
      if (r.chance(0.3) && data && typeof data === 'object' && !Array.isArray(data))
        (data as Record<string, unknown>).members = [{ value: ref() }, { value: ref() }];
      op.data = data;
    }
    return r.chance(0.03) ? value(r) : op;
  });
  const body: Record<string, unknown> = { Operations: ops };
  if (r.chance(0.9)) body.schemas = [BULK_REQUEST];
  if (r.chance(0.2)) body.failOnErrors = r.pick([1, 2, 0, -1, 1.5, 'x', null]);
  return r.chance(0.03) ? value(r) : body;
}

/** A cursor as a client might send it back: real ones, edited, truncated, foreign, nonsense. */
function cursorOf(r: Random, real: readonly string[]): string {
  const c = real.length ? r.pick(real) : '';
  switch (r.int(7)) {
    case 0:
      return '';
    case 1:
      return c;
    case 2:
      return c.slice(0, r.int(c.length + 1));
    case 3:
      return c.length ? c.slice(0, 5) + (c[5] === 'A' ? 'B' : 'A') + c.slice(6) : 'A';
    case 4:
      return `${Buffer.from(JSON.stringify(value(r))).toString('base64url')}.${'x'.repeat(r.int(50))}`;
    case 5:
      return 'A'.repeat(r.pick([1, 40, 1001, 5000]));
    default:
      return jsonString(r);
  }
}

/** One case; `auth` is the organization's scim token, `app` its app token. */
export function fuzzCase(r: Random, targets: Targets, auth: string, app: string): FuzzCase {
  const kind = r.pick([
    'filter',
    'filter',
    'patch',
    'patch',
    'body',
    'body',
    'query',
    'headers',
    'path',
    'bulk',
    'bulk',
    'cursor',
    'catalog',
    'api',
    'api',
  ] as const);
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
    case 'bulk':
      return {
        kind,
        method: 'POST',
        url: '/scim/v2/Bulk',
        headers: { ...headers, 'content-type': 'application/scim+json' },
        payload: r.chance(0.03)
          ? r.pick(['{"Operations":[', '', '[]', `{"schemas":["${BULK_REQUEST}"],"Operations":${'['.repeat(40)}`])
          : json(bulkBody(r, targets)),
      };
    case 'cursor': {
      const params: Record<string, string> = { cursor: cursorOf(r, targets.cursors ?? []) };
      if (r.chance(0.6)) params.count = String(r.pick([0, 1, 2, 5, 1000, 1001, -1, 'x']));
      if (r.chance(0.3)) params.filter = filter(r, 2);
      if (r.chance(0.2)) params[r.pick(['startIndex', 'sortBy', 'attributes'])] = r.pick(['1', '2', 'userName', 'x']);
      return { kind, method: 'GET', url: `${base}?${encodeQuery(params)}`, headers };
    }
    case 'catalog': {
      const type = r.pick(['Roles', 'Entitlements', 'roles', 'ENTITLEMENTS']);
      const url = r.pick([
        `/scim/v2/${type}`,
        `/scim/v2/${type}/${enc(r.pick([...STRINGS, 'admin', 'x']))}`,
        `/scim/v2/${type}?${encodeQuery({ filter: filter(r, 2) })}`,
        `/scim/v2/${type}?${encodeQuery({ count: String(r.pick([0, 1, 1000, -1, 'x'])), startIndex: String(r.pick([1, 0, 'x'])), cursor: cursorOf(r, []) })}`,
        `/scim/v2/Users/${idOf(r, targets, false)}?${encodeQuery({ attributes: r.pick(['roles', 'entitlements', `${EXTENSION}:team`, 'roles.value']) })}`,
      ]);
      const method = r.pick(['GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
      return { kind, method, url, headers: { ...headers, 'content-type': 'application/scim+json' }, ...(method === 'GET' ? {} : { payload: json(value(r)) }) };
    }
    case 'api': {
      const appHeaders = { authorization: `Bearer ${app}`, 'content-type': r.pick(['application/json', 'application/json', 'text/plain']) };
      const any = () => enc(r.pick([...STRINGS, 'admin', 'x', ...targets.users]));
      const [method, url, body] = r.pick<[string, string, unknown]>([
        [
          'GET',
          `/api/v1/log?${encodeQuery({ [r.pick(['status', 'resource', 'token', 'since', 'until', 'client', 'method', 'limit', 'before'])]: r.pick([...STRINGS, '4xx', '1h', '-1', '2026-01-01', 'x']) })}`,
          undefined,
        ],
        ['GET', `/api/v1/log/${any()}`, undefined],
        ['GET', '/api/v1/health', undefined],
        ['POST', '/api/v1/setup-links', r.pick([{}, { expiresInSeconds: r.pick([0, 60, 86400, 1e12, 'x', -1]) }, value(r)])],
        ['DELETE', `/api/v1/setup-links/${any()}`, undefined],
        ['POST', '/api/v1/roles', r.pick([{ value: jsonString(r), display: jsonString(r) }, value(r)])],
        ['DELETE', `/api/v1/roles/${any()}`, undefined],
        ['POST', '/api/v1/entitlements', r.pick([{ value: jsonString(r), type: jsonString(r) }, value(r)])],
        ['DELETE', `/api/v1/entitlements/${any()}`, undefined],
        ['GET', `/api/v1/role-mappings?${encodeQuery({ role: jsonString(r) })}`, undefined],
        ['POST', '/api/v1/role-mappings', r.pick([{ role: jsonString(r), group: jsonString(r) }, { role: 'x', groupExternalId: jsonString(r) }, value(r)])],
        ['DELETE', '/api/v1/role-mappings', value(r)],
        ['GET', `/api/v1/users/${any()}/roles`, undefined],
        ['POST', '/api/v1/schemas', r.pick([{ schema: value(r), resource: r.pick(['User', 'Group', 'x']) }, value(r)])],
        ['GET', `/api/v1/schemas/${any()}`, undefined],
        ['DELETE', `/api/v1/schemas/${enc(r.pick([EXTENSION, 'urn:x', ...STRINGS]))}`, undefined],
        [
          'POST',
          `/api/v1/security-events?${encodeQuery({ stream: r.pick(['default', 's1', '', 'a'.repeat(70), ...STRINGS]), form: r.pick(['full', 'notice', 'x']) })}`,
          r.pick([
            { returnImmediately: true },
            {
              returnImmediately: true,
              maxEvents: r.pick([0, 1, 5000, -1, 'x']),
              ack: r.pick([[], ['x'], 'x', [7]]),
              setErrs: r.pick([{}, { x: { err: 'e' } }, { x: 'y' }, []]),
            },
            value(r),
          ]),
        ],
        ['DELETE', `/api/v1/security-events?${encodeQuery({ stream: r.pick(['default', 's1', '', ...STRINGS]) })}`, undefined],
        ['GET', `/api/v1/organizations/${enc(r.pick(['fuzz', 'nope', ...STRINGS]))}/jwks.json`, undefined],
        [
          'POST',
          '/api/v1/webhooks',
          r.pick([{ url: r.pick(['https://example.com/hook', 'http://127.0.0.1/x', jsonString(r)]), format: r.pick(['json', 'set', 'x']) }, value(r)]),
        ],
        ['PATCH', `/api/v1/webhooks/${any()}`, value(r)],
        ['POST', `/api/v1/webhooks/${any()}/test`, {}],
        ['GET', `/api/v1/events?${encodeQuery({ after: r.pick(['0', '-1', 'x', '99999999999']), limit: r.pick(['1', '0', 'x', '5000']) })}`, undefined],
      ]);
      // A poll without returnImmediately is a long poll (30 s by design): the fuzzer asks for an answer now.
      const answerNow = url.startsWith('/api/v1/security-events') && method === 'POST' && body !== null && typeof body === 'object' && !Array.isArray(body);
      const sent = answerNow ? { ...(body as Record<string, unknown>), returnImmediately: true } : body;
      return {
        kind,
        method,
        url,
        headers: appHeaders,
        ...(sent !== undefined ? { payload: json(sent) } : method === 'GET' || method === 'DELETE' ? {} : { payload: '' }),
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
