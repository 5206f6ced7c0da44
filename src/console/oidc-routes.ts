import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { ConsoleOidc, OIDC_CALLBACK_PATH, grantOf, groupsOfClaims, openState, signState, type ConsoleOidcConfig } from '../service/console-oidc.js';
import { Operators } from '../service/operators.js';
import { ADMIN_COOKIE, PageError, cookie, originOf, setCookie, type ConsoleOptions } from './context.js';
import { html } from './html.js';

const STATE_COOKIE = 'rollcall_oidc';
const STATE_TTL_MS = 10 * 60_000;

interface Pending {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

/** How the console's client authenticates at the token endpoint: its secret, or a JWT signed with its key. */
async function clientAuthOf(c: ConsoleOidcConfig): Promise<oidc.ClientAuth> {
  if (!c.privateKey) return oidc.ClientSecretBasic(c.clientSecret ?? '');
  const jwk = JSON.parse(c.privateKey) as JWK & { alg: string; kid: string };
  return oidc.PrivateKeyJwt({ key: (await importJWK(jwk, jwk.alg)) as CryptoKey, kid: jwk.kid });
}

/**
 * "Sign in with <provider>": the authorization code flow with PKCE, state and nonce, through
 * openid-client (discovery, the token request, the ID token's signature, issuer, audience, expiry
 * and nonce are its checks). An operator is who the ID token says: matched by issuer and subject,
 * or at the first sign-in by a verified email; anyone else is refused, and the refusal recorded.
 */
export function registerOidc(app: FastifyInstance, opts: ConsoleOptions): void {
  const { directory } = opts;
  const settings = directory.consoleOidc;
  // Discovery, once per configuration and ten minutes (every node does its own).
  let discovered: { key: string; at: number; config: oidc.Configuration } | undefined;
  const configOf = async (c: ConsoleOidcConfig): Promise<oidc.Configuration> => {
    const key = `${c.issuer} ${c.clientId} ${c.clientSecret ?? ''} ${c.privateKey ?? ''}`;
    if (discovered && discovered.key === key && Date.now() - discovered.at < 600_000) return discovered.config;
    const config = await oidc.discovery(new URL(c.issuer), c.clientId, undefined, await clientAuthOf(c), {
      // The issuer is https, or http on loopback (checked when it was set): development and tests.
      ...(c.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 10,
    });
    discovered = { key, at: Date.now(), config };
    return config;
  };
  const refuse = async (request: FastifyRequest, status: number, title: string, why: string, detail: string, who?: string): Promise<never> => {
    await directory.audit.record({
      actor: { kind: 'anonymous', id: null, label: who ?? 'anonymous' },
      via: 'console',
      address: request.ip,
      action: 'console.sign-in',
      outcome: 'denied',
      detail,
    });
    throw new PageError(status, title, html`<p>${why}</p><p><a href="/admin">Back to the sign-in page</a></p>`);
  };
  const stateCookie = (request: FastifyRequest, reply: FastifyReply, value: string | null) => {
    // SameSite=Lax: the provider's redirect back is a cross-site navigation, which Strict would strip.
    const parts = [`${STATE_COOKIE}=${value ?? ''}`, 'Path=/admin/oidc', 'HttpOnly', 'SameSite=Lax', value ? `Max-Age=${STATE_TTL_MS / 1000}` : 'Max-Age=0'];
    if (request.protocol === 'https') parts.push('Secure');
    reply.header('set-cookie', parts.join('; '));
  };

  app.get('/admin/oidc/start', async (request, reply) => {
    const c = await settings.get();
    if (!c) throw new PageError(404, 'Not configured', html`<p>This console signs in with login links only (<code>rollcall admin login-link</code>).</p>`);
    const config = await configOf(c).catch((err: Error) => {
      throw new PageError(
        502,
        `${c.name} cannot be reached`,
        html`<p>Its discovery document could not be read: ${err.message}. Try again, or use a login link.</p>`,
      );
    });
    const pending: Pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${originOf(request, opts.publicUrl)}${OIDC_CALLBACK_PATH}`,
      scope: ['openid', 'email', 'profile', ...(c.scopes ?? [])].join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    stateCookie(request, reply, signState(await settings.stateKey(), pending, STATE_TTL_MS));
    return reply.header('cache-control', 'no-store').redirect(url.href, 303);
  });

  app.get('/admin/oidc/callback', async (request, reply) => {
    const c = await settings.get();
    if (!c) throw new PageError(404, 'Not configured', html`<p>This console signs in with login links only.</p>`);
    const pending = openState<Pending>(await settings.stateKey(), cookie(request, STATE_COOKIE));
    stateCookie(request, reply, null);
    if (!pending)
      return refuse(
        request,
        400,
        'Sign-in expired',
        'This sign-in was not started here, or took more than 10 minutes. Start again.',
        'no sign-in state (missing, altered or expired)',
      );
    let claims: oidc.IDToken | undefined;
    try {
      const config = await configOf(c);
      const current = new URL(`${originOf(request, opts.publicUrl)}${request.url}`);
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      // Many providers put the email (and the groups) in the UserInfo response only (scope-requested claims).
      const groupsClaim = c.groupsClaim ?? 'groups';
      if (claims && (typeof claims.email !== 'string' || (usesGroups(c) && claims[groupsClaim] === undefined))) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        claims = {
          ...claims,
          ...(info.email !== undefined ? { email: info.email } : {}),
          ...(info.email_verified !== undefined ? { email_verified: info.email_verified } : {}),
          ...(info.name !== undefined ? { name: info.name } : {}),
          ...(claims[groupsClaim] === undefined && info[groupsClaim] !== undefined ? { [groupsClaim]: info[groupsClaim] } : {}),
        };
      }
    } catch (err) {
      const e = err as Error & { code?: string; error?: string; cause?: unknown };
      // openid-client's own message is generic; its cause says which check (never the values it compared).
      const cause = e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : '';
      return refuse(
        request,
        403,
        'Sign-in refused',
        `${c.name} did not complete the sign-in (${e.error ?? e.code ?? 'refused'}). Start again.`,
        `${e.code ?? 'error'}: ${e.message}${cause}`,
      );
    }
    if (!claims) return refuse(request, 403, 'Sign-in refused', 'No ID token came back.', 'no ID token');
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    const who = email ?? `${claims.iss} ${claims.sub}`;
    if (email && !ConsoleOidc.domainAllowed(c, email)) {
      return refuse(request, 403, 'Not allowed', `${email} is not in a domain this console accepts.`, `email domain not allowed: ${email}`, who);
    }
    let groups: string[] | undefined;
    try {
      groups = usesGroups(c) ? groupsOfClaims(c, claims) : undefined;
    } catch (err) {
      return refuse(request, 403, 'Sign-in refused', `${(err as Error).message}.`, (err as Error).message, who);
    }
    if (!ConsoleOidc.groupAllowed(c, groups)) {
      return refuse(
        request,
        403,
        'Not allowed',
        `${who} is not in a group this console accepts${groups === undefined ? ` (${c.name} sent no "${c.groupsClaim ?? 'groups'}" claim)` : ''}.`,
        `not in an allowed group: ${who}${groups === undefined ? ' (no groups claim)' : ''}`,
        who,
      );
    }
    const grant = usesGroups(c) ? grantOf(c, groups ?? []) : undefined;
    const result = await directory.operators.signIn(
      {
        iss: claims.iss,
        sub: claims.sub,
        email,
        emailVerified: claims.email_verified === true,
        name: typeof claims.name === 'string' ? claims.name : undefined,
      },
      grant,
    );
    const base = { via: 'console' as const, address: request.ip };
    if (result.removed) {
      await directory.audit.record({
        ...base,
        actor: { kind: 'operator', id: result.removed.id, label: result.removed.email },
        action: 'operator.remove',
        target: result.removed.email,
        outcome: 'ok',
        detail: `made from ${c.name}'s groups; none grants a role any more`,
        changes: { before: { role: result.removed.role, orgs: result.removed.orgs }, after: null },
      });
    }
    const operator = result.operator;
    if (!operator) {
      const why = result.refusal ? ` (${result.refusal})` : email && claims.email_verified !== true ? ' (the email is not verified)' : '';
      return refuse(
        request,
        403,
        'Not an operator',
        `${who} signed in with ${c.name}, but is not an operator of this console${why}. Ask an admin to add you: rollcall admin operator add.`,
        `no operator for ${who}${result.refusal ? `: ${result.refusal}` : ''}`,
        who,
      );
    }
    const actor = Operators.actorOf(operator);
    if (result.added) {
      await directory.audit.record({
        ...base,
        actor,
        action: 'operator.add',
        target: `${result.added.email} (${result.added.role})`,
        outcome: 'ok',
        detail: `made from ${c.name}'s groups: ${grant?.groups.join(', ')}`,
        changes: { before: null, after: { role: result.added.role, orgs: result.added.orgs } },
      });
    }
    if (result.changed) {
      await directory.audit.record({
        ...base,
        actor,
        action: 'operator.set-role',
        target: `${result.changed.after.email} (${result.changed.after.role})`,
        outcome: 'ok',
        detail: `from ${c.name}'s groups: ${grant?.groups.join(', ')}`,
        changes: {
          before: { role: result.changed.before.role, orgs: result.changed.before.orgs },
          after: { role: result.changed.after.role, orgs: result.changed.after.orgs },
        },
      });
    }
    const { secret, session } = await directory.access.startOperatorSession(operator.id);
    await directory.audit.record({
      ...base,
      actor,
      action: 'console.sign-in',
      target: c.name,
      outcome: 'ok',
    });
    setCookie(reply, request, ADMIN_COOKIE, secret, '/admin', session.expires);
    return reply.header('cache-control', 'no-store').redirect('/admin', 303);
  });
}

/** Whether the configuration reads the groups claim: to require a group, or to map groups to roles. */
function usesGroups(c: ConsoleOidcConfig): boolean {
  return !!(c.allowedGroups?.length || c.groupRoles?.length);
}
