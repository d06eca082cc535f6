import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How far a delivery's timestamp may be from the receiver's clock before it is refused as a replay. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** A new signing secret for a schedule's webhook: 32 random bytes, base64url, `whsec_`-prefixed like Stripe's and Svix's. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The `X-Lemur-Signature` value of a delivery: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>` under the secret. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver checks: the headers of one delivery and its raw body, exactly as received. */
export interface WebhookDelivery {
  /** `X-Lemur-Timestamp` (unix seconds). */
  timestamp: string | undefined;
  /** `X-Lemur-Signature`; several comma-separated `v1=` values are accepted (a rotated secret). */
  signature: string | undefined;
  body: string;
}

/**
 * True when the delivery was signed with `secret` within `toleranceSeconds` of `now`: compares in constant time, so
 * the check leaks nothing of the expected signature, and refuses stale timestamps, so a captured delivery cannot be
 * replayed later.
 */
export function verifyWebhook(secret: string, delivery: WebhookDelivery, now: Date = new Date(), toleranceSeconds = DEFAULT_WEBHOOK_TOLERANCE_SECONDS): boolean {
  if (!delivery.timestamp || !/^\d{1,15}$/.test(delivery.timestamp) || !delivery.signature) return false;
  const timestamp = Number(delivery.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, delivery.body));
  return delivery.signature.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
