/** The scimType values of RFC 7644 §3.12, plus the few this server needs beyond it. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  // RFC 9865 (cursor pagination)
  | 'invalidCursor'
  | 'expiredCursor'
  | 'invalidCount';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A SCIM error (RFC 7644 §3.12): thrown anywhere below http/, rendered by one error handler. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, detail: string, scimType?: ScimType, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.detail = detail;
    this.headers = headers;
  }

  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { schemas: [ERROR_SCHEMA], status: String(this.status) };
    if (this.scimType) body.scimType = this.scimType;
    body.detail = this.detail;
    return body;
  }

  static invalidFilter(detail: string): ScimError {
    return new ScimError(400, detail, 'invalidFilter');
  }
  static invalidSyntax(detail: string): ScimError {
    return new ScimError(400, detail, 'invalidSyntax');
  }
  static invalidValue(detail: string): ScimError {
    return new ScimError(400, detail, 'invalidValue');
  }
  static invalidPath(detail: string): ScimError {
    return new ScimError(400, detail, 'invalidPath');
  }
  static noTarget(detail: string): ScimError {
    return new ScimError(400, detail, 'noTarget');
  }
  static mutability(detail: string): ScimError {
    return new ScimError(400, detail, 'mutability');
  }
  static tooMany(detail: string): ScimError {
    return new ScimError(400, detail, 'tooMany');
  }
  static uniqueness(detail: string): ScimError {
    return new ScimError(409, detail, 'uniqueness');
  }
  static badRequest(detail: string): ScimError {
    return new ScimError(400, detail);
  }
  static unauthorized(detail: string): ScimError {
    return new ScimError(401, detail, undefined, { 'www-authenticate': 'Bearer realm="rollcall"' });
  }
  static forbidden(detail: string): ScimError {
    return new ScimError(403, detail);
  }
  static notFound(detail: string): ScimError {
    return new ScimError(404, detail);
  }
  /** 405 with the methods the resource allows (RFC 9110 §15.5.6). */
  static methodNotAllowed(detail: string, allow: readonly string[]): ScimError {
    return new ScimError(405, detail, undefined, { allow: allow.join(', ') });
  }
  static preconditionFailed(detail: string): ScimError {
    return new ScimError(412, detail);
  }
  static payloadTooLarge(detail: string): ScimError {
    return new ScimError(413, detail);
  }
  static unsupportedMediaType(detail: string): ScimError {
    return new ScimError(415, detail);
  }
  static notImplemented(detail: string): ScimError {
    return new ScimError(501, detail);
  }
  /** 503 with Retry-After (RFC 9110 §10.2.3) in seconds. */
  static unavailable(detail: string, retryAfterSeconds = 1): ScimError {
    return new ScimError(503, detail, undefined, { 'retry-after': String(retryAfterSeconds) });
  }
  /** 429 with Retry-After in whole seconds. */
  static tooManyRequests(detail: string, retryAfterSeconds: number): ScimError {
    return new ScimError(429, detail, undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
