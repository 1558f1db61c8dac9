import { useState } from 'preact/hooks';
import { api } from '../api';
import { ADMIN_ONLY, canManage, useSession } from '../session';
import { Empty, ErrorBox, Loading, PageHeader, SecretOnce, useAction, useLoad, when } from '../ui';

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: number;
}
interface Delivery {
  id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed' | 'exhausted';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  next_attempt_at: number | null;
}

const path = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`;

export function WebhooksPage() {
  const endpoints = useLoad(() => api<{ data: Endpoint[] }>('/v1/webhooks?limit=100').then((r) => r.data), []);
  const [secret, setSecret] = useState<{ label: string; value: string }>();
  const [open, setOpen] = useState<string>();
  const manage = canManage(useSession().org);
  return (
    <section>
      <PageHeader title="Webhooks" />
      <p class="lead">We POST a signed event (Standard Webhooks) to your endpoints when a video completes or fails.</p>
      {secret && <SecretOnce label={secret.label} secret={secret.value} onDone={() => setSecret(undefined)} />}
      {!manage && <p class="notice">Managing endpoints: {ADMIN_ONLY}</p>}
      {manage && <CreateEndpoint onCreated={(ep, s) => (setSecret({ label: `Signing secret for ${ep.description || ep.url}`, value: s }), setOpen(ep.id), void endpoints.reload())} />}
      <h2>Endpoints</h2>
      {endpoints.error !== undefined && <ErrorBox error={endpoints.error} onRetry={endpoints.reload} />}
      {endpoints.loading && !endpoints.data && <Loading what="endpoints" />}
      {endpoints.data && endpoints.data.length === 0 && <Empty title="No endpoints yet">Add one above to receive events.</Empty>}
      <ul class="endpoints">
        {endpoints.data?.map((ep) => (
          <EndpointItem
            key={ep.id}
            ep={ep}
            manage={manage}
            open={open === ep.id}
            onToggle={() => setOpen(open === ep.id ? undefined : ep.id)}
            onChanged={endpoints.reload}
            onSecret={(s) => setSecret({ label: `New signing secret for ${ep.description || ep.url}`, value: s })}
          />
        ))}
      </ul>
    </section>
  );
}

function CreateEndpoint({ onCreated }: { onCreated: (ep: Endpoint, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const create = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await create.run(() => api<Endpoint & { secret: string | null }>('/v1/webhooks', { method: 'POST', body: { url, ...(description ? { description } : {}) } }));
    if (r.ok) {
      onCreated(r.value, r.value.secret ?? '');
      setUrl('');
      setDescription('');
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="create-ep-title">
      <h2 id="create-ep-title">Add an endpoint</h2>
      <label>
        URL
        <input name="url" type="url" required placeholder="https://example.com/webhooks/pipevideo" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Description (optional)
        <input name="description" maxLength={500} value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
      </label>
      <div class="actions">
        <button type="submit" disabled={create.busy}>
          {create.busy ? 'Adding…' : 'Add endpoint'}
        </button>
      </div>
      {create.error !== undefined && <ErrorBox error={create.error} />}
    </form>
  );
}

function EndpointItem({ ep, manage, open, onToggle, onChanged, onSecret }: { ep: Endpoint; manage: boolean; open: boolean; onToggle: () => void; onChanged: () => void; onSecret: (s: string) => void }) {
  const act = useAction();
  const [version, setVersion] = useState(0);
  const test = async () => {
    const r = await act.run(() => api(`${path(ep.id)}/test`, { method: 'POST' }));
    if (r.ok) setVersion((v) => v + 1);
  };
  const toggle = async () => {
    const r = await act.run(() => api(path(ep.id), { method: 'PATCH', body: { enabled: !ep.enabled } }));
    if (r.ok) onChanged();
  };
  const rotate = async () => {
    const r = await act.run(() => api<{ secret: string | null }>(`${path(ep.id)}/rotate-secret`, { method: 'POST' }));
    if (r.ok) onSecret(r.value.secret ?? '');
  };
  const remove = async () => {
    if (!confirm(`Delete the endpoint ${ep.url}?`)) return;
    const r = await act.run(() => api(path(ep.id), { method: 'DELETE' }));
    if (r.ok) onChanged();
  };
  const panelId = `deliveries-${ep.id}`;
  return (
    <li class="card endpoint" data-endpoint-id={ep.id}>
      <div class="endpoint-head">
        <div>
          <div class="mono break">{ep.url}</div>
          {ep.description && <div class="endpoint-description">{ep.description}</div>}
          <div class="muted">
            {ep.enabled ? <span class="badge active">enabled</span> : <span class="badge revoked">disabled</span>} {ep.events.join(', ')}
            {ep.disabled_reason && ` — ${ep.disabled_reason}`}
          </div>
        </div>
        <div class="row-actions">
          <button type="button" class="secondary" onClick={onToggle} aria-expanded={open} aria-controls={panelId}>
            {open ? 'Hide deliveries' : 'Deliveries'}
          </button>
          {manage && (
            <>
              <button type="button" onClick={test} disabled={act.busy || !ep.enabled}>
                Send test
              </button>
              <button type="button" class="secondary" onClick={toggle} disabled={act.busy}>
                {ep.enabled ? 'Disable' : 'Enable'}
              </button>
              <button type="button" class="secondary" onClick={rotate} disabled={act.busy}>
                Rotate secret
              </button>
              <button type="button" class="danger" onClick={remove} disabled={act.busy}>
                Delete
              </button>
            </>
          )}
        </div>
      </div>
      {act.error !== undefined && <ErrorBox error={act.error} />}
      {open && (
        <div id={panelId}>
          <Deliveries endpointId={ep.id} version={version} manage={manage} />
        </div>
      )}
    </li>
  );
}

function Deliveries({ endpointId, version, manage }: { endpointId: string; version: number; manage: boolean }) {
  const list = useLoad(() => api<{ data: Delivery[] }>(`${path(endpointId)}/deliveries?limit=50`).then((r) => r.data), [endpointId, version]);
  const retry = useAction();
  const onRetry = async (id: string) => {
    const r = await retry.run(() => api(`${path(endpointId)}/deliveries/${encodeURIComponent(id)}/retry`, { method: 'POST' }));
    if (r.ok) void list.reload();
  };
  return (
    <div class="deliveries">
      <div class="row-actions">
        <h3>Delivery log</h3>
        <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
      </div>
      {list.error !== undefined && <ErrorBox error={list.error} onRetry={list.reload} />}
      {list.loading && !list.data && <Loading what="deliveries" />}
      {list.data && list.data.length === 0 && <Empty title="No deliveries yet">Send a test event to see one here.</Empty>}
      {list.data && list.data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="deliveries">
            <caption class="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Retry</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((d) => (
                <tr key={d.id}>
                  <td data-label="When">{when(d.created_at)}</td>
                  <td data-label="Event">{d.event_type}</td>
                  <td data-label="Status">
                    <span class={`badge ${d.status}`}>{d.status}</span>
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Last answer">{d.last_status_code ?? d.last_error ?? '—'}</td>
                  <td data-label="Retry">
                    {manage ? (
                      <button type="button" class="secondary" onClick={() => onRetry(d.id)} disabled={retry.busy} aria-label={`Retry delivery ${d.id}`}>
                        Retry
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {retry.error !== undefined && <ErrorBox error={retry.error} />}
    </div>
  );
}
