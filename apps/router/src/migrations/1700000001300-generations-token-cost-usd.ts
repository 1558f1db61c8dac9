import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a Responses job's token charge was, beyond the whole cents the ledger posted:
 * - `token_cost_usd`: the exact cost of the charged tokens at the rates used for the charge, so
 *   `usage.cost_usd` shows the published per-token price (fractional) and does not move when the
 *   catalog's rates change later;
 * - `usage_estimated`: the provider finished without reporting usage and the tokens charged are the
 *   written rule's (estimated input + output cap), not counts — shown to the customer as such.
 */
export class GenerationsTokenCostUsd1700000001300 implements MigrationInterface {
  name = 'GenerationsTokenCostUsd1700000001300';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations ADD COLUMN token_cost_usd double precision, ADD COLUMN usage_estimated boolean NOT NULL DEFAULT false`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations DROP COLUMN token_cost_usd, DROP COLUMN usage_estimated`);
  }
}
