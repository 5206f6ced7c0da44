import type { DeprovisioningSummary, DeprovisionView } from '../service/deprovisioning.js';
import { html, when, type Html } from './html.js';

/** A duration in words: 850 ms, 4.2 s, 3 min 10 s. */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The overview's numbers: how fast the application acts on deactivations, and what waits. */
export function deprovisioningSummary(d: DeprovisioningSummary): Html {
  const by = d.acknowledgedBy === 'done' ? "the application's confirmation that access was revoked" : 'its delivery to the application';
  const counted = d.count24h === 1 ? '1 deactivation or deletion' : `${d.count24h} deactivations and deletions`;
  const timing =
    d.p50Ms === null
      ? d.count24h
        ? html`${counted} in 24 hours, none acknowledged yet (by ${by}).`
        : html`No deactivation or deletion in 24 hours. Each is measured until it is acknowledged (by ${by}).`
      : html`${counted} in 24 hours, acknowledged (by ${by}) in <strong>${duration(d.p50Ms)}</strong> at the median, ${duration(d.p95Ms)} at p95, ${duration(d.maxMs)} at the slowest.`;
  return html`
    <p>${timing} ${d.pending ? html`${d.pending} not acknowledged yet.` : d.count24h ? 'None waiting.' : ''}</p>
    ${
      d.overdue
        ? html`<p class="error-detail" role="status"><strong>${d.overdue} not acknowledged after 5 minutes.</strong> The people deactivated may still have access: the application's webhook, feed reader or event handler is behind or failing (IPSIE SCIM AL1 asks for 5 minutes).</p>`
        : ''
    }`;
}

/** One deprovisioning as a sentence: "Deactivated by Okta at …, acknowledged by the application (webhook …) at …, 1.2 s later." */
export function deprovisionSentence(d: DeprovisionView, clientName: string | null): Html {
  const what = d.kind === 'deleted' ? 'Deleted' : 'Deactivated';
  const who = clientName ? html` by <strong>${clientName}</strong>` : '';
  if (!d.acknowledgedAt)
    return html`${what}${who} at ${when(d.at)}; <strong>not acknowledged by the application yet</strong>${d.deliveredAt ? html` (delivered ${when(d.deliveredAt)} by ${d.deliveredBy ?? 'the application'}, not confirmed as revoked)` : ''}.`;
  return html`${what}${who} at ${when(d.at)}; acknowledged by the application (${d.doneAt && d.acknowledgedAt === d.doneAt ? 'confirmed as revoked' : (d.deliveredBy ?? 'delivered')}) at ${when(d.acknowledgedAt)}, <strong>${duration(d.latencyMs)}</strong> later.`;
}
