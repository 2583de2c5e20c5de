-- Every claimed "N % restored" next to the share of sites the probes saw up at that minute.
SELECT provider, incident_id, at, claimed_pct, measured_pct,
       claimed_pct - measured_pct AS overstated_by, excerpt
FROM v_restored_claims
ORDER BY at;
