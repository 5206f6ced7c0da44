import { readFileSync } from 'node:fs';
import type { Store } from '../store/store.js';
import { SettingError } from './errors.js';

/**
 * The branding of the pages the customer's IT admin sees (the setup link, the consent page): the
 * operator's product name, accent colour and logo. The IT admin is the operator's customer, so
 * these pages speak as the operator's product. Set once: in the configuration file (`brand`), with
 * `rollcall branding set`, or on the console's Branding page; what the console or the CLI stored
 * (in the database, for every node) comes before the file's.
 */
export interface Logo {
  readonly type: LogoType;
  readonly data: Buffer;
}

export type LogoType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/svg+xml';

export interface Branding {
  /** The product name the pages speak as; absent, they say "this application". */
  readonly productName: string | undefined;
  /** `#rrggbb`. */
  readonly accent: string | undefined;
  readonly logo: Logo | undefined;
}

/** What the configuration file gives (the logo as a file path, read at start). */
export interface BrandingDefaults {
  readonly productName?: string | undefined;
  readonly accent?: string | undefined;
  readonly logoFile?: string | undefined;
}

export interface BrandingChange {
  productName?: string | null;
  accent?: string | null;
  logo?: Logo | null;
}

/** Named limits, each in its error. */
export const BRANDING_LIMITS = { productNameChars: 60, logoBytes: 256 * 1024 } as const;

const SETTING = 'branding';

export function checkProductName(name: string): string {
  const text = name.trim();
  if (!text) throw new SettingError('the product name is empty');
  if (text.length > BRANDING_LIMITS.productNameChars) throw new SettingError(`the product name is longer than ${BRANDING_LIMITS.productNameChars} characters`);
  if (/\p{Cc}/u.test(text)) throw new SettingError('the product name has a control character');
  return text;
}

export function checkAccent(accent: string): string {
  const text = accent.trim().toLowerCase();
  if (!/^#[0-9a-f]{6}$/.test(text)) throw new SettingError(`the accent colour must be #rrggbb (six hexadecimal digits), not "${accent.slice(0, 20)}"`);
  return text;
}

/** A logo's type from its first bytes (never from a file name or a declared type): PNG, JPEG, WebP or SVG, at most 256 KiB. */
export function checkLogo(data: Buffer): Logo {
  if (data.length === 0) throw new SettingError('the logo is empty');
  if (data.length > BRANDING_LIMITS.logoBytes)
    throw new SettingError(`the logo is ${data.length} bytes; the limit (logoBytes) is ${BRANDING_LIMITS.logoBytes}`);
  const head = data.subarray(0, 16);
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { type: 'image/png', data };
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { type: 'image/jpeg', data };
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return { type: 'image/webp', data };
  const text = data
    .subarray(0, 1024)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(text)) return { type: 'image/svg+xml', data };
  throw new SettingError('the logo must be a PNG, JPEG, WebP or SVG image');
}

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The console's grounds (console.css), light and dark. */
const GROUNDS = { light: '#ffffff', dark: '#0d1117' } as const;

/**
 * The stylesheet of the branded pages. The accent always marks the header; it colours links and
 * the main button only where its text keeps a 4.5:1 contrast (WCAG AA) on that mode's ground, so
 * a pale accent never makes the page unreadable.
 */
export function brandStylesheet(b: Branding): string {
  if (!b.accent) return '';
  const rules = [`:root { --accent: ${b.accent}; }`, 'header.branded { border-top: 4px solid var(--accent); }'];
  if (contrast(b.accent, GROUNDS.light) >= 4.5) rules.push(`:root { --blue: ${b.accent}; --on-blue: #ffffff; }`);
  if (contrast(b.accent, GROUNDS.dark) >= 4.5) rules.push(`@media (prefers-color-scheme: dark) { :root { --blue: ${b.accent}; --on-blue: ${GROUNDS.dark}; } }`);
  else rules.push('@media (prefers-color-scheme: dark) { :root { --blue: #6ea8fe; --on-blue: #0d1117; } }');
  return `${rules.join('\n')}\n`;
}

interface Stored {
  productName?: string;
  accent?: string;
  logo?: { type: LogoType; data: string };
}

export class Brandings {
  private readonly defaults: Branding;
  /** The stored branding, read at most every 5 seconds per process (a setup page asks several times). */
  private cached: { at: number; stored: Promise<Stored> } | undefined;

  constructor(
    private readonly store: Store,
    defaults: BrandingDefaults = {},
  ) {
    this.defaults = {
      productName: defaults.productName === undefined ? undefined : checkProductName(defaults.productName),
      accent: defaults.accent === undefined ? undefined : checkAccent(defaults.accent),
      logo: defaults.logoFile === undefined ? undefined : readLogo(defaults.logoFile),
    };
  }

  /** The configuration file's branding (what `unset` returns to). */
  get configured(): Branding {
    return this.defaults;
  }

  /** The branding in force: what was stored, else the configuration's, field by field. */
  async current(): Promise<Branding> {
    const stored = await this.stored();
    return {
      productName: stored.productName ?? this.defaults.productName,
      accent: stored.accent ?? this.defaults.accent,
      logo: stored.logo ? { type: stored.logo.type, data: Buffer.from(stored.logo.data, 'base64') } : this.defaults.logo,
    };
  }

  /** Stores a change: a value sets the field, null returns it to the configuration's. Every value is checked first. */
  async set(change: BrandingChange): Promise<Branding> {
    this.cached = undefined;
    const next: Stored = { ...(await this.stored()) };
    if (change.productName !== undefined) {
      if (change.productName === null) delete next.productName;
      else next.productName = checkProductName(change.productName);
    }
    if (change.accent !== undefined) {
      if (change.accent === null) delete next.accent;
      else next.accent = checkAccent(change.accent);
    }
    if (change.logo !== undefined) {
      if (change.logo === null) delete next.logo;
      else next.logo = { type: checkLogo(change.logo.data).type, data: change.logo.data.toString('base64') };
    }
    await this.store.serverSettings.set(SETTING, Object.keys(next).length ? JSON.stringify(next) : null);
    this.cached = undefined;
    return this.current();
  }

  private stored(): Promise<Stored> {
    if (!this.cached || Date.now() - this.cached.at >= 5000) {
      const stored = this.store.serverSettings.get(SETTING).then((text) => (text ? (JSON.parse(text) as Stored) : {}));
      this.cached = { at: Date.now(), stored };
      stored.catch(() => (this.cached = undefined));
    }
    return this.cached.stored;
  }
}

function readLogo(path: string): Logo {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new SettingError(`cannot read the logo file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return checkLogo(data);
}
