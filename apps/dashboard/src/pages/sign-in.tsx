import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, PageHeader, useAction } from '../ui';

interface Providers {
  oidc?: Array<{ id: string; name: string; start_url?: string }>;
}

/** Only paths of this site are passed on as where to land after signing in (the server checks again). */
export function safeReturnTo(path: string) {
  return /^\/(?!\/)[^\\]*$/.test(path) && path !== '/' ? path : '/keys';
}

export function SignInPage() {
  const { url } = useLocation();
  const returnTo = safeReturnTo(url);
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string>();
  const [providers, setProviders] = useState<Providers>();
  const send = useAction();
  const error = new URLSearchParams(location.search).get('error');

  useEffect(() => {
    api<Providers>('/auth/providers', { noOrg: true })
      .then(setProviders)
      .catch(() => setProviders({ oidc: [{ id: 'oidc', name: 'SSO' }] }));
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
      {error && <ErrorBox error={`Sign-in did not complete: ${error}`} />}
      {sentTo ? (
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
      <div class="or" aria-hidden="true">
        or
      </div>
      {(providers?.oidc ?? []).map((p) => (
        <a
          key={p.id}
          class="button secondary block"
          href={`${p.start_url ?? '/auth/oidc/start'}${(p.start_url ?? '').includes('?') ? '&' : '?'}return_to=${encodeURIComponent(returnTo)}`}
        >
          Sign in with {p.name}
        </a>
      ))}
    </section>
  );
}
