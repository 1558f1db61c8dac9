-- ledger_assert_balanced v1 (migration 1710000000000-create-ledger): every ledger transaction sums to zero,
-- checked when the DB transaction commits (a deferred constraint trigger).
CREATE FUNCTION ledger_assert_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s bigint;
BEGIN
  SELECT coalesce(sum(amount_cents), 0) INTO s FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
  IF s <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced: its entries sum to % cents', NEW.transaction_id, s
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
