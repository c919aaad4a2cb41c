#include "oura/metrics/job_metrics.hpp"

#include <prometheus/registry.h>

#include <string>

namespace oura::metrics {
namespace {

prometheus::Family<prometheus::Counter>& jobs_processed(Registry& r) {
    return prometheus::BuildCounter()
        .Name("oura_jobs_processed_total")
        .Help("Jobs this process finished an attempt of, by kind and outcome")
        .Register(r.prometheus());
}
prometheus::Histogram& backfill_chunk_duration(Registry& r) {
    // A chunk is a handful of pages: seconds normally, minutes behind a 429 pause or a slow Oura.
    return prometheus::BuildHistogram()
        .Name("oura_backfill_chunk_duration_seconds")
        .Help("Wall time of one backfill chunk, claim to commit")
        .Register(r.prometheus())
        .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
}
prometheus::Counter& backfill_rows_written(Registry& r) {
    return prometheus::BuildCounter()
        .Name("oura_backfill_rows_written_total")
        .Help("Documents and samples inserted, updated or tombstoned by backfill chunks")
        .Register(r.prometheus())
        .Add({});
}
prometheus::Gauge& budget_tokens_remaining(Registry& r) {
    return prometheus::BuildGauge()
        .Name("oura_budget_tokens_remaining")
        .Help("Requests the shared Oura request budget's rolling window had room for at this process's last take")
        .Register(r.prometheus())
        .Add({});
}

}  // namespace

JobMetrics::JobMetrics(Registry& registry)
    : processed_(jobs_processed(registry)),
      chunk_duration_(backfill_chunk_duration(registry)),
      rows_written_(backfill_rows_written(registry)),
      budget_tokens_(budget_tokens_remaining(registry)) {}

void JobMetrics::processed(std::string_view kind, std::string_view outcome) {
    processed_.Add({{"kind", std::string(kind)}, {"outcome", std::string(outcome)}}).Increment();
}

void JobMetrics::chunk_finished(double seconds, long long rows_written) {
    chunk_duration_.Observe(seconds);
    if (rows_written > 0) rows_written_.Increment(static_cast<double>(rows_written));
}

void JobMetrics::budget_tokens(double remaining) { budget_tokens_.Set(remaining); }

}  // namespace oura::metrics
