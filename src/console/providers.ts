/**
 * The setup steps of every identity provider: the one source of the setup page's instructions and
 * of the step lists in docs/okta.md, docs/entra.md and docs/identity-providers.md (rendered there
 * by `npm run docs`; a test fails when the docs and this file disagree).
 *
 * Text uses `{baseUrl}` and `{token}` (filled on the page, shown as placeholders in the docs),
 * **bold** for what is on the provider's screen, and `code` for values to type.
 */
export type ProviderId = 'okta' | 'entra' | 'onelogin' | 'jumpcloud' | 'ping' | 'google' | 'rippling' | 'other';

/**
 * How an identity provider authenticates: a static bearer token (the steps of the guide itself),
 * or one of the OAuth ways of docs/authentication.md, each with steps of its own.
 */
export type ConnectMethod = 'token' | 'client-credentials' | 'federation' | 'authorization-code';

/** Another way a provider connects than the static token of the guide's own steps. */
export interface MethodGuide {
  readonly method: Exclude<ConnectMethod, 'token'>;
  /** Its name on the setup page's choice. */
  readonly name: string;
  /** Why to choose it. */
  readonly summary: string;
  readonly app?: string;
  /** Text uses `{baseUrl}`, `{tokenUrl}`, `{clientId}`, `{clientSecret}` and `{authorizeUrl}`. */
  readonly steps: readonly string[];
}

export interface ProviderGuide {
  readonly id: ProviderId;
  readonly name: string;
  /** Which application to choose in the provider's catalogue. */
  readonly app: string;
  /** What to do, in order. */
  readonly steps: readonly string[];
  /** Attribute mappings to keep (and any to change). */
  readonly mappings: readonly string[];
  /** Provisioning features to enable. */
  readonly features: readonly string[];
  /** What the provider's connection test sends, so the admin knows what to expect. */
  readonly test: string;
  /** How the base URL is entered (Entra adds a flag). */
  readonly baseUrl?: (base: string) => string;
  /** The static token's place among the ways to connect: `recommended`, or a `fallback` the page says is for testing. */
  readonly token?: { readonly name: string; readonly summary: string };
  /** Other ways it connects, the recommended first. */
  readonly methods?: readonly MethodGuide[];
}

export const PROVIDERS: readonly ProviderGuide[] = [
  {
    id: 'okta',
    name: 'Okta',
    app: 'In **Applications → Browse App Catalog**, add **SCIM 2.0 Test App (Header Auth)**.',
    steps: [
      'Give the app a label people recognise and save it.',
      'Open **Provisioning → Integration**, click **Configure API Integration** and tick **Enable API integration**.',
      'Set **Base URL** to `{baseUrl}`.',
      'Set **API Token** to `Bearer {token}`.',
      'Click **Test API Credentials**, then **Save**.',
      'Open **Provisioning → To App**, click **Edit**, enable the features below and save.',
      'Assign people (or groups) to the app on its **Assignments** tab.',
    ],
    mappings: [
      'Keep **Application username format: Email** (**Sign On** tab): {userNameRule}',
      'Keep the default mappings of **userName**, **givenName**, **familyName**, **email** and **displayName**.',
    ],
    features: ['**Create Users**', '**Update User Attributes**', '**Deactivate Users**', '**Push Groups** (optional, for groups and their members)'],
    test: 'Okta reads one page of users (`GET /Users?startIndex=1&count=2`).',
    token: { name: 'A header token', summary: "Okta's **SCIM 2.0 Test App (Header Auth)**: a token that does not expire, pasted once." },
    methods: [
      {
        method: 'authorization-code',
        name: 'OAuth 2.0',
        summary:
          'An Okta app integration whose provisioning uses **OAuth 2** (an Okta Integration Network app, or your own app integration with SCIM): Okta obtains and refreshes its tokens itself after you allow it once, here.',
        app: 'Open the app integration that provisions this application, on its **Provisioning → Integration** tab.',
        steps: [
          'Set **Base URL** to `{baseUrl}`.',
          'Set **Authentication Mode** to **OAuth 2**.',
          'Set **Authorize endpoint** to `{authorizeUrl}` and **Token endpoint** to `{tokenUrl}`.',
          'Set **Client ID** to `{clientId}` and **Client secret** to `{clientSecret}`.',
          'Click **Authenticate with** the application. In the window that opens (in this browser, where this setup page is open), click **Allow**.',
          'Click **Save**, then enable the features below on **Provisioning → To App**.',
          'Assign people (or groups) to the app on its **Assignments** tab.',
        ],
      },
    ],
  },
  {
    id: 'entra',
    name: 'Microsoft Entra ID',
    app: "In **Enterprise applications → New application → Create your own application**, choose **Integrate any other application you don't find in the gallery (Non-gallery)**.",
    steps: [
      'Name the application and create it.',
      'Open **Provisioning** and set **Provisioning Mode** to **Automatic**.',
      'Under **Admin Credentials**, set **Tenant URL** to `{baseUrl}`.',
      'Set **Secret Token** to `{token}` (without "Bearer").',
      'Click **Test Connection**, then **Save**.',
      'Under **Settings**, set **Scope** to **Sync only assigned users and groups**, and assign people and groups under **Users and groups**.',
      'Set **Provisioning Status** to **On** and save.',
    ],
    mappings: [
      'In **Mappings → Provision Microsoft Entra ID Users**, keep **userPrincipalName → userName** as the matching attribute.',
      'Keep **Switch([IsSoftDeleted], …) → active**, **mail → emails[type eq "work"].value**, **givenName → name.givenName** and **surname → name.familyName**.',
      'Delete mappings to attributes your application does not use; Rollcall stores the rest.',
    ],
    features: [
      '**Provision Microsoft Entra ID Users**: create, update, delete',
      '**Provision Microsoft Entra ID Groups** (optional, for groups and their members)',
    ],
    test: 'Entra looks up a user that cannot exist (`GET /Users?filter=userName eq "<a random GUID>"`) and expects an empty list.',
    baseUrl: (base) => `${base}?aadOptscim062020`,
    token: {
      name: 'A static token (testing only)',
      summary:
        "For testing with a non-gallery application only: Microsoft's app gallery does not accept long-lived bearer tokens, so use OAuth for anything you keep.",
    },
    methods: [
      {
        method: 'client-credentials',
        name: 'OAuth 2.0 client credentials',
        summary:
          'What the Microsoft Entra app gallery requires: Entra obtains a short-lived access token with a client ID and secret. The secret expires in a year; add a new one before then.',
        steps: [
          'Name the application and create it (or open the gallery application).',
          'Open **Provisioning** and set **Provisioning Mode** to **Automatic**.',
          'Under **Admin Credentials**, set **Authentication Method** to **OAuth2 Client Credentials Grant**.',
          'Set **Tenant URL** to `{baseUrl}` and **Token Endpoint** to `{tokenUrl}`.',
          'Set **Client Identifier** to `{clientId}` and **Client Secret** to `{clientSecret}`.',
          'Click **Test Connection**, then **Save**.',
          'Under **Settings**, set **Scope** to **Sync only assigned users and groups**, assign people and groups under **Users and groups**, set **Provisioning Status** to **On** and save.',
        ],
      },
      {
        method: 'federation',
        name: 'Workload identity federation',
        summary:
          "No secret at all: Entra presents a token of its own, signed with Microsoft's keys, for your tenant and the application you name. Enter your tenant ID, and the object ID and application (client) ID of the application Entra provisions as.",
        steps: [
          'Open **Provisioning** and set **Provisioning Mode** to **Automatic**.',
          'Under **Admin Credentials**, choose workload identity federation as the authentication method.',
          'Set **Tenant URL** to `{baseUrl}` and **Token Endpoint** to `{tokenUrl}`; where a client identifier is asked for, use `{clientId}`.',
          'Click **Test Connection**, then **Save**, assign people and groups, and set **Provisioning Status** to **On**.',
        ],
      },
    ],
  },
  {
    id: 'onelogin',
    name: 'OneLogin',
    app: 'In **Applications → Add App**, search for **SCIM Provisioner with SAML (SCIM v2 Enterprise)** and add it.',
    steps: [
      'Name the app and save it.',
      'On **Configuration**, set **SCIM Base URL** to `{baseUrl}`.',
      'Set **SCIM Bearer Token** to `{token}`.',
      'Leave **SCIM Bulk Operations** off.',
      'Click **Enable** under **API Connection**, then **Save**.',
      'On **Provisioning**, tick **Enable provisioning** and choose what a deletion and a suspension do (a suspension arrives as `active=false`).',
    ],
    mappings: [
      'Keep **SCIM Username** mapped to the email address.',
      'Keep the default SCIM JSON template, or one that yields `userName`, `name`, `emails` and `active`.',
    ],
    features: ['**Create user**', '**Delete user** (or suspend)', '**Update user**', '**Groups** (optional)'],
    test: 'OneLogin reads users when the API connection is enabled.',
  },
  {
    id: 'jumpcloud',
    name: 'JumpCloud',
    app: 'In **SSO Applications → Add New Application**, choose **Custom Application** with **Identity Management (SCIM)**.',
    steps: [
      'Name the application and save it.',
      'On **Identity Management**, choose **SCIM 2.0**.',
      'Set **Base URL** to `{baseUrl}`.',
      'Set **Token Key** to `{token}`, with header name `Authorization` and prefix `Bearer` if asked.',
      'Click **Test Connection**, then **Activate**.',
      'Bind user groups to the application to provision their members.',
    ],
    mappings: ['Keep **email → userName** and the default name and email mappings.'],
    features: ['**User provisioning**', '**Group management** (optional)'],
    test: 'JumpCloud reads users with a filter (`userName eq "…"`).',
  },
  {
    id: 'ping',
    name: 'Ping Identity (PingOne, PingFederate)',
    app: 'In PingOne, **Integrations → Provisioning → New Connection → SCIM Outbound**; in PingFederate, a **SCIM Connector** channel.',
    steps: [
      'Set **SCIM BASE URL** to `{baseUrl}`.',
      'Set **Authentication Method** to **OAuth 2 Bearer Token** and the token to `{token}`.',
      'Set **Users Resource** to `/Users` and **Groups Resource** to `/Groups`.',
      'Test the connection and save.',
      'Add a rule that selects the people to provision, and enable it.',
    ],
    mappings: ['Map the work email to **userName**, and the name and email attributes to their SCIM names.'],
    features: ['**Create users**', '**Update users**', '**Disable users** (as `active=false`)', '**Groups** (optional)'],
    test: 'Ping looks a user up with a filter (`userName eq "…"` or `emails eq "…"`).',
  },
  {
    id: 'google',
    name: 'Google Workspace',
    app: 'Google Workspace provisions only to the apps in its catalogue that offer **Auto-provisioning**; a custom SAML app has no SCIM. Use it when your application is in the catalogue, else pick **Another SCIM 2.0 client** with a directory sync tool.',
    steps: [
      'In **Apps → Web and mobile apps**, open your application and its **Auto-provisioning** section.',
      'Set the endpoint URL to `{baseUrl}` and the access token to `{token}`.',
      'Map **Primary email → userName** and the name attributes.',
      'Choose the organizational units or groups to provision, then turn **Auto-provisioning** on.',
    ],
    mappings: ['Keep **Primary email → userName**.'],
    features: ['**Auto-provisioning**, with deprovisioning when a person leaves the scope'],
    test: 'Google reads users when auto-provisioning is turned on.',
  },
  {
    id: 'rippling',
    name: 'Rippling',
    app: 'In **App Shop**, add a **Custom App** with **SCIM** provisioning.',
    steps: [
      'Set the **SCIM base URL** to `{baseUrl}`.',
      'Set the **bearer token** to `{token}`.',
      'Test the connection.',
      'Choose who gets the app, then enable provisioning.',
    ],
    mappings: ['Map the work email to **userName**, and first and last name to **name.givenName** and **name.familyName**.'],
    features: ['**Create**, **update** and **deactivate** accounts', '**Groups** (optional)'],
    test: 'Rippling reads users with a filter.',
  },
  {
    id: 'other',
    name: 'Another SCIM 2.0 client',
    app: 'Any client that speaks SCIM 2.0 (RFC 7644): choose its generic SCIM 2.0 or "custom SCIM" application.',
    steps: [
      'Set the SCIM base URL to `{baseUrl}`.',
      'Send the token as the header `Authorization: Bearer {token}`.',
      'Test the connection, then enable provisioning.',
    ],
    mappings: ['Send an email address as **userName**: {userNameRule}'],
    features: ['Creating, updating and deactivating users (`active=false`)', 'Groups and their members (optional)'],
    test: 'Any request with the token counts: for example `GET /Users?count=1`.',
  },
];

export function findProvider(id: string): ProviderGuide | undefined {
  return PROVIDERS.find((p) => p.id === id);
}

export interface Values {
  readonly baseUrl: string;
  readonly token: string;
  readonly tokenUrl?: string;
  readonly authorizeUrl?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** What the organization accepts as userName, from its settings (never written in copy). */
  readonly userNameRule?: string;
}

/** The userName rule of an organization's settings, as the steps say it. */
export function userNameRule(requireEmailUserName: boolean): string {
  return requireEmailUserName
    ? 'this organization accepts only an email address as `userName`, and refuses anything else.'
    : 'this organization accepts any unique `userName`; an email address is what people recognise.';
}

/** A step's text with the organization's values filled in. */
export function fill(text: string, p: ProviderGuide, values: Values): string {
  const base = p.baseUrl ? p.baseUrl(values.baseUrl) : values.baseUrl;
  return text
    .replaceAll('{baseUrl}', base)
    .replaceAll('{token}', values.token)
    .replaceAll('{tokenUrl}', values.tokenUrl ?? '')
    .replaceAll('{authorizeUrl}', values.authorizeUrl ?? '')
    .replaceAll('{clientId}', values.clientId ?? '')
    .replaceAll('{clientSecret}', values.clientSecret ?? '')
    .replaceAll('{userNameRule}', values.userNameRule ?? '');
}

/** The placeholders the docs show for every value. */
export const PLACEHOLDERS: Values = {
  baseUrl: 'https://<your host>/o/<slug>/scim/v2',
  token: '<token>',
  tokenUrl: 'https://<your host>/o/<slug>/oauth/token',
  authorizeUrl: 'https://<your host>/o/<slug>/oauth/authorize',
  clientId: '<client ID>',
  clientSecret: '<client secret>',
  userNameRule: 'the setup page says whether the organization accepts only email addresses (its `requireEmailUserName` setting).',
};

/** The guide as Markdown, for the docs: the values appear as placeholders. */
export function guideMarkdown(p: ProviderGuide): string {
  const f = (t: string) => fill(t, p, PLACEHOLDERS);
  return [
    `<!-- generated from src/console/providers.ts by \`npm run docs\`: edit there -->`,
    `**Application:** ${f(p.app)}`,
    '',
    ...p.steps.map((s, i) => `${i + 1}. ${f(s)}`),
    '',
    '**Attribute mappings:**',
    '',
    ...p.mappings.map((m) => `- ${f(m)}`),
    '',
    '**Provisioning features to enable:**',
    '',
    ...p.features.map((m) => `- ${f(m)}`),
    '',
    `**Connection test:** ${f(p.test)}`,
    '',
    ...(p.methods ?? []).flatMap((m) => [
      `**With ${m.name}:** ${f(m.summary)}`,
      '',
      ...(m.app ? [f(m.app), ''] : []),
      ...m.steps.map((s, i) => `${i + 1}. ${f(s)}`),
      '',
    ]),
    ...(p.token && p.methods?.length ? [`**With ${p.token.name}:** ${f(p.token.summary)} (the steps above)`, ''] : []),
    'The setup link (`rollcall org setup-link <slug>`) shows these steps with the base URL and a fresh token filled in, then waits for the first request.',
  ].join('\n');
}

/** Where each guide appears in the docs, between `<!-- steps:<id> -->` and `<!-- /steps:<id> -->`. */
export const GUIDE_DOCS: Readonly<Record<ProviderId, string>> = {
  okta: 'docs/okta.md',
  entra: 'docs/entra.md',
  onelogin: 'docs/identity-providers.md',
  jumpcloud: 'docs/identity-providers.md',
  ping: 'docs/identity-providers.md',
  google: 'docs/identity-providers.md',
  rippling: 'docs/identity-providers.md',
  other: 'docs/identity-providers.md',
};

/** The docs text with every guide block replaced by its current rendering. */
export function renderGuides(path: string, text: string): string {
  let out = text;
  for (const p of PROVIDERS) {
    if (GUIDE_DOCS[p.id] !== path) continue;
    const re = new RegExp(`(<!-- steps:${p.id} -->\\n)[\\s\\S]*?(<!-- /steps:${p.id} -->)`);
    if (!re.test(out)) throw new Error(`${path} has no <!-- steps:${p.id} --> block`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}${guideMarkdown(p)}\n${b}`);
  }
  return out;
}
