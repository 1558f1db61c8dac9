import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { useEffect } from 'preact/hooks';
import { SessionProvider, useSession } from './session';
import { ErrorBox, Loading } from './ui';
import { SignInPage } from './pages/sign-in';
import { KeysPage } from './pages/keys';
import { BillingPage } from './pages/billing';
import { UsagePage } from './pages/usage';
import { WebhooksPage } from './pages/webhooks';
import { PlaygroundPage } from './pages/playground';
import { OrgsPage } from './pages/orgs';
import { InvitePage } from './pages/invite';
import { NotFoundPage } from './pages/not-found';

const NAV = [
  ['/keys', 'Keys'],
  ['/billing', 'Billing'],
  ['/usage', 'Usage'],
  ['/webhooks', 'Webhooks'],
  ['/playground', 'Playground'],
  ['/orgs', 'Organization'],
] as const;

/**
 * Links the router handles in the page: only the dashboard's own pages. Anything else (`/auth/oidc/start`,
 * `/docs`, …) is a real navigation to the server.
 */
const PAGE_LINKS = /^\/(signin|keys|billing|usage|webhooks|playground|orgs|invites)?(\/[^/]*)?([?#].*)?$/;

export function App() {
  return (
    <LocationProvider scope={PAGE_LINKS}>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </LocationProvider>
  );
}

function Shell() {
  const s = useSession();
  const { path } = useLocation();
  if (s.status === 'loading') return <main id="main"><Loading what="your session" /></main>;
  if (s.status === 'error') return <main id="main"><ErrorBox error={s.error} onRetry={() => void s.refresh()} /></main>;
  if (s.status === 'signed-out') {
    // Invite links work signed out too: the page asks to sign in and comes back.
    return <main id="main">{path.startsWith('/invites/') ? <InvitePage /> : <SignInPage />}</main>;
  }
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <Header />
      <main id="main">
        <SignedInRoutes />
      </main>
    </>
  );
}

function SignedInRoutes() {
  const s = useSession();
  const { path, route } = useLocation();
  const hasOrg = !!s.org;
  // Signed in at `/`, or without any organization yet: go where the next step is.
  useEffect(() => {
    if (path === '/' || path === '/signin') route(hasOrg ? '/keys' : '/orgs', true);
    else if (!hasOrg && !path.startsWith('/invites/') && path !== '/orgs') route('/orgs', true);
  }, [path, hasOrg]);
  // Keyed by org: switching orgs remounts the page, so nothing of the previous org stays on screen.
  return (
    <div key={s.org?.id ?? 'no-org'}>
      <Router>
        <Route path="/keys" component={KeysPage} />
        <Route path="/billing" component={BillingPage} />
        <Route path="/usage" component={UsagePage} />
        <Route path="/webhooks" component={WebhooksPage} />
        <Route path="/playground" component={PlaygroundPage} />
        <Route path="/orgs" component={OrgsPage} />
        <Route path="/invites/:token" component={InvitePage} />
        <Route path="/" component={() => <Loading what="your organization" />} />
        <Route path="/signin" component={() => <Loading what="your organization" />} />
        <Route default component={NotFoundPage} />
      </Router>
    </div>
  );
}

function Header() {
  const s = useSession();
  const { path } = useLocation();
  const orgs = s.session?.orgs ?? [];
  return (
    <header class="top">
      <a class="brand" href="/keys">
        Pipevideo
      </a>
      <nav aria-label="Dashboard">
        <ul>
          {NAV.map(([href, label]) => (
            <li key={href}>
              <a href={href} aria-current={path === href ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        {orgs.length > 0 && (
          <label class="org-switcher">
            <span>Organization</span>
            <select value={s.org?.id} onChange={(e) => s.selectOrg((e.target as HTMLSelectElement).value)} data-testid="org-switcher">
              {orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <span class="email" title="Signed in as">
          {s.session?.user.email}
        </span>
        <button type="button" class="secondary" onClick={() => void s.signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
