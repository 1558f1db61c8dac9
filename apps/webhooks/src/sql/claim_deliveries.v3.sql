-- claim_deliveries v3 (migration 1730000000002-fair-claims): retired, replaced by claim_deliveries_fair.
DROP FUNCTION claim_deliveries(int, text[], int[], int, float8);
