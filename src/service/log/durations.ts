/** A filter of the provisioning log that cannot be applied (the API answers 400, the CLI one line). */
export class LogFilterError extends Error {}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A duration such as `90s`, `15m`, `1h`, `7d` in milliseconds, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})\s*([smhdwy])$/i.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : undefined;
}
