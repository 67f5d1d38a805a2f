/**
 * Destinations as users write them, turned into STOMP destinations: `/queue/x` and `/topic/x`
 * stay, ActiveMQ's `queue://x` / `topic://x` (what the web console and logs show) become
 * `/queue/x` / `/topic/x`, and a bare name is a queue, as in ActiveMQ's tools.
 */

/** ActiveMQ destination URL prefixes and their STOMP form. */
const URL_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['queue://', '/queue/'],
  ['topic://', '/topic/'],
  ['temp-queue://', '/temp-queue/'],
  ['temp-topic://', '/temp-topic/'],
];

/** One part of a composite destination. */
function convertPart(part: string): string {
  for (const [url, stomp] of URL_PREFIXES) {
    if (part.toLowerCase().startsWith(url)) return stomp + part.slice(url.length);
  }
  return part;
}

/**
 * The STOMP destination for `text`. Composite destinations (`a,b`) convert part by part; parts
 * after the first without a prefix keep meaning what the broker makes of them (the first part's kind).
 */
export function toStompDestination(text: string): string {
  const parts = text.split(',').map((p) => convertPart(p.trim()));
  const first = parts[0] ?? '';
  if (first !== '' && !first.startsWith('/')) parts[0] = `/queue/${first}`;
  return parts.join(',');
}
