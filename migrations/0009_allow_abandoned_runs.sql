-- A run that dies (kill -9, lost database) cannot finish its own sync_runs row. The next run of the
-- same kind, holding the lock that keeps runs from overlapping, marks such rows 'abandoned' so a
-- dead run never looks like one still going.
ALTER TABLE oura.sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE oura.sync_runs ADD CONSTRAINT sync_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'abandoned'));
COMMENT ON COLUMN oura.sync_runs.status IS
    'running; succeeded; partial: finished, but some user x resource pairs failed (see summary and sync_state); failed; abandoned: the run died before it could record its end (found and marked by the next run of its kind).';
