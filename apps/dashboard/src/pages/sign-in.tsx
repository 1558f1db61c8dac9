import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { safeReturnTo } from '../format';
import { ErrorBox, PageHeader, useAction } from '../ui';

/** GET /auth/methods: what this server offers. */
interface Methods {
  email: boolean;
  oidc: { name: string; start_url: string } | null;
}

/** The gateway's `?error=` reasons, in words. */
const SIGN_IN_ERRORS: Record<string, string> = {
  invalid_link: 'That sign-in link is invalid, was used already or has expired. Ask for a new one below.',
};

export function SignInPage() {
  const { path } = useLocation();
  const returnTo = safeReturnTo(path);
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string>();
  const [methods, setMethods] = useState<Methods>();
  const send = useAction();
  const error = SIGN_IN_ERRORS[new URLSearchParams(location.search).get('error') ?? ''] ?? (new URLSearchParams(location.search).get('error') ? 'sign-in did not complete. Try again.' : undefined);

  useEffect(() => {
    api<Methods>('/auth/methods', { noOrg: true })
      .then(setMethods)
      .catch(() => setMethods({ email: true, oidc: null }));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await send.run(() => api('/auth/email/start', { method: 'POST', body: { email, return_to: returnTo }, noOrg: true }));
    if (r.ok) setSentTo(email);
  };

  return (
    <section class="sign-in">
      <PageHeader title="Sign in to Pipevideo" />
      <p>New here? The same form creates your account.</p>
      {error && <ErrorBox error={error} />}
      {methods && !methods.email ? null : sentTo ? (
        <div class="notice" role="status">
          <strong>Check your email.</strong> We sent a sign-in link to <span class="mono">{sentTo}</span>. It works once and expires soon.
          <button type="button" class="link" onClick={() => setSentTo(undefined)}>
            Use another address
          </button>
        </div>
      ) : (
        <form onSubmit={submit} class="stack">
          <label>
            Email
            <input type="email" name="email" required autoComplete="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" disabled={send.busy}>
            {send.busy ? 'Sending…' : 'Email me a sign-in link'}
          </button>
          {send.error !== undefined && <ErrorBox error={send.error} />}
        </form>
      )}
      {methods?.oidc && (
        <>
          <div class="or" aria-hidden="true">
            or
          </div>
          <a class="button secondary block" href={`${methods.oidc.start_url}?return_to=${encodeURIComponent(returnTo)}`}>
            Sign in with {methods.oidc.name}
          </a>
        </>
      )}
    </section>
  );
}
