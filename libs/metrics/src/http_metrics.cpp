#include "oura/metrics/http_metrics.hpp"

#include <prometheus/registry.h>

namespace oura::metrics {

namespace {
// Probes and reads answer in milliseconds; exports and user SQL run to their statement timeout.
const prometheus::Histogram::BucketBoundaries duration_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5,   1,    2.5,   5,    10,  30};
}  // namespace

HttpMetrics::HttpMetrics(Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("oura_http_requests_total")
                    .Help("HTTP requests this service answered, by route pattern and status code")
                    .Register(registry.prometheus())),
      duration_(prometheus::BuildHistogram()
                    .Name("oura_http_request_duration_seconds")
                    .Help("Time from a request read to its answer ready, by route pattern")
                    .Register(registry.prometheus())) {}

void HttpMetrics::observe(std::string_view route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(std::string(route), status);
    auto it = request_series_.find(key);
    if (it == request_series_.end())
        it = request_series_
                 .emplace(key, &requests_.Add({{"route", key.first}, {"status", std::to_string(status)}}))
                 .first;
    it->second->Increment();
    auto h = duration_series_.find(route);
    if (h == duration_series_.end())
        h = duration_series_
                .emplace(std::string(route), &duration_.Add({{"route", std::string(route)}}, duration_buckets))
                .first;
    h->second->Observe(seconds < 0 ? 0 : seconds);
}

}  // namespace oura::metrics
