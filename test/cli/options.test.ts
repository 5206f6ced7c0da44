import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { z } from 'zod';
import { DEFAULTS } from '../../src/defaults.js';
import { BINDINGS, OPTIONS, attributeOf, configSchemaOf, settingsOf, withOptionsOf } from '../../src/cli/options.js';

test('one table: every option has its flag on its commands, its key in the file schema and its binding', () => {
  const schema = configSchemaOf(z);
  for (const which of ['serve', 'worker'] as const) {
    const command = withOptionsOf(new Command(which), which);
    const names = new Set(command.options.map((o) => o.attributeName()));
    for (const o of OPTIONS.filter((x) => x.on.includes(which))) assert.ok(names.has(attributeOf(o)), `${which} ${o.flag}`);
    assert.equal(command.options.length, OPTIONS.filter((x) => x.on.includes(which)).length);
  }
  for (const o of OPTIONS) {
    const [top, member] = o.key.split('.');
    const entry = schema.shape[top!] as z.ZodType;
    assert.ok(entry, o.key);
    if (member) assert.ok(((entry as z.ZodOptional<z.ZodObject>).unwrap().shape as Record<string, unknown>)[member], o.key);
    assert.ok(BINDINGS.some((b) => b.key === o.key && b.option === attributeOf(o) && b.env === o.env));
  }
  // The file refuses what the flag refuses.
  assert.equal(schema.safeParse({ port: 70000 }).success, false);
  assert.equal(schema.safeParse({ worker: { leaseGraceSeconds: 0 } }).success, false);
  assert.equal(schema.safeParse({ readThreads: 'auto', port: 8080, worker: { enabled: false } }).success, true);
});

test('settings: the defaults are DEFAULTS, applied once; a bad value names its flag and what it must be', () => {
  const serve = withOptionsOf(new Command('serve'), 'serve');
  serve.parse([], { from: 'user' });
  const s = settingsOf(z, 'serve', serve.opts());
  assert.equal(s.port, DEFAULTS.port);
  assert.equal(s.bodyLimit, DEFAULTS.bodyLimit);
  assert.equal(s.eventRetentionDays, DEFAULTS.retentionDays);
  assert.equal(s.statementTimeoutMs, DEFAULTS.statementTimeoutMs);
  assert.equal(s.worker.webhookTimeoutSeconds, DEFAULTS.webhookTimeoutSeconds);
  assert.deepEqual([s.worker.enabled, s.console.enabled, s.provisioningLog, s.metricsOrgLabel, s.readThreads], [true, true, true, false, 'auto']);
  const worker = withOptionsOf(new Command('worker'), 'worker');
  worker.parse([], { from: 'user' });
  assert.equal(settingsOf(z, 'worker', worker.opts()).worker.leaseGraceSeconds, DEFAULTS.webhookLeaseGraceSeconds);

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ port: '8o8o' }, /invalid --port "8o8o" \(an integer from 0 to 65535\)$/],
    [{ port: '' }, /invalid --port ""/],
    [{ bodyLimit: '1e6' }, /invalid --body-limit "1e6" \(bytes, at least 1024\)$/],
    [{ readThreads: '65' }, /invalid --read-threads "65" \(0 to 64, or auto\)$/],
    [{ logLevel: 'loud' }, /invalid --log-level "loud" \(fatal, error/],
    [{ publicUrl: 'ftp://x' }, /invalid --public-url "ftp:\/\/x"/],
    [{ eventRetentionDays: '0' }, /invalid --event-retention-days "0" \(a positive integer\)$/],
  ];
  for (const [values, message] of bad) assert.throws(() => settingsOf(z, 'serve', values), message);
  assert.deepEqual(settingsOf(z, 'serve', { trustProxy: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  assert.equal(settingsOf(z, 'serve', { trustProxy: 'TRUE' }).trustProxy, true);
  assert.equal(settingsOf(z, 'serve', { readThreads: '3' }).readThreads, 3);
});
