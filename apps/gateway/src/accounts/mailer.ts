import nodemailer, { type Transporter } from 'nodemailer';
import { logger } from '@pipevideo/platform';
import type { AccountsMetrics } from './accounts-metrics';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends mail over SMTP with nodemailer (PIPEVIDEO_SMTP_URL). A failure is counted and logged, never shown to the caller (enumeration). */
export class Mailer {
  private readonly transport?: Transporter;

  constructor(
    smtpUrl: string | undefined,
    private readonly from: string,
    private readonly metrics: AccountsMetrics,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined;
  }

  get configured(): boolean {
    return !!this.transport;
  }

  async send(kind: 'sign_in' | 'invite', mail: OutgoingMail): Promise<boolean> {
    if (!this.transport) return false;
    try {
      await this.transport.sendMail({ from: this.from, ...mail });
      this.metrics.emails.inc({ kind, outcome: 'sent' });
      return true;
    } catch (err) {
      this.metrics.emails.inc({ kind, outcome: 'failed' });
      logger.warn({ kind, err: err instanceof Error ? err.message : String(err) }, 'sending mail failed');
      return false;
    }
  }

  close() {
    this.transport?.close();
  }
}

/** Escapes text for the HTML part of a mail (org names and emails are user input). */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
