import { Client } from 'pg';
import { BROADCASTS, generationUpdatedSubject, type GenerationUpdatedMsg } from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';

export interface GenerationUpdatesPorts {
  /** Core NATS publish (Transport.publish). */
  publish(subject: string, data: string): void;
  onRelayed?(): void;
  onReconnect?(): void;
}

/**
 * Relays the `<schema>_generation_updated` NOTIFYs (migration 1770000000000: a trigger on generations
 * and their attempts, delivered on commit) to the `generation.updated.<orgId>` broadcast. One listening
 * connection per router replica; with several replicas each notice is relayed once per replica, which
 * subscribers tolerate (a notice is idempotent). Whenever the listening connection is (re)established,
 * notices in between may be lost: it broadcasts `generation.view_reset` so mirrors start over.
 */
export class GenerationUpdatesRelay {
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly schema: string,
    private readonly ports: GenerationUpdatesPorts,
    private readonly retryMs = 1000,
  ) {}

  get channel(): string {
    return `${this.schema}_generation_updated`;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('error', (err) => {
      logger.warn({ err: String(err) }, 'generation updates listener lost its connection; reconnecting');
      this.reconnectSoon(client);
    });
    client.on('end', () => this.reconnectSoon(client));
    client.on('notification', (n) => {
      if (n.channel !== this.channel || !n.payload) return;
      const p = JSON.parse(n.payload) as Omit<GenerationUpdatedMsg, 'v'>;
      const msg: GenerationUpdatedMsg = { v: 1, id: p.id, orgId: p.orgId, api: p.api, status: p.status, attempt: p.attempt, deleted: p.deleted };
      this.ports.publish(generationUpdatedSubject(msg.orgId), JSON.stringify(msg));
      this.ports.onRelayed?.();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
      this.client = client;
      // Anything committed while nobody listened was not announced: mirrors must start over.
      this.ports.publish(BROADCASTS.generationViewReset, JSON.stringify({ v: 1 }));
    } catch (err) {
      logger.warn({ err: String(err) }, 'generation updates listener could not connect; retrying');
      this.reconnectSoon(client);
    }
  }

  private reconnectSoon(client: Client): void {
    if (this.stopped || this.retry || (this.client && this.client !== client)) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.ports.onReconnect?.();
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, this.retryMs);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
