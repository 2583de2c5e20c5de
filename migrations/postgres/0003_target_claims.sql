-- statustrail schema v3 (PostgreSQL): workers sharing a database take turns on probe targets.
ALTER TABLE targets ADD COLUMN claimed_by TEXT;
ALTER TABLE targets ADD COLUMN claimed_until TIMESTAMPTZ;
