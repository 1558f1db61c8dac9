import { useState } from 'preact/hooks';
import { api } from '../api';
import { useSession } from '../session';
import { Empty, ErrorBox, Loading, PageHeader, useAction, useLoad } from '../ui';

interface Member {
  user_id: string;
  email: string;
  role: 'owner' | 'admin' | 'member';
}

export function OrgsPage() {
  const s = useSession();
  const orgs = s.session?.orgs ?? [];
  return (
    <section>
      <PageHeader title="Organization" />
      {orgs.length === 0 && (
        <Empty title="You are not in an organization yet">Create one below, or open an invite link someone sent you.</Empty>
      )}
      <CreateOrg />
      {s.org && <Members />}
      {orgs.length > 0 && (
        <>
          <h2>Your organizations</h2>
          <ul class="org-list">
            {orgs.map((o) => (
              <li key={o.id}>
                <span class="org-name">{o.name}</span> <span class="badge">{o.role}</span>
                {o.id === s.org?.id ? (
                  <span class="muted"> (selected)</span>
                ) : (
                  <button type="button" class="link" onClick={() => s.selectOrg(o.id)}>
                    Switch to {o.name}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function CreateOrg() {
  const s = useSession();
  const [name, setName] = useState('');
  const create = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await create.run(() => api<{ id: string }>('/v1/orgs', { method: 'POST', body: { name }, noOrg: true }));
    if (r.ok) {
      setName('');
      await s.refresh();
      s.selectOrg(r.value.id);
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-labelledby="create-org-title">
      <h2 id="create-org-title">Create an organization</h2>
      <label>
        Name
        <input name="org-name" required maxLength={200} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="Acme" />
      </label>
      <div class="actions">
        <button type="submit" disabled={create.busy}>
          {create.busy ? 'Creating…' : 'Create organization'}
        </button>
      </div>
      {create.error !== undefined && <ErrorBox error={create.error} />}
    </form>
  );
}

function Members() {
  const s = useSession();
  const org = s.org!;
  const members = useLoad(() => api<{ data: Member[] }>(`/v1/orgs/${encodeURIComponent(org.id)}/members`).then((r) => r.data), [org.id]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [invited, setInvited] = useState<string>();
  const act = useAction();
  const canManage = org.role === 'owner' || org.role === 'admin';

  const invite = async (e: Event) => {
    e.preventDefault();
    const r = await act.run(() => api<{ email: string }>(`/v1/orgs/${encodeURIComponent(org.id)}/invites`, { method: 'POST', body: { email, role } }));
    if (r.ok) {
      setInvited(r.value.email);
      setEmail('');
    }
  };
  const remove = async (m: Member) => {
    const self = m.user_id === s.session?.user.id;
    if (!confirm(self ? `Leave ${org.name}?` : `Remove ${m.email} from ${org.name}?`)) return;
    const orgPath = `/v1/orgs/${encodeURIComponent(org.id)}`;
    const r = await act.run(() => (self ? api(`${orgPath}/leave`, { method: 'POST' }) : api(`${orgPath}/members/${encodeURIComponent(m.user_id)}`, { method: 'DELETE' })));
    if (r.ok) {
      if (self) await s.refresh();
      else void members.reload();
    }
  };

  return (
    <>
      <h2>
        Members of <span class="org-name">{org.name}</span>
      </h2>
      {canManage && (
        <form class="card form-grid" onSubmit={invite} aria-label="Invite a member">
          <label>
            Email to invite
            <input type="email" name="invite-email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'member' | 'admin')}>
              <option value="member">Member — uses the API, sees usage</option>
              <option value="admin">Admin — also keys, billing and members</option>
            </select>
          </label>
          <div class="actions">
            <button type="submit" disabled={act.busy}>
              Send invite
            </button>
          </div>
          {invited && (
            <p class="notice" role="status">
              Invite sent to <span class="mono">{invited}</span>: the mail holds a link to join.
            </p>
          )}
        </form>
      )}
      {act.error !== undefined && <ErrorBox error={act.error} />}
      {members.error !== undefined && <ErrorBox error={members.error} onRetry={members.reload} />}
      {members.loading && !members.data && <Loading what="members" />}
      {members.data && (
        <div class="table-wrap">
          <table data-testid="members">
            <caption class="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.user_id}>
                  <td data-label="Email">{m.email}</td>
                  <td data-label="Role">{m.role}</td>
                  <td data-label="Actions">
                    {m.user_id === s.session?.user.id ? (
                      <button type="button" class="secondary" onClick={() => remove(m)} disabled={act.busy}>
                        Leave
                      </button>
                    ) : canManage ? (
                      <button type="button" class="danger" onClick={() => remove(m)} disabled={act.busy} aria-label={`Remove ${m.email}`}>
                        Remove
                      </button>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
