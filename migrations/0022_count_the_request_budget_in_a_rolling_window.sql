-- The shared Oura request budget (0012) was a token bucket: burst + rate x window held under the
-- limit, so every request of burst was one less of steady rate. Oura counts in a rolling window
-- (X-RateLimit-Window, API-NOTES §5); the budget now counts the same way: the requests taken per
-- slot of time (a hundredth of the window, at least 100 ms), and a request is granted while the
-- slots of the last window (counted a slot long, never short) hold fewer than the limit. A fresh
-- budget spends its whole window at once, and a long backfill runs at the limit itself.
-- The budget row keeps the lock every taker queues on, the 429 pause and its count.

CREATE TABLE oura.request_budget_slots (
    name       text   NOT NULL REFERENCES oura.request_budgets (name) ON DELETE CASCADE,
    started_ms bigint NOT NULL,
    requests   integer NOT NULL CHECK (requests > 0),
    PRIMARY KEY (name, started_ms)
);
COMMENT ON TABLE oura.request_budget_slots IS
    'Requests granted per slot of time (started_ms: epoch milliseconds of the slot''s start), kept a window long, an hour at least; written only by the takers, under the budget row''s lock.';

-- The token-bucket columns are no longer read. They stay, with defaults, so that a replica of the
-- previous release still running during an upgrade (readiness accepts a newer schema) keeps
-- working on the same row; a later migration drops them.
ALTER TABLE oura.request_budgets
    ALTER COLUMN tokens SET DEFAULT 0,
    ALTER COLUMN capacity SET DEFAULT 1,
    ALTER COLUMN refill_per_second SET DEFAULT 1;
COMMENT ON COLUMN oura.request_budgets.tokens IS 'Unused since migration 0022 (the token bucket of the release before); to be dropped.';
COMMENT ON COLUMN oura.request_budgets.capacity IS 'Unused since migration 0022; to be dropped.';
COMMENT ON COLUMN oura.request_budgets.refill_per_second IS 'Unused since migration 0022; to be dropped.';
COMMENT ON COLUMN oura.request_budgets.refilled_at IS 'Unused since migration 0022; to be dropped.';
COMMENT ON TABLE oura.request_budgets IS
    'Request budgets shared by every process that calls Oura (name "oura_api": the per-application budget): the lock takers queue on, the 429 pause; the counts are in request_budget_slots.';
COMMENT ON COLUMN oura.request_budgets.paused_until IS 'After a 429: nobody takes a request before this instant.';
