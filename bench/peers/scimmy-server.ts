/**
 * The comparison peer for the group-membership benchmark: SCIMMY 1.3 (the SCIM library) behind
 * scimmy-routers (its express middleware), with Users and Groups held in memory: two Maps and the
 * ingress/egress/degress handlers SCIMMY's documentation describes. It is deliberately the
 * straightforward implementation a SCIMMY user would write; the egress filter is naive (every
 * group through SCIMMY's own Filter.match).
 *
 * SCIMMY applies a PATCH by reading the whole resource (egress), patching a copy, writing the
 * whole result back (ingress) and answering with it: a member added to a group of N members
 * costs O(N) work and an O(N) response. That is the behaviour being compared against.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

export const PEER_PREFIX = '/scim/v2';

/** A user as the peer stores it (SCIM attributes, no `schemas`). */
export interface PeerUser {
  id: string;
  userName: string;
  meta: { created: string; lastModified: string };
  [attribute: string]: unknown;
}

export interface PeerMember {
  value: string;
  display?: string;
  type?: string;
}

/** A group as the peer stores it: its members inline, as SCIMMY hands them to ingress. */
export interface PeerGroup {
  id: string;
  displayName: string;
  externalId?: string;
  members: PeerMember[];
  meta: { created: string; lastModified: string };
}

/** The in-memory store the handlers read and write. */
export interface PeerStore {
  readonly users: Map<string, PeerUser>;
  readonly groups: Map<string, PeerGroup>;
}

export interface ScimmyPeer {
  /** http://127.0.0.1:port */
  readonly origin: string;
  /** The SCIM base path on that origin. */
  readonly prefix: string;
  /** Request headers the peer accepts (bearer token). */
  readonly headers: Record<string, string>;
  /** Its data, for seeding straight into memory. */
  readonly store: PeerStore;
  close(): Promise<void>;
}

// SCIMMY's resource registry is a process-wide singleton: the handlers are declared once and act
// on whichever store is current (one peer at a time).
let current: PeerStore | undefined;
let declared = false;

const notFound = (id: string | undefined) => new SCIMMY.Types.Error(404, null!, `Resource ${id} not found`);

function storeOf(): PeerStore {
  if (!current) throw new SCIMMY.Types.Error(503, null!, 'The SCIMMY peer is not running');
  return current;
}

/** A plain copy of what SCIMMY passes to ingress (a Schema instance), without id/schemas/meta. */
function plain(instance: object): Record<string, unknown> {
  const { schemas: _s, id: _i, meta: _m, ...rest } = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
  return rest;
}

function declareResources(): void {
  if (declared) return;
  declared = true;

  SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false) as typeof SCIMMY.Resources.User)
    .ingress((resource, instance) => {
      const { users } = storeOf();
      const data = plain(instance);
      const t = new Date().toISOString();
      const clash = [...users.values()].find((u) => u.userName.toLowerCase() === String(data.userName).toLowerCase() && u.id !== resource.id);
      if (clash) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName "${String(data.userName)}" is already taken`);
      if (resource.id) {
        const before = users.get(resource.id);
        if (!before) throw notFound(resource.id);
        const after = { ...data, id: before.id, meta: { created: before.meta.created, lastModified: t } } as PeerUser;
        users.set(after.id, after);
        return after as never;
      }
      const created = { ...data, id: randomUUID(), meta: { created: t, lastModified: t } } as PeerUser;
      users.set(created.id, created);
      return created as never;
    })
    .egress((resource) => {
      const { users } = storeOf();
      if (resource.id) {
        const user = users.get(resource.id);
        if (!user) throw notFound(resource.id);
        return user as never;
      }
      const all = [...users.values()];
      return (resource.filter ? resource.filter.match(all) : all) as never;
    })
    .degress((resource) => {
      const { users, groups } = storeOf();
      if (!resource.id || !users.delete(resource.id)) throw notFound(resource.id);
      for (const g of groups.values()) g.members = g.members.filter((m) => m.value !== resource.id);
    });

  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance) => {
      const { groups } = storeOf();
      const data = plain(instance) as Omit<PeerGroup, 'id' | 'meta'>;
      const t = new Date().toISOString();
      const members = (data.members ?? []).map((m) => ({ ...m }));
      if (resource.id) {
        const before = groups.get(resource.id);
        if (!before) throw notFound(resource.id);
        const after: PeerGroup = { ...data, members, id: before.id, meta: { created: before.meta.created, lastModified: t } };
        groups.set(after.id, after);
        return after as never;
      }
      const created: PeerGroup = { ...data, members, id: randomUUID(), meta: { created: t, lastModified: t } };
      groups.set(created.id, created);
      return created as never;
    })
    .egress((resource) => {
      const { groups } = storeOf();
      if (resource.id) {
        const group = groups.get(resource.id);
        if (!group) throw notFound(resource.id);
        return group as never;
      }
      const all = [...groups.values()];
      return (resource.filter ? resource.filter.match(all) : all) as never;
    })
    .degress((resource) => {
      const { groups } = storeOf();
      if (!resource.id || !groups.delete(resource.id)) throw notFound(resource.id);
    });
}

/** Starts the peer on 127.0.0.1 (an ephemeral port) with an empty store. */
export async function startScimmyPeer(): Promise<ScimmyPeer> {
  if (current) throw new Error('a SCIMMY peer is already running in this process');
  declareResources();
  const store: PeerStore = { users: new Map(), groups: new Map() };
  current = store;
  const token = randomBytes(24).toString('base64url');

  const app = express();
  app.use(
    PEER_PREFIX,
    new SCIMMYRouters({
      type: 'bearer',
      docUri: 'https://example.com/rollcall-bench/scimmy-peer',
      handler: (req) => {
        if (req.header('authorization') !== `Bearer ${token}`) throw new Error('Authorization failed');
        return 'bench';
      },
    }),
  );

  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    current = undefined;
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    prefix: PEER_PREFIX,
    headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json' },
    store,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => {
        if (current === store) current = undefined;
        store.users.clear();
        store.groups.clear();
      })),
  };
}
