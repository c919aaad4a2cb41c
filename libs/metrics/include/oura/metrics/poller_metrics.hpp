#pragma once
// The poller's run figures as Prometheus series, for the Pushgateway (a CronJob is gone before
// any scrape):
//   oura_poller_rows_written_total{resource,outcome}   counter: inserted, updated, unchanged, deleted
//   oura_poller_resource_failures{resource}             gauge: failed user × resource syncs
//   oura_poller_run_duration_seconds                    gauge: wall time of the run
//   oura_poller_last_run_failures                       gauge: failed syncs of the run (0 = clean)
//   oura_poller_last_run_timestamp_seconds              gauge: when the run finished (Unix time)

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <string_view>

#include "oura/metrics/registry.hpp"

namespace oura::metrics {

// What one resource saw in a run, summed over users.
struct ResourceRunFigures {
    long long inserted = 0;
    long long updated = 0;
    long long unchanged = 0;
    long long deleted = 0;
    long long failures = 0;
};

class PollerRunMetrics {
public:
    // Registers the families in `registry`; one instance per registry.
    explicit PollerRunMetrics(Registry& registry);

    void record_resource(std::string_view resource, const ResourceRunFigures& figures);
    // The run's totals; the timestamp is taken now.
    void record_run(double seconds, long long failures);

private:
    prometheus::Family<prometheus::Counter>& rows_written_;
    prometheus::Family<prometheus::Gauge>& resource_failures_;
    prometheus::Gauge& run_duration_;
    prometheus::Gauge& last_run_failures_;
    prometheus::Gauge& last_run_timestamp_;
};

}  // namespace oura::metrics
