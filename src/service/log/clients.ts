/**
 * Which identity provider sent a request, from its User-Agent and, when that says nothing, from
 * the request's shape. One table of rules, first match wins; clients.test.ts replays each one.
 */
export type ClientId = 'okta' | 'entra' | 'onelogin' | 'jumpcloud' | 'ping' | 'google' | 'rippling' | 'generic';

export const CLIENT_NAMES: Readonly<Record<ClientId, string>> = {
  okta: 'Okta',
  entra: 'Microsoft Entra ID',
  onelogin: 'OneLogin',
  jumpcloud: 'JumpCloud',
  ping: 'Ping Identity',
  google: 'Google Workspace',
  rippling: 'Rippling',
  generic: 'generic SCIM client',
};

export const CLIENT_IDS = Object.keys(CLIENT_NAMES) as ClientId[];

export interface RequestShape {
  readonly userAgent: string | undefined;
  readonly method: string;
  /** Path and query as received, below the SCIM prefix or with it. */
  readonly url: string;
  readonly body: unknown;
}

export interface ClientRule {
  readonly client: ClientId;
  /** What the rule recognises, in words (docs/console.md lists the rules). */
  readonly why: string;
  readonly userAgent?: RegExp;
  readonly shape?: (r: RequestShape) => boolean;
}

const patchOps = (body: unknown): string[] => {
  const ops = (body as { Operations?: unknown } | null)?.Operations;
  return Array.isArray(ops) ? ops.map((o) => String((o as { op?: unknown })?.op ?? '')) : [];
};

export const CLIENT_RULES: readonly ClientRule[] = [
  // See: test/conformance/fixtures/okta (User-Agent "Okta SCIM Client 1.0.0").
  { client: 'okta', why: 'User-Agent names Okta ("Okta SCIM Client 1.0.0")', userAgent: /\bokta\b/i },
  // See: test/conformance/fixtures/entra (User-Agent "Azure Active Directory SCIM Client").
  { client: 'entra', why: 'User-Agent names Azure Active Directory, Entra or Microsoft', userAgent: /azure active directory|\bentra\b|microsoft|\baad\b/i },
  { client: 'onelogin', why: 'User-Agent names OneLogin', userAgent: /onelogin/i },
  { client: 'jumpcloud', why: 'User-Agent names JumpCloud', userAgent: /jumpcloud/i },
  { client: 'ping', why: 'User-Agent names PingFederate, PingOne or Ping Identity', userAgent: /ping\s*(?:federate|one|identity)/i },
  { client: 'google', why: 'User-Agent names Google', userAgent: /google/i },
  { client: 'rippling', why: 'User-Agent names Rippling', userAgent: /rippling/i },
  // Entra's feature flag for RFC-compliant PATCH, added to the tenant URL by admins who follow Microsoft's guide.
  { client: 'entra', why: 'the query carries Entra\'s "aadOptscim062020" flag', shape: (r) => /[?&]aadOptscim062020\b/i.test(r.url) },
  // See: test/conformance/fixtures/entra/02-user-lifecycle.json (PATCH ops "Replace", "Add", "Remove").
  {
    client: 'entra',
    why: 'PATCH operations named with a capital ("Replace", "Add"), as Entra sends them',
    shape: (r) => r.method === 'PATCH' && patchOps(r.body).some((op) => /^(Add|Replace|Remove)$/.test(op)),
  },
  // See: test/conformance/fixtures/okta/03-group-push.json (every Okta list asks startIndex=1&count=100).
  {
    client: 'okta',
    why: 'a list asking "startIndex=1&count=100" after its filter, as Okta does',
    shape: (r) => r.method === 'GET' && /[?&]filter=[^&]*&startIndex=1&count=100$/.test(r.url),
  },
];

const byUserAgent = new Map<string, ClientId | undefined>();

/** The client a request comes from; `generic` when no rule matches. */
export function detectClient(r: RequestShape): ClientId {
  const ua = r.userAgent ?? '';
  let known = byUserAgent.get(ua);
  if (!byUserAgent.has(ua)) {
    known = CLIENT_RULES.find((rule) => rule.userAgent?.test(ua))?.client;
    if (byUserAgent.size > 1000) byUserAgent.clear();
    byUserAgent.set(ua, known);
  }
  if (known) return known;
  return CLIENT_RULES.find((rule) => rule.shape?.(r))?.client ?? 'generic';
}
