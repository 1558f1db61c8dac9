import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { ADMIN_ONLY, canManage, useSession } from '../session';
import { Empty, ErrorBox, Loading, money, PageHeader, useAction, useLoad, when } from '../ui';
import { dollarsToCents } from '../format';

interface Balance {
  balance_cents: number;
  held_cents: number;
  available_cents: number;
  owed_cents: number;
}
interface TopUp {
  id: string;
  amount_cents: number;
  source: string;
  created_at: number;
}

const PRESETS = [1000, 2500, 5000];

export function BillingPage() {
  const params = new URLSearchParams(location.search);
  const returned = params.get('checkout');
  const balance = useLoad(() => api<Balance>('/v1/billing/balance'), []);
  const topUps = useLoad(
    () =>
      api<{ data: TopUp[] }>('/v1/billing/topups')
        .then((r) => r.data)
        .catch((err) => {
          // An API without the history yet: the page says so instead of failing.
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        }),
    [],
  );

  // Back from Stripe: the credit lands when Stripe's webhook arrives, a moment after the redirect.
  // Reload the balance a few times so the new amount shows without a manual refresh.
  const [settled, setSettled] = useState(returned !== 'success');
  useEffect(() => {
    if (returned !== 'success') return;
    let n = 0;
    const timer = setInterval(() => {
      n++;
      void balance.reload();
      void topUps.reload();
      if (n >= 10) {
        clearInterval(timer);
        setSettled(true);
      }
    }, 1500);
    return () => clearInterval(timer);
  }, [returned]);

  return (
    <section>
      <PageHeader title="Billing" />
      {returned === 'success' && (
        <div class="notice" role="status">
          Payment received. {settled ? 'Your balance below includes it once Stripe has confirmed.' : 'Updating your balance…'}
        </div>
      )}
      {returned === 'cancelled' && (
        <div class="notice" role="status">
          Checkout cancelled: nothing was charged.
        </div>
      )}
      {balance.error !== undefined && <ErrorBox error={balance.error} onRetry={balance.reload} />}
      {balance.loading && !balance.data && <Loading what="balance" />}
      {balance.data && (
        <dl class="cards" data-testid="balance">
          <div class="card">
            <dt>Balance</dt>
            <dd data-testid="balance-total">{money(balance.data.balance_cents)}</dd>
          </div>
          <div class="card">
            <dt>Held by running jobs</dt>
            <dd>{money(balance.data.held_cents)}</dd>
          </div>
          <div class="card">
            <dt>Available</dt>
            <dd data-testid="balance-available">{money(balance.data.available_cents)}</dd>
          </div>
          {balance.data.owed_cents > 0 && (
            <div class="card warn">
              <dt>Owed</dt>
              <dd>{money(balance.data.owed_cents)}</dd>
            </div>
          )}
        </dl>
      )}
      {canManage(useSession().org) ? <AddFunds /> : <p class="notice">Adding funds: {ADMIN_ONLY}</p>}
      <h2>Top-ups</h2>
      {topUps.error !== undefined && <ErrorBox error={topUps.error} onRetry={topUps.reload} />}
      {topUps.loading && topUps.data === undefined && <Loading what="top-ups" />}
      {topUps.data === null && <Empty title="Top-up history is not available on this server" />}
      {topUps.data && topUps.data.length === 0 && <Empty title="No top-ups yet">Add funds above; each payment shows here.</Empty>}
      {topUps.data && topUps.data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="top-ups">
            <caption class="visually-hidden">Top-ups of this organization</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Amount</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {topUps.data.map((t) => (
                <tr key={t.id}>
                  <td data-label="When">{when(t.created_at)}</td>
                  <td data-label="Amount">{money(t.amount_cents)}</td>
                  <td data-label="Source">{t.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function AddFunds() {
  const [amount, setAmount] = useState('25');
  const pay = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    await pay.run(async () => {
      const cents = dollarsToCents(amount);
      if (cents === undefined) throw new Error('Enter an amount in dollars');
      const back = `${location.origin}/billing`;
      const checkout = await api<{ url: string }>('/v1/billing/checkout', {
        method: 'POST',
        body: { amount_cents: cents, success_url: `${back}?checkout=success`, cancel_url: `${back}?checkout=cancelled` },
      });
      location.assign(checkout.url);
    });
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="add-funds-title">
      <h2 id="add-funds-title">Add funds</h2>
      <fieldset class="presets">
        <legend>Amount</legend>
        {PRESETS.map((c) => (
          <button type="button" key={c} class={`secondary ${dollarsToCentsSafe(amount) === c ? 'selected' : ''}`} aria-pressed={dollarsToCentsSafe(amount) === c} onClick={() => setAmount(String(c / 100))}>
            {money(c)}
          </button>
        ))}
      </fieldset>
      <label>
        Amount in dollars
        <input name="amount" inputMode="decimal" required value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
      </label>
      <div class="actions">
        <button type="submit" disabled={pay.busy}>
          {pay.busy ? 'Opening checkout…' : 'Add funds'}
        </button>
      </div>
      <p class="muted">You pay on Stripe's checkout page and come back here.</p>
      {pay.error !== undefined && <ErrorBox error={pay.error} />}
    </form>
  );
}

function dollarsToCentsSafe(text: string) {
  try {
    return dollarsToCents(text);
  } catch {
    return undefined;
  }
}
