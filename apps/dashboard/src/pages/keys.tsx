import { useState } from 'preact/hooks';
import { api } from '../api';
import { ADMIN_ONLY, canManage, useSession } from '../session';
import { dollarsToCents } from '../format';
import { Empty, ErrorBox, Loading, money, PageHeader, SecretOnce, useAction, useLoad, when } from '../ui';

interface ApiKey {
  id: string;
  name: string;
  kind: 'standard' | 'management';
  prefix: string;
  status: 'active' | 'revoked' | 'expired';
  limit_cents: number | null;
  limit_reset: 'daily' | 'weekly' | 'monthly' | 'none' | null;
  limit_remaining_cents: number | null;
  limit_resets_at: number | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

const GRACE_OPTIONS: Array<[number, string]> = [
  [0, 'Stop the old key now'],
  [3600, 'Old key works 1 more hour'],
  [86400, 'Old key works 1 more day'],
  [7 * 86400, 'Old key works 7 more days'],
];

export function KeysPage() {
  const keys = useLoad(() => api<{ data: ApiKey[] }>('/v1/keys').then((r) => r.data), []);
  const [secret, setSecret] = useState<{ label: string; value: string }>();
  const manage = canManage(useSession().org);
  return (
    <section>
      <PageHeader title="API keys" />
      <p class="lead">Keys let your code call the API for this organization. A key's secret is shown once, when it is made.</p>
      {secret && <SecretOnce label={secret.label} secret={secret.value} onDone={() => setSecret(undefined)} />}
      {manage ? (
        <CreateKey onCreated={(name, value) => (setSecret({ label: `New key “${name}”`, value }), void keys.reload())} />
      ) : (
        <p class="notice">{ADMIN_ONLY}</p>
      )}
      <h2>Keys</h2>
      {keys.error !== undefined && <ErrorBox error={keys.error} onRetry={keys.reload} />}
      {keys.loading && !keys.data && <Loading what="keys" />}
      {keys.data && keys.data.length === 0 && <Empty title="No keys yet">Create one above to start calling the API.</Empty>}
      {keys.data && keys.data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="keys-table">
            <caption class="visually-hidden">API keys of this organization</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Status</th>
                <th scope="col">Spend limit</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <KeyRow key={k.id} k={k} manage={manage} onChanged={keys.reload} onRotated={(value) => setSecret({ label: `New secret for “${k.name}”`, value })} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated: (name: string, secret: string) => void }) {
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const [reset, setReset] = useState('monthly');
  const create = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await create.run(async () => {
      const limitCents = dollarsToCents(limit);
      return api<{ key: string | null; name: string }>('/v1/keys', { method: 'POST', body: { name, ...(limitCents !== undefined ? { limit_cents: limitCents, limit_reset: reset } : {}) } });
    });
    if (r.ok) {
      onCreated(r.value.name, r.value.key ?? '');
      setName('');
      setLimit('');
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <label>
        Name
        <input name="name" required maxLength={200} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="production" />
      </label>
      <label>
        Spend limit in dollars (optional)
        <input name="limit" inputMode="decimal" value={limit} onInput={(e) => setLimit((e.target as HTMLInputElement).value)} placeholder="no limit" />
      </label>
      <label>
        Limit resets
        <select name="limit_reset" value={reset} onChange={(e) => setReset((e.target as HTMLSelectElement).value)} disabled={!limit.trim()}>
          <option value="daily">Daily</option>
          <option value="weekly">Weekly</option>
          <option value="monthly">Monthly</option>
          <option value="none">Never</option>
        </select>
      </label>
      <div class="actions">
        <button type="submit" disabled={create.busy}>
          {create.busy ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {create.error !== undefined && <ErrorBox error={create.error} />}
    </form>
  );
}

function KeyRow({ k, manage, onChanged, onRotated }: { k: ApiKey; manage: boolean; onChanged: () => void; onRotated: (secret: string) => void }) {
  const act = useAction();
  const [grace, setGrace] = useState(0);
  const live = k.status === 'active';
  const rotate = async () => {
    const r = await act.run(() => api<{ key: string | null }>(`/v1/keys/${encodeURIComponent(k.id)}/rotate`, { method: 'POST', body: { grace_period_seconds: grace } }));
    if (r.ok) {
      onRotated(r.value.key ?? '');
      onChanged();
    }
  };
  const revoke = async () => {
    if (!confirm(`Revoke “${k.name}”? Requests with it stop working at once.`)) return;
    const r = await act.run(() => api(`/v1/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' }));
    if (r.ok) onChanged();
  };
  return (
    <tr data-key-id={k.id}>
      <td data-label="Name">
        <span class="key-name">{k.name}</span>
        {k.kind === 'management' && <span class="badge">management</span>}
      </td>
      <td data-label="Key" class="mono">
        {k.prefix}…
      </td>
      <td data-label="Status">
        <span class={`badge ${k.status}`}>{k.status}</span>
        {k.expires_at && live && <div class="muted">stops {when(k.expires_at)}</div>}
      </td>
      <td data-label="Spend limit">
        {k.limit_cents === null ? (
          <span class="muted">No limit</span>
        ) : (
          <>
            {money(k.limit_remaining_cents)} left of {money(k.limit_cents)}
            <div class="muted">{k.limit_reset === 'none' || !k.limit_resets_at ? 'never resets' : `resets ${when(k.limit_resets_at)}`}</div>
          </>
        )}
      </td>
      <td data-label="Last used">{when(k.last_used_at)}</td>
      <td data-label="Actions">
        {live && manage ? (
          <div class="row-actions">
            <label class="inline">
              <span class="visually-hidden">Grace period for rotating {k.name}</span>
              <select value={grace} onChange={(e) => setGrace(Number((e.target as HTMLSelectElement).value))}>
                {GRACE_OPTIONS.map(([s, label]) => (
                  <option key={s} value={s}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="secondary" onClick={rotate} disabled={act.busy} aria-label={`Rotate ${k.name}`}>
              Rotate
            </button>
            <button type="button" class="danger" onClick={revoke} disabled={act.busy} aria-label={`Revoke ${k.name}`}>
              Revoke
            </button>
          </div>
        ) : (
          <span class="muted">—</span>
        )}
        {act.error !== undefined && <ErrorBox error={act.error} />}
      </td>
    </tr>
  );
}
