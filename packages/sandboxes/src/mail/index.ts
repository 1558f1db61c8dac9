import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SandboxMail {
  id: string;
  object: 'sandbox_mail';
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Every http(s) link in the text part, in order (what a person would click). */
  links: string[];
  received_at: number;
}

export interface MailSandboxOptions {
  host?: string;
  /** SMTP port (0: any free one). */
  smtpPort?: number;
  /** Mailbox HTTP port (0: any free one). */
  httpPort?: number;
  /** Messages kept (oldest dropped first). */
  maxMessages?: number;
}

export interface RunningMailSandbox {
  /** What the gateway's PIPEVIDEO_SMTP_URL should be. */
  smtpUrl: string;
  /** The mailbox: GET /messages?to=<address> (newest first), GET /messages/{id}, DELETE /messages. */
  url: string;
  messages(to?: string): SandboxMail[];
  close(): Promise<void>;
}

/**
 * A local SMTP server (the `smtp-server` package: the real protocol, no auth, no TLS, localhost only)
 * that keeps every message it receives, parsed with `mailparser`, and a tiny HTTP mailbox to read them
 * — embedded mode's mail, and the tests' way to click sign-in and invitation links.
 */
export async function startMailSandbox(o: MailSandboxOptions = {}): Promise<RunningMailSandbox> {
  const host = o.host ?? '127.0.0.1';
  const max = o.maxMessages ?? 1000;
  const inbox: SandboxMail[] = [];
  let n = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'Pipevideo mail sandbox',
    size: 5 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((m) => {
          const text = m.text ?? '';
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          inbox.unshift({
            id: `mail_${++n}`,
            object: 'sandbox_mail',
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to,
            subject: m.subject ?? '',
            text,
            html: typeof m.html === 'string' ? m.html : '',
            links: text.match(/https?:\/\/[^\s<>"')]+/g) ?? [],
            received_at: Math.floor(Date.now() / 1000),
          });
          if (inbox.length > max) inbox.length = max;
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(o.smtpPort ?? 0, host, () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const find = (to?: string) => (to ? inbox.filter((m) => m.to.includes(to.trim().toLowerCase())) : [...inbox]);
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mail.local');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/messages') return send(200, { object: 'list', data: find(url.searchParams.get('to') ?? undefined) });
    const one = /^\/messages\/(mail_\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const m = inbox.find((x) => x.id === one[1]);
      return m ? send(200, m) : send(404, { error: { message: 'no such message' } });
    }
    if (req.method === 'DELETE' && url.pathname === '/messages') {
      inbox.length = 0;
      return send(200, { deleted: true });
    }
    send(404, { error: { message: 'GET /messages?to=<address>, GET /messages/{id}, DELETE /messages' } });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.httpPort ?? 0, host, () => resolve());
  });
  const httpPort = (http.address() as AddressInfo).port;
  return {
    smtpUrl: `smtp://${host}:${smtpPort}`,
    url: `http://${host}:${httpPort}`,
    messages: find,
    async close() {
      await Promise.all([new Promise<void>((r) => smtp.close(() => r())), new Promise<void>((r) => http.close(() => r()))]);
    },
  };
}
