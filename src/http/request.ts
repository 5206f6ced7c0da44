import type { FastifyReply, FastifyRequest } from 'fastify';
import { LIST_RESPONSE, ScimError, listResponse, type ListPageShape } from '../protocol/messages/index.js';
import { parseAttributeList, project, type Projection } from '../protocol/projection.js';
import type { ResourceTypeDef } from '../protocol/schema/index.js';
import type { OrgContext, RequestContext } from '../service/context.js';
import type { ListPageText, ScimResource } from '../service/resource.js';
import { SCIM_CONTENT_TYPE } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    org: OrgContext | null;
  }
}

export type Query = Record<string, string | string[] | undefined>;

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The absolute base URL of the SCIM API: --public-url when set; else the request's Host, or
 * X-Forwarded-Proto and X-Forwarded-Host when the request comes from a trusted proxy (fastify's
 * trustProxy; by default nobody is trusted). A Host that is not a host name is refused.
 */
export function baseUrlOf(request: FastifyRequest, prefix: string, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '') + prefix;
  const host = request.host || 'localhost';
  if (!HOST.test(host)) throw ScimError.invalidValue('The Host header is not a host name.');
  const proto = request.protocol === 'https' ? 'https' : 'http';
  return `${proto}://${host}${prefix}`;
}

export function contextOf(request: FastifyRequest, prefix: string, publicUrl: string | undefined): RequestContext {
  if (!request.org) throw ScimError.unauthorized('Authentication required.');
  return {
    org: request.org,
    baseUrl: baseUrlOf(request, prefix, publicUrl),
    requestId: request.id,
    warn: (message, data) => request.log.warn({ org: request.org?.slug, ...data }, message),
    committed: (events) => {
      (request.committed ??= []).push(...events);
    },
  };
}

export function projectionOf(query: Query): Projection {
  const attributes = parseAttributeList(query.attributes);
  const excludedAttributes = parseAttributeList(query.excludedAttributes);
  return { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) };
}

/** Sends one resource with its ETag (and Location on create), projected as the query asks. */
export function sendResource(reply: FastifyReply, rt: ResourceTypeDef, resource: ScimResource, projection: Projection, status = 200): FastifyReply {
  reply.header('etag', resource.meta.version);
  if (status === 201) reply.header('location', (resource.meta as Record<string, unknown>).location as string);
  return reply
    .code(status)
    .type(SCIM_CONTENT_TYPE)
    .send(project(rt, resource, projection));
}

/** A ListResponse's JSON with each resource projected as the request asks. */
export function listJson(rt: ResourceTypeDef, page: ListPageShape<ScimResource>, projection: Projection): string {
  return JSON.stringify(listResponse({ ...page, resources: page.resources.map((r) => project(rt, r, projection)) }));
}

export function sendList(reply: FastifyReply, rt: ResourceTypeDef, page: ListPageShape<ScimResource>, projection: Projection): FastifyReply {
  return reply.type(SCIM_CONTENT_TYPE).send(listJson(rt, page, projection));
}

/** A ListResponse of representations already serialised: the same text listResponse() would give. */
export function listTextJson(page: ListPageText): string {
  if (page.cursor) {
    const total = page.totalResults >= 0 ? `"totalResults":${page.totalResults},` : '';
    const next = page.cursor.next !== undefined ? `"nextCursor":${JSON.stringify(page.cursor.next)},` : '';
    const previous = page.cursor.previous !== undefined ? `"previousCursor":${JSON.stringify(page.cursor.previous)},` : '';
    return `{"schemas":["${LIST_RESPONSE}"],${total}"itemsPerPage":${page.resources.length},${next}${previous}"Resources":[${page.resources.join(',')}]}`;
  }
  return `{"schemas":["${LIST_RESPONSE}"],"totalResults":${page.totalResults},"itemsPerPage":${page.resources.length},"startIndex":${page.startIndex},"Resources":[${page.resources.join(',')}]}`;
}

export function headerOf(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
