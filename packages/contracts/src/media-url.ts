/**
 * Media references a customer hands us (images, reference clips), checked the same way by the gateway
 * (top-level fields) and the router (media-valued `options`). Only the shape is checked here; whether an
 * https URL reaches a public address is the providers service's SSRF guard, just before the call.
 *
 * Data URIs travel inside the NATS message to the router and providers; NATS' default max_payload is
 * 1 MiB, so one data URI may hold 512 KiB decoded (≈ 683 KiB of base64) and a whole body 900 KiB.
 * Larger media must be hosted and passed as an https URL.
 */
export const DATA_URI_MAX_BYTES = 512 * 1024;
export const URL_MAX_LENGTH = 2048;

const DATA_URI = /^data:(image|video)\/([a-zA-Z0-9.+-]{1,40});base64,/;

/**
 * `null` when the value is an acceptable media reference: an https URL (≤ 2048 chars) or a
 * base64 `data:image/…` (`data:video/…`) URI whose decoded size is ≤ DATA_URI_MAX_BYTES.
 * Otherwise the reason, phrased to complete "<field> …".
 */
export function mediaUrlProblem(value: unknown, kind: 'image' | 'video'): string | null {
  if (typeof value !== 'string' || !value) return `must be an https URL or a data:${kind}/…;base64 URI`;
  if (value.startsWith('data:')) {
    const m = DATA_URI.exec(value);
    if (!m || m[1] !== kind) return `must be a data:${kind}/<type>;base64,… URI (got another media type or encoding)`;
    const payload = value.slice(m[0].length);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 === 1) return 'has invalid base64 data';
    const bytes = Math.floor((payload.length * 3) / 4) - (payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0);
    if (bytes === 0) return 'has an empty data URI';
    if (bytes > DATA_URI_MAX_BYTES) return `is too large: data URIs may hold at most ${DATA_URI_MAX_BYTES / 1024} KiB decoded; host the file and pass an https URL instead`;
    return null;
  }
  if (value.length > URL_MAX_LENGTH) return `must be at most ${URL_MAX_LENGTH} characters`;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `must be an https URL or a data:${kind}/…;base64 URI`;
  }
  if (u.protocol !== 'https:') return `must use https (or be a data:${kind}/…;base64 URI)`;
  if (!u.hostname) return 'must have a host name';
  return null;
}
