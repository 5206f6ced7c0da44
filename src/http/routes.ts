import type { FastifyInstance } from 'fastify';
import type { Directory } from '../service/directory.js';

/** What resource routes need: the plugin instance, the service layer, and URL context. */
export interface RouteContext {
  readonly app: FastifyInstance;
  readonly directory: Directory;
  readonly prefix: string;
  readonly publicUrl: string | undefined;
}

export type WithId = { Params: { id: string }; Querystring: Record<string, string | string[] | undefined> };
export type WithQuery = { Querystring: Record<string, string | string[] | undefined> };
