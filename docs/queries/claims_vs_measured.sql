-- Every incident beside the measured outage it speaks of, and every measured outage no incident
-- speaks of (incident_id NULL). Delays in minutes; a negative resolution gap means the provider
-- called it resolved before the last site came back.
SELECT provider, incident_id, measured_start, measured_end, first_post_at,
       ack_delay_secs / 60.0 AS ack_delay_min,
       identified_delay_secs / 60.0 AS start_to_identified_min,
       claimed_resolved_at,
       resolution_gap_secs / 60.0 AS resolution_gap_min,
       first_to_recover, targets_down, min_share_up
FROM v_claims_vs_measured
ORDER BY COALESCE(measured_start, first_post_at);
