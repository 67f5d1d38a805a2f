/**
 * Destination names: ActiveMQ wildcards (`.` separates, `*` one element, `>` one or more trailing
 * elements) and composite destinations (`a,b`, parts may carry `queue://` or `topic://`).
 */
import { FerryError, ErrorCodes } from '../../errors.js';
import type { Destination, DestinationKind } from '../message.js';

/** Longest destination name accepted; ActiveMQ has none, but unbounded names are a memory hazard. */
export const MAX_DESTINATION_NAME = 1024;

export function isWildcard(name: string): boolean {
  return name.includes('*') || name.includes('>');
}

/** Expands a composite destination into its physical parts (a single destination is one part). */
export function expandComposite(d: Destination): Destination[] {
  if (!d.name.includes(',')) return [d];
  const out: Destination[] = [];
  for (const raw of d.name.split(',')) {
    const part = raw.trim();
    if (part.startsWith('queue://')) out.push({ kind: 'queue', name: part.slice(8) });
    else if (part.startsWith('topic://')) out.push({ kind: 'topic', name: part.slice(8) });
    else out.push({ kind: d.kind, name: part });
  }
  return out;
}

/** Checks one physical (non-composite) destination name. */
export function validateName(kind: DestinationKind, name: string): FerryError | undefined {
  if (name.length === 0) return new FerryError(ErrorCodes.INVALID_DESTINATION, `empty ${kind} name`);
  if (name.length > MAX_DESTINATION_NAME) {
    return new FerryError(ErrorCodes.INVALID_DESTINATION, `${kind} name longer than ${MAX_DESTINATION_NAME} characters`);
  }
  if (isWildcard(name)) {
    const parts = name.split('.');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if ((p.includes('*') && p !== '*') || (p.includes('>') && p !== '>')) {
        return new FerryError(ErrorCodes.INVALID_DESTINATION, `wildcards must be whole name elements: ${name}`);
      }
      if (p === '>' && i !== parts.length - 1) {
        return new FerryError(ErrorCodes.INVALID_DESTINATION, `'>' must be the last element: ${name}`);
      }
    }
  }
  return undefined;
}

/** A compiled wildcard pattern; matches physical names. */
export class NamePattern {
  private readonly parts: string[];
  private readonly tail: boolean;
  readonly wildcard: boolean;

  constructor(readonly text: string) {
    const parts = text.split('.');
    this.tail = parts[parts.length - 1] === '>';
    if (this.tail) parts.pop();
    this.parts = parts;
    this.wildcard = isWildcard(text);
  }

  matches(name: string): boolean {
    if (!this.wildcard) return name === this.text;
    const path = name.split('.');
    if (this.tail ? path.length <= this.parts.length : path.length !== this.parts.length) return false;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i];
      if (p !== '*' && p !== path[i]) return false;
    }
    return true;
  }
}
