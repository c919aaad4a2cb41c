#include "oura/metrics/poller_metrics.hpp"

#include <prometheus/registry.h>

#include <string>

namespace oura::metrics {

namespace {
// One function per family, so a family is defined once and adding one is one more function.
prometheus::Family<prometheus::Counter>& poller_rows_written(Registry& r) {
    return prometheus::BuildCounter()
        .Name("oura_poller_rows_written_total")
        .Help("Documents and samples the last poller run wrote, by resource and outcome")
        .Register(r.prometheus());
}
prometheus::Family<prometheus::Gauge>& poller_resource_failures(Registry& r) {
    return prometheus::BuildGauge()
        .Name("oura_poller_resource_failures")
        .Help("User x resource syncs that failed in the last poller run")
        .Register(r.prometheus());
}
prometheus::Gauge& poller_run_duration(Registry& r) {
    return prometheus::BuildGauge()
        .Name("oura_poller_run_duration_seconds")
        .Help("Wall time of the last poller run")
        .Register(r.prometheus())
        .Add({});
}
prometheus::Gauge& poller_last_run_failures(Registry& r) {
    return prometheus::BuildGauge()
        .Name("oura_poller_last_run_failures")
        .Help("Failed user x resource syncs of the last poller run (0 = clean)")
        .Register(r.prometheus())
        .Add({});
}
prometheus::Gauge& poller_last_run_timestamp(Registry& r) {
    return prometheus::BuildGauge()
        .Name("oura_poller_last_run_timestamp_seconds")
        .Help("When the last poller run finished (Unix time)")
        .Register(r.prometheus())
        .Add({});
}
}  // namespace

PollerRunMetrics::PollerRunMetrics(Registry& registry)
    : rows_written_(poller_rows_written(registry)),
      resource_failures_(poller_resource_failures(registry)),
      run_duration_(poller_run_duration(registry)),
      last_run_failures_(poller_last_run_failures(registry)),
      last_run_timestamp_(poller_last_run_timestamp(registry)) {}

void PollerRunMetrics::record_resource(std::string_view resource, const ResourceRunFigures& f) {
    std::string name(resource);
    auto rows = [&](const char* outcome, long long n) {
        rows_written_.Add({{"resource", name}, {"outcome", outcome}}).Increment(static_cast<double>(n));
    };
    rows("inserted", f.inserted);
    rows("updated", f.updated);
    rows("unchanged", f.unchanged);
    rows("deleted", f.deleted);
    resource_failures_.Add({{"resource", name}}).Set(static_cast<double>(f.failures));
}

void PollerRunMetrics::record_run(double seconds, long long failures) {
    run_duration_.Set(seconds);
    last_run_failures_.Set(static_cast<double>(failures));
    last_run_timestamp_.SetToCurrentTime();
}

}  // namespace oura::metrics
