import { envStr } from '@pipevideo/platform';

export interface StripeSettings {
  /** Secret API key (sk_...). Without it checkout creation answers SERVICE_UNAVAILABLE. */
  secretKey?: string;
  /** Endpoint signing secret (whsec_...). Without it Stripe events answer SERVICE_UNAVAILABLE. */
  webhookSecret?: string;
  /** API base URL, e.g. http://127.0.0.1:12111 for a local stand-in; default Stripe's own. */
  apiBase?: string;
  /** Where Checkout sends the customer afterwards when the caller gives no URL. */
  successUrl: string;
  cancelUrl: string;
  currency: string;
  /** Name of the line item shown on the Checkout page. */
  productName: string;
}

export function stripeSettingsFromEnv(): StripeSettings {
  return {
    secretKey: process.env.STRIPE_SECRET_KEY || undefined,
    webhookSecret: process.env.STRIPE_WEBHOOK_SECRET || undefined,
    apiBase: process.env.STRIPE_API_BASE || undefined,
    successUrl: envStr('PIPEVIDEO_CHECKOUT_SUCCESS_URL', 'http://localhost:3000/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}'),
    cancelUrl: envStr('PIPEVIDEO_CHECKOUT_CANCEL_URL', 'http://localhost:3000/billing?checkout=cancelled'),
    currency: envStr('PIPEVIDEO_CHECKOUT_CURRENCY', 'usd').toLowerCase(),
    productName: envStr('PIPEVIDEO_CHECKOUT_PRODUCT_NAME', 'Pipevideo credits'),
  };
}

/** `STRIPE_API_BASE` → the SDK's host/port/protocol options. */
export function stripeHostOptions(apiBase?: string): { host?: string; port?: string; protocol?: 'http' | 'https' } {
  if (!apiBase) return {};
  const u = new URL(apiBase);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`STRIPE_API_BASE must be an http(s) URL, got ${apiBase}`);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return { host: u.hostname, port: u.port || (protocol === 'http' ? '80' : '443'), protocol };
}
