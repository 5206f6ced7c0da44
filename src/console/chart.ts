import type { HourCount } from '../service/log/health.js';
import { html, type Html } from './html.js';

/**
 * The last 24 hours as an SVG bar chart: accepted requests and refusals stacked per hour. Drawn
 * with presentation attributes only (the console's Content-Security-Policy allows no inline
 * style), with a text summary for screen readers.
 */
export function hoursChart(hours: readonly HourCount[]): Html {
  const w = 24 * 20;
  const h = 120;
  const max = Math.max(1, ...hours.map((x) => x.requests));
  const total = hours.reduce((n, x) => n + x.requests, 0);
  const errors = hours.reduce((n, x) => n + x.clientErrors + x.serverErrors, 0);
  const bars = hours.map((x, i) => {
    const refused = x.clientErrors + x.serverErrors;
    const okH = Math.round(((x.requests - refused) / max) * (h - 20));
    const errH = Math.round((refused / max) * (h - 20));
    const xPos = i * 20 + 3;
    const label = `${x.hour.slice(11, 16)} UTC: ${x.requests} requests, ${refused} refused`;
    return html`<g><title>${label}</title><rect x="${xPos}" y="${h - 20 - okH - errH}" width="14" height="${okH}" class="bar-ok"></rect><rect x="${xPos}" y="${h - 20 - errH}" width="14" height="${errH}" class="bar-bad"></rect></g>`;
  });
  const ticks = hours.map((x, i) =>
    i % 6 === 3 ? html`<text x="${i * 20 + 10}" y="${h - 5}" text-anchor="middle" font-size="11" class="axis">${x.hour.slice(11, 16)}</text>` : html``,
  );
  return html`<figure class="chart"><svg viewBox="0 0 ${w} ${h}" role="img" aria-label="Requests per hour over the last 24 hours: ${total} requests, ${errors} refused" preserveAspectRatio="none"><line x1="0" y1="${h - 20}" x2="${w}" y2="${h - 20}" stroke="#999"></line>${bars}${ticks}</svg>
<figcaption><span class="key ok"></span> accepted <span class="key bad"></span> refused · ${total} requests, ${errors} refused in 24 hours (peak ${max} an hour)</figcaption></figure>`;
}
