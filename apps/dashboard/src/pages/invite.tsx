import { useLocation, useRoute } from 'preact-iso';
import { api } from '../api';
import { useSession } from '../session';
import { ErrorBox, PageHeader, useAction } from '../ui';
import { SignInPage } from './sign-in';

/** /invite/<token>: join an organization (signed out: sign in first, then come back here). */
export function InvitePage() {
  const s = useSession();
  const { route } = useLocation();
  const { params } = useRoute();
  const token = params.token ?? location.pathname.split('/')[2] ?? '';
  const accept = useAction();
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
  const join = async () => {
    const r = await accept.run(() => api<{ org_id?: string; org?: { id: string } }>(`/v1/invites/${encodeURIComponent(token)}/accept`, { method: 'POST', noOrg: true }));
    if (r.ok) {
      await s.refresh();
      const orgId = r.value.org_id ?? r.value.org?.id;
      if (orgId) s.selectOrg(orgId);
      route('/keys');
    }
  };
  return (
    <section>
      <PageHeader title="Join an organization" />
      <p>You were invited to an organization. Accepting adds it to your organization switcher.</p>
      <button type="button" onClick={join} disabled={accept.busy}>
        {accept.busy ? 'Joining…' : 'Accept invite'}
      </button>
      {accept.error !== undefined && <ErrorBox error={accept.error} />}
    </section>
  );
}
