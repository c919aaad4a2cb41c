-- The Oura request budget every worker shares (per application, 5000 requests per 5 minutes by
-- default). One token-bucket row per budget: a request takes a token under the row's lock; tokens
-- come back at a steady rate computed from the database's clock, so every replica sees one bucket
-- and one clock. A 429 from Oura empties the bucket and pauses every taker until paused_until.

CREATE TABLE oura.request_budgets (
    name              text PRIMARY KEY,
    tokens            double precision NOT NULL CHECK (tokens >= 0),
    capacity          double precision NOT NULL CHECK (capacity >= 1),
    refill_per_second double precision NOT NULL CHECK (refill_per_second > 0),
    refilled_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    paused_until      timestamptz,
    rate_limited_total bigint NOT NULL DEFAULT 0 CHECK (rate_limited_total >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE oura.request_budgets IS
    'Token buckets shared by every process that calls Oura (name "oura_api": the per-application budget).';
COMMENT ON COLUMN oura.request_budgets.tokens IS 'Tokens left at refilled_at; refilled at refill_per_second up to capacity.';
COMMENT ON COLUMN oura.request_budgets.capacity IS
    'Largest burst. capacity + refill_per_second x window never exceeds the limit, so no window of that length sees more requests than Oura allows.';
COMMENT ON COLUMN oura.request_budgets.paused_until IS 'After a 429: nobody takes a token before this instant.';
COMMENT ON COLUMN oura.request_budgets.rate_limited_total IS '429 answers reported by the takers.';
