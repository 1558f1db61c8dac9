import { useLocation } from 'preact-iso';
import { api } from '../api';
import { useSession } from '../session';
import { ErrorBox, PageHeader, useAction, useLoad } from '../ui';
import { SignInPage } from './sign-in';

/** The token of /invites/<token> (also rendered outside the router, for a signed-out visitor). */
const tokenOf = (path: string) => decodeURIComponent(path.split('/')[2] ?? '');

/** /invites/<token>: join an organization (signed out: sign in first; the link brings them back here). */
export function InvitePage() {
  const s = useSession();
  if (s.status !== 'signed-in') {
    return (
      <>
        <div class="notice" role="status">
          You were invited to an organization on Pipevideo. Sign in (or sign up) to accept.
        </div>
        <SignInPage />
      </>
    );
  }
  return <AcceptInvite />;
}

function AcceptInvite() {
  const s = useSession();
  const { path, route } = useLocation();
  const token = tokenOf(path);
  const preview = useLoad(() => api<{ org_name: string; role: string }>(`/v1/invites/${encodeURIComponent(token)}`, { noOrg: true }), [token]);
  const accept = useAction();
  const join = async () => {
    const r = await accept.run(() => api<{ id: string }>(`/v1/invites/${encodeURIComponent(token)}/accept`, { method: 'POST', noOrg: true }));
    if (r.ok) {
      await s.refresh();
      s.selectOrg(r.value.id);
      route('/keys');
    }
  };
  return (
    <section>
      <PageHeader title="Join an organization" />
      {preview.error !== undefined && <ErrorBox error={preview.error} />}
      {preview.data && (
        <p>
          You were invited to <strong class="org-name">{preview.data.org_name}</strong> as {preview.data.role}. Accepting adds it to your organization switcher.
        </p>
      )}
      <button type="button" onClick={join} disabled={accept.busy || !preview.data}>
        {accept.busy ? 'Joining…' : 'Accept invite'}
      </button>
      {accept.error !== undefined && <ErrorBox error={accept.error} />}
    </section>
  );
}
