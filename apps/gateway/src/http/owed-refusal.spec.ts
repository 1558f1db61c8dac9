import { DomainError, ErrorCode, RPC } from '@pipevideo/contracts';
import type { Downstream } from '../downstream';
import { explainingOwed } from './owed-refusal';

describe('explainingOwed (a create refused while the org owes)', () => {
  const refused = () => Promise.reject(new DomainError(ErrorCode.BAD_REQUEST, 'Insufficient balance: available 0 cents. Add credits, then retry.'));
  const downstream = (owed: number | Error) => {
    const calls: Array<[string, unknown]> = [];
    const d = {
      call: async (subject: string, payload: unknown) => {
        calls.push([subject, payload]);
        if (owed instanceof Error) throw owed;
        return { orgId: 'org_1', balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: owed };
      },
    } as unknown as Downstream;
    return { d, calls };
  };

  it('says how much the org owes and what to do', async () => {
    const { d, calls } = downstream(120);
    await expect(explainingOwed(d, 'org_1', refused())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Insufficient balance: your organization owes 120 cents; add credits to settle it',
    });
    expect(calls).toEqual([[RPC.billing.balanceGet, { orgId: 'org_1' }]]);
  });

  it('leaves every other outcome alone: success, other errors, nothing owed, balance unreadable', async () => {
    const { d, calls } = downstream(120);
    expect(await explainingOwed(d, 'org_1', Promise.resolve({ id: 'gen_1' }))).toEqual({ id: 'gen_1' });
    await expect(explainingOwed(d, 'org_1', Promise.reject(new DomainError(ErrorCode.BAD_REQUEST, 'Model x not found')))).rejects.toMatchObject({ message: 'Model x not found' });
    await expect(explainingOwed(d, 'org_1', Promise.reject(new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'router down')))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(calls).toHaveLength(0);
    await expect(explainingOwed(downstream(0).d, 'org_1', refused())).rejects.toMatchObject({ message: /available 0 cents/ });
    await expect(explainingOwed(downstream(new Error('billing down')).d, 'org_1', refused())).rejects.toMatchObject({ message: /available 0 cents/ });
  });
});
