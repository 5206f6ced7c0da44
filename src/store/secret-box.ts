import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A key of the operator's: 32 bytes, and the id stored beside what it sealed. */
interface Key {
  readonly id: string;
  readonly key: Buffer;
}

const PREFIX = 'enc:v1:';

/** A secret that cannot be opened, or a key that cannot be read: the message says what to do. */
export class SecretKeyError extends Error {
  readonly code = 'ROLLCALL_SECRET_KEY';
}

/**
 * Secrets at rest (the SET signing keys' private halves, the cursor key), sealed with
 * AES-256-GCM under a key the operator supplies: `ROLLCALL_SECRET_KEY`, or a file named by
 * `ROLLCALL_SECRET_KEY_FILE`, holding one or more keys separated by commas or new lines, each
 * `<id>:<32 bytes in base64 or base64url>` or the bytes alone (the id is then derived from the
 * key). The first key seals; every key listed opens, so a rotation puts the new key first, lets
 * the store reseal everything (openStore does, at start), then drops the old one.
 *
 * Without a key, secrets are stored as they are: a copy of the database then holds everything
 * needed to sign SETs and forge cursors (docs/deployment.md, "Secrets at rest").
 */
export class SecretBox {
  private constructor(private readonly keys: readonly Key[]) {}

  static none(): SecretBox {
    return new SecretBox([]);
  }

  /** The keys in `text` (see the class). */
  static parse(text: string, source = 'the secret key'): SecretBox {
    const keys: Key[] = [];
    for (const entry of text
      .split(/[,\n]/)
      .map((e) => e.trim())
      .filter(Boolean)) {
      const colon = entry.indexOf(':');
      const [id, encoded] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1)] : [undefined, entry];
      const key = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (key.length !== 32) throw new SecretKeyError(`${source}: each key must be 32 bytes in base64 (openssl rand -base64 32); one is ${key.length} bytes.`);
      const keyId = id ?? createHash('sha256').update(key).digest('base64url').slice(0, 8);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(keyId)) throw new SecretKeyError(`${source}: a key id is 1 to 32 letters, digits, "_" or "-" ("${keyId}" is not).`);
      if (keys.some((k) => k.id === keyId)) throw new SecretKeyError(`${source}: the key id "${keyId}" is listed twice.`);
      keys.push({ id: keyId, key });
    }
    return new SecretBox(keys);
  }

  /** The operator's keys from the environment, or none. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): SecretBox {
    if (env.ROLLCALL_SECRET_KEY) return SecretBox.parse(env.ROLLCALL_SECRET_KEY, 'ROLLCALL_SECRET_KEY');
    if (env.ROLLCALL_SECRET_KEY_FILE) {
      let text: string;
      try {
        text = readFileSync(env.ROLLCALL_SECRET_KEY_FILE, 'utf8');
      } catch (err) {
        throw new SecretKeyError(`ROLLCALL_SECRET_KEY_FILE: cannot read ${env.ROLLCALL_SECRET_KEY_FILE} (${(err as Error).message}).`);
      }
      return SecretBox.parse(text, env.ROLLCALL_SECRET_KEY_FILE);
    }
    return SecretBox.none();
  }

  /** The id of the key that seals, if there is one. */
  get current(): string | undefined {
    return this.keys[0]?.id;
  }

  /** A value as stored: sealed under the first key, or as it is without one. */
  seal(plain: string): string {
    const k = this.keys[0];
    if (!k) return plain;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', k.key, iv);
    cipher.setAAD(Buffer.from(k.id));
    const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${k.id}:${sealed.toString('base64url')}`;
  }

  /** The key id a stored value is sealed under (null: stored as it is). */
  static keyIdOf(stored: string): string | null {
    if (!stored.startsWith(PREFIX)) return null;
    return stored.slice(PREFIX.length, stored.indexOf(':', PREFIX.length));
  }

  /** A stored value, opened. */
  open(stored: string): string {
    const id = SecretBox.keyIdOf(stored);
    if (id === null) return stored;
    const k = this.keys.find((x) => x.id === id);
    if (!k) {
      throw new SecretKeyError(
        `A secret in the database is sealed with the key "${id}", which this process was not given: set ROLLCALL_SECRET_KEY (or ROLLCALL_SECRET_KEY_FILE) to the keys it was sealed with.`,
      );
    }
    const sealed = Buffer.from(stored.slice(PREFIX.length + id.length + 1), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', k.key, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(k.id));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(
        `A secret sealed with the key "${id}" does not open with the key given under that id: the key is not the one it was sealed with.`,
      );
    }
  }

  /** Whether a stored value should be sealed again (not under the current key), and can be. */
  stale(stored: string): boolean {
    return this.current !== undefined && SecretBox.keyIdOf(stored) !== this.current;
  }
}
