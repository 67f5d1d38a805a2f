/**
 * Wall-clock offsets for cron evaluation. ActiveMQ evaluates cron entries in the broker's default
 * zone (java.util.Calendar.getInstance()); we do the same by default and accept an IANA zone name
 * (tests pass 'UTC'). Only the UTC offset at an instant is needed: wall = instant + offset.
 */

export interface WallClockZone {
  /** The zone's name as given ('local' for the process zone). */
  readonly name: string;
  /** Milliseconds to add to an instant to get the wall-clock time, read with Date's UTC getters. */
  offsetAt(instantMs: number): number;
  /** True when the offset never changes (UTC, fixed zones): lets cron skip transition checks. */
  readonly fixed: boolean;
}

export const LOCAL_ZONE_NAME = 'local';

const UTC_NAMES = new Set(['UTC', 'ETC/UTC', 'GMT', 'ETC/GMT', 'Z', 'ZULU', 'UNIVERSAL', 'ETC/UNIVERSAL']);

const utcZone: WallClockZone = { name: 'UTC', fixed: true, offsetAt: () => 0 };

const localZone: WallClockZone = {
  name: LOCAL_ZONE_NAME,
  fixed: false,
  // getTimezoneOffset is minutes *behind* UTC, hence the sign flip.
  offsetAt: (instantMs) => -new Date(instantMs).getTimezoneOffset() * 60_000,
};

function intlZone(name: string): WallClockZone | string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return `unknown time zone '${name}'`;
  }
  const offsetAt = (instantMs: number): number => {
    const fields: Record<string, string> = {};
    for (const part of format.formatToParts(instantMs)) fields[part.type] = part.value;
    let year = Number(fields.year);
    if (fields.era === 'BC' || fields.era === 'B') year = 1 - year;
    const wall = wallMs(year, Number(fields.month), Number(fields.day), Number(fields.hour), Number(fields.minute), Number(fields.second));
    return wall - (instantMs - mod(instantMs, 1000));
  };
  return { name, fixed: false, offsetAt };
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * Wall-clock fields as milliseconds on the UTC time line (month 1..12). Unlike Date.UTC it keeps
 * years 0..99 as they are instead of mapping them to 1900..1999.
 */
export function wallMs(year: number, month: number, day: number, hour: number, minute: number, second = 0): number {
  const d = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  return d.setUTCFullYear(year, month - 1, day);
}

const zoneCache = new Map<string, WallClockZone>();

/**
 * Resolves a zone: undefined or 'local' is the process zone (like ActiveMQ), 'UTC' and its aliases
 * are a fixed zero offset, anything else must be an IANA name Intl knows. Returns an error message
 * for an unknown zone.
 */
export function resolveTimeZone(name: string | undefined): WallClockZone | string {
  if (name === undefined || name === LOCAL_ZONE_NAME) return localZone;
  if (UTC_NAMES.has(name.toUpperCase())) return utcZone;
  const cached = zoneCache.get(name);
  if (cached !== undefined) return cached;
  const zone = intlZone(name);
  if (typeof zone !== 'string') zoneCache.set(name, zone);
  return zone;
}
