#pragma once
// What a job consumer process reports (backfill-worker; the webhook job consumer may share it):
//   oura_jobs_processed_total{kind,outcome}      counter: completed, retried, dead, parked, lease_lost
//                                                (failed: stopped on an error not worth retrying)
//   oura_backfill_chunk_duration_seconds         histogram: wall time of one chunk, claim to commit
//   oura_backfill_rows_written_total             counter: documents and samples the chunks wrote
//   oura_budget_tokens_remaining                 gauge: requests left in the shared Oura budget's window

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <string_view>

#include "oura/metrics/registry.hpp"

namespace oura::metrics {

class JobMetrics {
public:
    explicit JobMetrics(Registry& registry);  // one instance per registry

    void processed(std::string_view kind, std::string_view outcome);
    void chunk_finished(double seconds, long long rows_written);
    void budget_tokens(double remaining);

private:
    prometheus::Family<prometheus::Counter>& processed_;
    prometheus::Histogram& chunk_duration_;
    prometheus::Counter& rows_written_;
    prometheus::Gauge& budget_tokens_;
};

}  // namespace oura::metrics
