import { toEvent, type EventBus } from '../service/events.js';
import type { OrgContext } from '../service/context.js';
import type { Store } from '../store/store.js';
import type { EventRow } from '../store/types.js';
import { securityEventOf, SET_EVENT_TYPES, type SetForm } from './security-events.js';
import type { SigningKeys } from './signing-keys.js';

/** What a receiver sends to the poll endpoint (RFC 8936 §2.4), checked. */
export interface PollRequest {
  /** The stream: its own acknowledged-up-to position (default `default`). */
  readonly stream: string;
  readonly form: SetForm;
  readonly issuer: string;
  /** How many SETs at most; 0 only acknowledges. */
  readonly maxEvents: number;
  /** Answer now even when there is nothing (else wait up to `waitMs` for a first SET). */
  readonly returnImmediately: boolean;
  readonly waitMs: number;
  /** The jti of SETs received and processed. */
  readonly ack: readonly string[];
  /** The jti of SETs the receiver refused, with its reason (acknowledged too: it will not take them). */
  readonly setErrs: Readonly<Record<string, { readonly err: string; readonly description?: string }>>;
}

export interface PollResponse {
  /** jti to the SET, in sequence order. */
  readonly sets: Record<string, string>;
  readonly moreAvailable: boolean;
}

/** The stream's state after acknowledgements: where it stands, and which SETs past that were acknowledged. */
interface Position {
  readonly cursor: number;
  readonly acked: ReadonlySet<number>;
}

/** Poll streams one organization may have: each is a receiver's position, kept until it is started over. */
export const MAX_STREAMS = 100;

/** A first poll of a new stream when the organization has {@link MAX_STREAMS} already. */
export class TooManyStreams extends Error {
  constructor(readonly count: number) {
    super(`the organization has ${count} poll streams, the limit`);
  }
}

/** A poll stream's position is older than the retained events: what it missed is gone. */
export class StreamExpired extends Error {
  constructor(
    readonly stream: string,
    readonly cursor: number,
    readonly first: number | undefined,
  ) {
    super(`stream "${stream}" is at ${cursor}, older than the oldest retained event (${first ?? 'none'})`);
  }
}

/**
 * RFC 8936 poll delivery of an organization's SETs. Each stream keeps the sequence number up to
 * which every SET was acknowledged, and the acknowledgements past it (a receiver may acknowledge
 * out of order); a poll returns the SETs after that position not yet acknowledged, so an
 * unacknowledged SET comes again at the next poll, on any node, and an acknowledged one never.
 * A new stream starts at the events that happen from its first poll on.
 */
export class SecurityEventPoll {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly keys: SigningKeys,
  ) {}

  async poll(org: OrgContext, req: PollRequest): Promise<PollResponse> {
    const position = await this.acknowledge(org, req);
    if (req.maxEvents === 0) return { sets: {}, moreAvailable: await this.pending(org, position, 1).then((p) => p.length > 0) };
    const deadline = Date.now() + (req.returnImmediately ? 0 : req.waitMs);
    let rows = await this.pending(org, position, req.maxEvents + 1);
    while (rows.length === 0 && Date.now() < deadline) {
      await this.bus.wait(org.id, Math.min(1000, deadline - Date.now()));
      rows = await this.pending(org, position, req.maxEvents + 1);
    }
    const moreAvailable = rows.length > req.maxEvents;
    if (rows.length === 0) return { sets: {}, moreAvailable };
    // The first SET an organization sends makes its first key.
    const signer = await this.keys.signer(org.id);
    const now = Date.now();
    const claims = rows.slice(0, req.maxEvents).flatMap((row) => securityEventOf(toEvent(row, org.slug), { issuer: req.issuer, form: req.form, now }) ?? []);
    // Signed together: WebCrypto's signatures run off the main thread, so a page costs about a
    // quarter of one-by-one (bench: "Security events").
    const jwts = await Promise.all(claims.map((c) => signer.sign(c)));
    const sets: Record<string, string> = {};
    claims.forEach((c, i) => (sets[c.jti] = jwts[i]!));
    return { sets, moreAvailable };
  }

  /** Forgets a stream: its next poll starts at the events from then on. */
  async reset(org: OrgContext, stream: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const found = await tx.securityEvents.stream(org.id, stream, { forUpdate: true });
      if (!found) return false;
      const { last } = await tx.events.bounds(org.id);
      await tx.securityEvents.moveStream(org.id, stream, last, new Date().toISOString());
      return true;
    });
  }

  /**
   * Records the acknowledgements and moves the stream past every SET acknowledged without a gap,
   * in one transaction with the stream locked (two nodes polling one stream agree).
   */
  private acknowledge(org: OrgContext, req: PollRequest): Promise<Position> {
    return this.store.transaction(async (tx) => {
      const at = new Date().toISOString();
      const { first, last } = await tx.events.bounds(org.id);
      let stream = await tx.securityEvents.stream(org.id, req.stream, { forUpdate: true });
      if (!stream) {
        const streams = await tx.securityEvents.countStreams(org.id);
        if (streams >= MAX_STREAMS) throw new TooManyStreams(streams);
        await tx.securityEvents.createStream({ org_id: org.id, name: req.stream, cursor: last, created: at, last_poll: null });
        // Read back locked: two first polls at once agree on the row one of them made.
        stream = (await tx.securityEvents.stream(org.id, req.stream, { forUpdate: true }))!;
      }
      if (stream.cursor < last && (first === undefined || stream.cursor < first - 1)) throw new StreamExpired(req.stream, stream.cursor, first);
      const errs = Object.entries(req.setErrs);
      const jtis = [...req.ack, ...errs.map(([jti]) => jti)];
      const seqs = await tx.securityEvents.seqsOf(org.id, jtis);
      const reasons = new Map(errs.map(([jti, e]) => [jti, `${e.err}${e.description ? `: ${e.description}` : ''}`.slice(0, 500)]));
      const acks: { seq: number; error: string | null }[] = [];
      for (const jti of new Set(jtis)) {
        const seq = seqs.get(jti);
        // An unknown jti (another organization's, or pruned) acknowledges nothing.
        if (seq !== undefined && seq > stream.cursor) acks.push({ seq, error: reasons.get(jti) ?? null });
      }
      await tx.securityEvents.addAcks(org.id, req.stream, acks, at);
      // Acknowledged without an error: a deactivation or deletion among them has reached the application.
      await tx.deprovisions.delivered(
        org.id,
        acks.filter((a) => a.error === null).map((a) => a.seq),
        at,
        `poll ${req.stream}`,
      );
      const acked = new Set(await tx.securityEvents.acks(org.id, req.stream));
      let cursor = stream.cursor;
      if (acked.size > 0) {
        // The first SET not acknowledged is among the first acked.size + 1 after the cursor.
        for (const row of await tx.securityEvents.eventsAfter(org.id, stream.cursor, SET_EVENT_TYPES, acked.size + 1)) {
          if (!acked.has(Number(row.seq))) break;
          cursor = Number(row.seq);
        }
      }
      await tx.securityEvents.moveStream(org.id, req.stream, cursor, at);
      for (const seq of acked) if (seq <= cursor) acked.delete(seq);
      return { cursor, acked };
    });
  }

  /** SETs after the position not yet acknowledged, in order. */
  private async pending(org: OrgContext, position: Position, limit: number): Promise<EventRow[]> {
    const rows = await this.store.securityEvents.eventsAfter(org.id, position.cursor, SET_EVENT_TYPES, limit + position.acked.size);
    return rows.filter((r) => !position.acked.has(Number(r.seq))).slice(0, limit);
  }
}
