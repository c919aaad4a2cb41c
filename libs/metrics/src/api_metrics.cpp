#include "oura/metrics/api_metrics.hpp"

#include <prometheus/registry.h>

namespace oura::metrics {

namespace {
// Oura answers in tens of milliseconds to seconds; subscription creates can take over a minute.
const prometheus::Histogram::BucketBoundaries duration_buckets{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 75};
}  // namespace

PrometheusApiMetrics::PrometheusApiMetrics(Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("oura_api_requests_total")
                    .Help("HTTP calls to the Oura API (each retry counts), by resource and outcome")
                    .Register(registry.prometheus())),
      duration_(prometheus::BuildHistogram()
                    .Name("oura_api_request_duration_seconds")
                    .Help("Duration of HTTP calls to the Oura API, by resource")
                    .Register(registry.prometheus())),
      rate_limited_(prometheus::BuildCounter()
                        .Name("oura_api_rate_limited_total")
                        .Help("429 answers from the Oura API")
                        .Register(registry.prometheus())
                        .Add({})) {}

void PrometheusApiMetrics::observe(std::string_view resource, std::string_view outcome, double seconds) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(std::string(resource), std::string(outcome));
    auto it = request_series_.find(key);
    if (it == request_series_.end())
        it = request_series_.emplace(key, &requests_.Add({{"resource", key.first}, {"outcome", key.second}})).first;
    it->second->Increment();
    // Calls the breaker or the rate gate refused never reached Oura: no duration for them.
    if (outcome == "breaker_open" || seconds <= 0.0) return;
    auto h = duration_series_.find(resource);
    if (h == duration_series_.end())
        h = duration_series_
                .emplace(std::string(resource), &duration_.Add({{"resource", std::string(resource)}}, duration_buckets))
                .first;
    h->second->Observe(seconds);
}

void PrometheusApiMetrics::on_rate_limited() {
    rate_limited_.Increment();
}

}  // namespace oura::metrics
