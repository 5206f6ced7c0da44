import type { CheckReport, CheckResult, Exchange } from './framework.js';

const MARK = { pass: '✔', fail: '✖', skip: '-' } as const;

/** One line per check as it ends: the terminal's progress. */
export function progressLine(r: CheckResult): string {
  return `${MARK[r.outcome]} ${r.id}  ${r.title}${r.outcome === 'skip' ? `  (skipped: ${r.detail})` : ''}${r.outcome === 'fail' ? `  (${r.ms} ms)` : ''}`;
}

function clip(text: string, max = 1200): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

function exchangeLines(e: Exchange): string[] {
  const lines = [`    request:  ${e.method} ${e.url}`];
  for (const [k, v] of Object.entries(e.requestHeaders)) lines.push(`              ${k}: ${v}`);
  if (e.requestBody !== undefined) lines.push(`              ${clip(e.requestBody, 600)}`);
  lines.push(`    response: ${e.status === null ? `none (${e.error})` : `HTTP ${e.status}`}`);
  if (e.responseHeaders['content-type']) lines.push(`              content-type: ${e.responseHeaders['content-type']}`);
  if (e.responseBody) lines.push(`              ${clip(e.responseBody)}`);
  return lines;
}

/** The summary table per suite, then every failure with its request, response, expectation and reference. */
export function summary(report: CheckReport): string {
  const suites = [...new Set(report.results.map((r) => r.suite))];
  const rows = suites.map((s) => {
    const of = report.results.filter((r) => r.suite === s);
    return [
      s,
      String(of.filter((r) => r.outcome === 'pass').length),
      String(of.filter((r) => r.outcome === 'fail').length),
      String(of.filter((r) => r.outcome === 'skip').length),
    ];
  });
  const header = ['suite', 'passed', 'failed', 'skipped'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = ['', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const failures = report.results.filter((r) => r.outcome === 'fail');
  // A profile's checks: MUST and SHOULD apart (a SHOULD that fails does not fail the run).
  for (const s of suites) {
    const leveled = report.results.filter((r) => r.suite === s && r.level);
    if (!leveled.length) continue;
    const count = (level: 'MUST' | 'SHOULD', outcome: 'pass' | 'fail' | 'skip') => leveled.filter((r) => r.level === level && r.outcome === outcome).length;
    out.push(
      '',
      `${s}: MUST ${count('MUST', 'pass')} passed, ${count('MUST', 'fail')} failed, ${count('MUST', 'skip')} skipped; SHOULD ${count('SHOULD', 'pass')} passed, ${count('SHOULD', 'fail')} failed, ${count('SHOULD', 'skip')} skipped`,
    );
  }
  // Why each check was skipped: a terminal saw it as the check ended, a log or a CI job reads it here.
  const skipped = report.results.filter((r) => r.outcome === 'skip');
  if (skipped.length) out.push('', 'skipped:', ...skipped.map((r) => `- ${r.id}: ${r.detail}`));
  for (const f of failures) {
    const level = f.level === 'SHOULD' ? ' [SHOULD: does not fail the run]' : f.level ? ` [${f.level}]` : '';
    out.push('', `✖ ${f.id}: ${f.title}${level}`, `    expected: ${f.detail}`, `    because:  ${f.ref}`);
    if (f.exchange) out.push(...exchangeLines(f.exchange));
  }
  const passed = report.results.filter((r) => r.outcome === 'pass').length;
  out.push(
    '',
    `${passed} passed, ${failures.length} failed, ${report.results.length - passed - failures.length} skipped: ${report.requests} requests to ${report.baseUrl} in ${(report.ms / 1000).toFixed(1)} s (run ${report.run})`,
  );
  if (report.leftBehind.length) out.push(`left behind (${report.leftBehind.length}): ${report.leftBehind.join(', ')}`);
  return out.join('\n');
}

const xml = (s: string) =>
  s
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML: one testsuite per suite, one testcase per check. */
export function junit(report: CheckReport): string {
  const suites = [...new Set(report.results.map((r) => r.suite))];
  const body = suites.map((s) => {
    const of = report.results.filter((r) => r.suite === s);
    const cases = of.map((r) => {
      const open = `    <testcase classname="rollcall-check.${xml(s)}" name="${xml(`${r.id}: ${r.title}`)}" time="${(r.ms / 1000).toFixed(3)}"`;
      if (r.outcome === 'pass') return `${open}/>`;
      if (r.outcome === 'skip') return `${open}>\n      <skipped message="${xml(r.detail ?? '')}"/>\n    </testcase>`;
      const detail = [`expected: ${r.detail}`, `because: ${r.ref}`, ...(r.exchange ? exchangeLines(r.exchange) : [])].join('\n');
      return `${open}>\n      <failure message="${xml(r.detail ?? '')}">${xml(detail)}</failure>\n    </testcase>`;
    });
    const t = of.reduce((n, r) => n + r.ms, 0) / 1000;
    return `  <testsuite name="${xml(s)}" tests="${of.length}" failures="${of.filter((r) => r.outcome === 'fail').length}" skipped="${of.filter((r) => r.outcome === 'skip').length}" time="${t.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rollcall check ${xml(report.baseUrl)}" tests="${report.results.length}" failures="${report.results.filter((r) => r.outcome === 'fail').length}">\n${body.join('\n')}\n</testsuites>\n`;
}
