-- ensure_org v2 (migration 1710000000200-org-receivables): as v1, plus the org's receivable account
-- `org:<orgId>:owed`. CREATE OR REPLACE: the signature is v1's.
CREATE OR REPLACE FUNCTION ensure_org(p_org text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE a bigint; h bigint; o bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM org_balances WHERE org_id = p_org) THEN RETURN; END IF;
  INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':available', 'org_available', p_org) ON CONFLICT (code) DO NOTHING;
  INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':held', 'org_held', p_org) ON CONFLICT (code) DO NOTHING;
  INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':owed', 'org_receivable', p_org) ON CONFLICT (code) DO NOTHING;
  SELECT id INTO a FROM accounts WHERE code = 'org:' || p_org || ':available';
  SELECT id INTO h FROM accounts WHERE code = 'org:' || p_org || ':held';
  SELECT id INTO o FROM accounts WHERE code = 'org:' || p_org || ':owed';
  INSERT INTO org_balances (org_id, available_account_id, held_account_id, owed_account_id) VALUES (p_org, a, h, o) ON CONFLICT (org_id) DO NOTHING;
END $$;
