-- count_in_flight v1 (migration 1790000001100-org-in-flight-counter): the trigger that keeps
-- org_in_flight.n equal to the org's generations pending or processing, in the transaction that moves
-- one in or out (insert, status change, delete), so the in-flight cap reads one row instead of counting
-- them. Only a change of in-flight-ness touches the counter (pending → processing does not).
CREATE FUNCTION count_in_flight() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was boolean := false;
  is_now boolean := false;
BEGIN
  IF TG_OP <> 'INSERT' THEN was := OLD.status IN ('pending', 'processing'); END IF;
  IF TG_OP <> 'DELETE' THEN is_now := NEW.status IN ('pending', 'processing'); END IF;
  IF was = is_now THEN RETURN NULL; END IF;
  INSERT INTO org_in_flight AS c (org_id, n) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END, CASE WHEN is_now THEN 1 ELSE -1 END)
  ON CONFLICT (org_id) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;
