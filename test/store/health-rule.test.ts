import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEALTH_RULE, credentialState, organizationState, type WindowCounts } from '../../src/service/log/health.js';

/**
 * Issue 25, defect 3: the health rule, state by state, with the numbers docs/console.md gives.
 * A connection is judged by its error ratio over a window, an organization by its worst active
 * credential, never by whichever spoke last.
 */
const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
const w = (requests24h: number, errors24h: number, requests1h = 0, errors1h = 0): WindowCounts => ({ requests24h, errors24h, requests1h, errors1h });
const conn = (token_id: string, lastMinutesAgo: number, requests = 1) => ({ token_id, requests, last_at: ago(lastMinutesAgo) });

test('healthy, degraded and failing by the error ratio over the window', () => {
  const state = (window: WindowCounts) => credentialState(conn('t', 1, window.requests24h), window, NOW, 24);
  assert.equal(state(w(94, 5)), 'degraded', '89 of 94 succeeded: the last three refusals do not make it failing');
  assert.equal(state(w(100, 1)), 'healthy', 'a single refusal is never more than healthy');
  assert.equal(state(w(2, 1)), 'healthy', 'one refused lookup of two: below the minimum of refusals');
  assert.equal(state(w(100, 4)), 'healthy', '4%: below the degraded ratio');
  assert.equal(state(w(100, 5)), 'degraded', '5%');
  assert.equal(state(w(6, 3)), 'failing', 'half refused, three of them');
  assert.equal(state(w(4, 2)), 'degraded', 'half refused, but only two');
  assert.equal(state(w(3, 3)), 'failing', 'a new connection refused every time');
});

test('the window is the last hour when it has enough requests, else the day', () => {
  // The morning was bad; the last hour has 20 requests, none refused.
  assert.equal(credentialState(conn('t', 1, 200), w(200, 150, 20, 0), NOW, 24), 'healthy');
  // The last hour is bad, the day good.
  assert.equal(credentialState(conn('t', 1, 1000), w(1000, 12, 12, 10), NOW, 24), 'failing');
  // Too few in the hour: the day decides.
  assert.equal(credentialState(conn('t', 1, 100), w(100, 2, HEALTH_RULE.minRequests - 1, 2), NOW, 24), 'healthy');
});

test('silent and never-connected', () => {
  assert.equal(credentialState(undefined, undefined, NOW, 24), 'never-connected');
  assert.equal(credentialState(conn('t', 25 * 60), w(0, 0), NOW, 24), 'silent');
  assert.equal(credentialState(conn('t', 25 * 60), w(0, 0), NOW, 48), 'healthy', 'idle within the organization’s silentAfterHours');
  assert.equal(credentialState(conn('t', 3 * 60), w(5, 0), NOW, 2), 'silent', 'a short silentAfterHours');
});

test('an organization is its worst active credential, not the one that spoke last', () => {
  const production = { connection: conn('okta-prod', 30), window: w(40, 30) };
  const testing = { connection: conn('okta-test', 1), window: w(10, 0) };
  assert.equal(organizationState([testing, production], NOW, 24), 'failing');
  // A credential not used in 24 hours is not active: its old failures do not count.
  const retired = { connection: conn('old', 30 * 60), window: w(0, 0) };
  assert.equal(organizationState([testing, retired], NOW, 24), 'healthy');
  // Requests refused without a credential of the organization are nobody's.
  const unattributed = { connection: conn('', 1, 50), window: w(50, 50) };
  assert.equal(organizationState([testing, unattributed], NOW, 24), 'healthy');
  assert.equal(organizationState([unattributed], NOW, 24), 'never-connected');
  assert.equal(organizationState([], NOW, 24), 'never-connected');
  assert.equal(organizationState([retired], NOW, 24), 'silent');
});
