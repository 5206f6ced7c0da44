import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/run-tests.js installs it when absent); Playwright's own download cannot work here. */
export const CHROMIUM = process.env.ROLLCALL_CHROMIUM ?? '/usr/bin/chromium';

export function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run the tests with npm test, which installs it (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Checks the page with axe-core (assertAccessible), then saves a screenshot when ROLLCALL_SCREENSHOTS names a directory (`npm run screenshots` writes
 * docs/images): the whole page, or only `part` of it.
 */
export async function screenshot(page: Page, name: string, part?: Locator): Promise<void> {
  // Every state worth a screenshot is a state axe-core checks, whether or not the image is saved.
  await assertAccessible(page, name);
  const dir = process.env.ROLLCALL_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  if (part) await part.screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * axe-core's verdict on the page as it is now: fails on any serious or critical violation (WCAG 2.2
 * A and AA, and axe's best practices), naming the rule and the elements. axe is evaluated in the
 * page through the DevTools protocol, so the console's Content-Security-Policy stays as it is.
 */
export async function assertAccessible(page: Page, state: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  })) as AxeViolation[];
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  assert.deepEqual(serious, [], `axe-core on ${state} (${page.url()})`);
}

/**
 * Words split across lines in table cells and lists of values ("Okt" / "a"): a word whose letters
 * lie on more than one line box. An address may wrap after its "@", "." or "-", so those end a
 * word; codes (tokens, URLs, ids) may wrap anywhere, so they are not looked at.
 */
export async function brokenWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const broken: string[] = [];
    for (const cell of document.querySelectorAll('td, th, dd, dt')) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if ((node.parentElement as Element).closest('code, pre, .sr')) continue;
        const text = node.textContent ?? '';
        for (const m of text.matchAll(/[^\s\-–—/@._]{2,}/g)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
  });
}
