import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, setApiContext } from './api';

export interface Org {
  id: string;
  name: string;
  role: 'owner' | 'admin' | 'member';
}
export interface SessionInfo {
  user: { id: string; email: string };
  orgs: Org[];
  csrf_token: string;
}

interface SessionState {
  status: 'loading' | 'signed-out' | 'signed-in' | 'error';
  session?: SessionInfo;
  error?: string;
  /** The organization every page shows (the header switcher sets it). */
  org?: Org;
  selectOrg(id: string): void;
  /** Reloads the session (after creating or joining an org). Resolves with the new session. */
  refresh(): Promise<SessionInfo | undefined>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState>(undefined as unknown as SessionState);
export const useSession = () => useContext(SessionContext);

/** Admins and owners manage keys, funds, webhooks and members; members use the API and read (docs/dashboard-api.md). */
export const canManage = (org: Org | undefined) => org?.role === 'owner' || org?.role === 'admin';

/** Shown instead of a form a member may not use. */
export const ADMIN_ONLY = 'Only admins and owners of this organization can do this; ask one of them.';

/** Remembered per browser so a reload stays on the same org; a stale id falls back to the first org. */
const ORG_STORAGE_KEY = 'pipevideo.org';

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [status, setStatus] = useState<SessionState['status']>('loading');
  const [session, setSession] = useState<SessionInfo>();
  const [error, setError] = useState<string>();
  const [orgId, setOrgId] = useState<string | undefined>(() => localStorage.getItem(ORG_STORAGE_KEY) ?? undefined);

  const refresh = useCallback(async () => {
    try {
      const s = await api<SessionInfo>('/auth/session', { noOrg: true });
      setSession(s);
      setStatus('signed-in');
      return s;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setSession(undefined);
        setStatus('signed-out');
        return undefined;
      }
      setError(err instanceof Error ? err.message : String(err));
      setStatus('error');
      return undefined;
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const org = useMemo(() => session?.orgs.find((o) => o.id === orgId) ?? session?.orgs[0], [session, orgId]);
  // The API context follows the session synchronously, before any page under it fetches.
  setApiContext({ orgId: org?.id, csrfToken: session?.csrf_token });

  const selectOrg = useCallback((id: string) => {
    localStorage.setItem(ORG_STORAGE_KEY, id);
    setOrgId(id);
  }, []);

  const signOut = useCallback(async () => {
    await api('/auth/signout', { method: 'POST', noOrg: true }).catch(() => undefined);
    setSession(undefined);
    setStatus('signed-out');
  }, []);

  const value: SessionState = { status, session, error, org, selectOrg, refresh, signOut };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
