import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { BROADCASTS, generationUpdatedSubject, type GenerationUpdatedMsg } from '@pipevideo/contracts';

export type GenerationNote = Omit<GenerationUpdatedMsg, 'v'>;

const PENDING = 'pipevideo:generation-updates';

/**
 * Announces `generation.updated.<orgId>` once a change to a generation's public view is committed: a
 * change made inside a transaction is announced by the transaction's commit (TypeORM's
 * afterTransactionCommit, the notes kept on the query runner) and forgotten on rollback; one made
 * outside any transaction is announced at once (its statement has committed). Several notes of one
 * generation in one transaction are announced once, with the last one's state.
 *
 * Decision: not a PostgreSQL NOTIFY from a trigger (tried first): a notifying transaction holds a
 * cluster-wide lock through its commit's WAL flush, which serialised every create's commits and made
 * 150 concurrent creates time out. What this costs instead: a router that dies between a commit and
 * its announcement leaves mirrors stale until their TTL; every router broadcasts
 * `generation.view_reset` when it starts, so the mirrors of a generation it was writing start over.
 */
export class GenerationAnnouncer implements EntitySubscriberInterface {
  constructor(private readonly publish: (subject: string, data: string) => void) {}

  /** Subscribes to `ds`'s transaction events and tells every mirror to start over (this router may have died before announcing). */
  install(ds: DataSource): void {
    ds.subscribers.push(this);
    this.publish(BROADCASTS.generationViewReset, JSON.stringify({ v: 1 }));
  }

  /** A visible change of `note.id`, written through `m` (a transaction's manager, or none: already committed). */
  changed(m: EntityManager | DataSource | undefined, note: GenerationNote): void {
    const runner = (m as EntityManager | undefined)?.queryRunner;
    if (!runner || !runner.isTransactionActive) return this.send(note);
    const pending: Map<string, GenerationNote> = (runner.data[PENDING] ??= new Map());
    pending.set(note.id, note);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const pending = event.queryRunner.data?.[PENDING] as Map<string, GenerationNote> | undefined;
    if (!pending) return;
    delete event.queryRunner.data[PENDING];
    for (const note of pending.values()) this.send(note);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (event.queryRunner.data) delete event.queryRunner.data[PENDING];
  }

  private send(note: GenerationNote): void {
    const msg: GenerationUpdatedMsg = { v: 1, ...note };
    this.publish(generationUpdatedSubject(note.orgId), JSON.stringify(msg));
  }
}
