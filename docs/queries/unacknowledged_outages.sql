-- Measured outages the provider never posted about, longest first.
SELECT provider, measured_start, measured_end, targets_down, min_share_up
FROM v_claims_vs_measured
WHERE first_to_recover = 'never_acknowledged'
ORDER BY measured_end IS NULL DESC, measured_start;
