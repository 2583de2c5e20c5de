-- Each site's outages (debounced), longest first.
SELECT provider, target, started_at, ended_at, duration_secs / 60.0 AS minutes,
       failed_observations
FROM v_target_outages
ORDER BY duration_secs DESC;
