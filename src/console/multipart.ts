/**
 * multipart/form-data (RFC 7578), for the one console form that sends a file (the branding
 * page's logo). Text fields become strings; a file becomes { filename, type, base64 } (base64, so
 * that the input boundary's checks read it as text). The body's size is bounded by the parser's
 * bodyLimit; anything malformed is refused with a plain reason.
 */
export interface UploadedFile {
  readonly filename: string;
  readonly type: string;
  readonly base64: string;
}

export class MultipartError extends Error {}

export function parseMultipart(body: Buffer, contentType: string): Record<string, string | UploadedFile> {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const mark = boundary?.[1] ?? boundary?.[2];
  if (!mark) throw new MultipartError('the form has no multipart boundary');
  const delimiter = Buffer.from(`--${mark}`);
  const out: Record<string, string | UploadedFile> = {};
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('the form has no parts');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return out;
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw new MultipartError('a part of the form is malformed');
    at += 2;
    const headersEnd = body.indexOf('\r\n\r\n', at);
    if (headersEnd < 0) throw new MultipartError('a part of the form has no end to its headers');
    const headers = body.subarray(at, headersEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) throw new MultipartError('the form ends before its last part does');
    const data = body.subarray(headersEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw new MultipartError('a part of the form has no name');
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) {
      // An empty file input sends a part with an empty filename and no content: no file.
      if (filename !== '' || data.length) {
        out[name] = { filename, type: /^content-type:\s*(\S+)/im.exec(headers)?.[1] ?? 'application/octet-stream', base64: data.toString('base64') };
      }
    } else out[name] = data.toString('utf8');
    at = next + 2;
  }
}
