-- Provider scorecards over the last 90 days (`statustrail providers --window 30d` for others).
SELECT provider, incidents, measured_outages,
       median_ack_delay_secs / 60.0 AS median_ack_min,
       worst_ack_delay_secs / 60.0 AS worst_ack_min,
       100.0 * unacknowledged_share AS unacknowledged_pct,
       median_resolution_gap_secs / 60.0 AS median_resolution_gap_min,
       100.0 * overstated_share AS overstated_pct
FROM v_provider_scorecard
ORDER BY provider;
