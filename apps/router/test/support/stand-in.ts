import { RPC, type BalanceView, type PlaceHoldsItem, type RpcReply, type RpcRequest, type RpcSubject } from '@pipevideo/contracts';
import type { InProcessWiring } from '@pipevideo/platform';

/**
 * A stand-in for another service's handler on the in-process bus, typed by the seam map like the real
 * one, so its reply cannot drift from what the real service answers. A thrown error with a `code`
 * crosses as that DomainError.
 *
 * A stand-in for `billing.hold.place` also answers `billing.hold.placeMany` (what the router sends),
 * as billing does: each hold of the request through the same function, in order, a hold's thrown error
 * becoming that hold's `outcome: 'error'` item.
 */
export function serve<S extends RpcSubject>(w: InProcessWiring, subject: S, fn: (data: RpcRequest<S>) => RpcReply<S> | Promise<RpcReply<S>>): void {
  w.bus.register(subject, async (raw) => {
    const p = JSON.parse(raw);
    try {
      return JSON.stringify({ id: p.id, response: await fn(p.data), isDisposed: true });
    } catch (err: any) {
      return JSON.stringify({ id: p.id, err: errorBody(err), isDisposed: true });
    }
  });
  if (subject === RPC.billing.holdPlace) {
    const placeOne = fn as unknown as (data: RpcRequest<'billing.hold.place'>) => RpcReply<'billing.hold.place'> | Promise<RpcReply<'billing.hold.place'>>;
    serve(w, RPC.billing.holdPlaceMany, async (d) => {
      const results: PlaceHoldsItem[] = [];
      for (const hold of d.holds) {
        try {
          results.push(await placeOne(hold));
        } catch (err: any) {
          results.push({ outcome: 'error', ...errorBody(err) });
        }
      }
      return { results };
    });
  }
}

function errorBody(err: any) {
  return { code: err.code ?? 'INTERNAL_SERVER_ERROR', message: err.message, ...(err.details ? { details: err.details } : {}) };
}

export const EMPTY_BALANCE: BalanceView = { balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: 0 };

/** Billing's answer to a hold it places. */
export const placed = (d: RpcRequest<'billing.hold.place'>): RpcReply<'billing.hold.place'> => ({ outcome: 'placed', holdId: d.holdId, amountCents: d.amountCents, balance: EMPTY_BALANCE });
