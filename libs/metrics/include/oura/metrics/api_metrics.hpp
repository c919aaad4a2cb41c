#pragma once
// The Prometheus implementation of the API client's metrics hook:
//   oura_api_requests_total{resource,outcome}        counter, one per HTTP attempt
//   oura_api_request_duration_seconds{resource}      histogram
//   oura_api_rate_limited_total                      counter, one per 429

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "oura/api/api_metrics.hpp"
#include "oura/metrics/registry.hpp"

namespace oura::metrics {

class PrometheusApiMetrics final : public api::ApiMetrics {
public:
    explicit PrometheusApiMetrics(Registry& registry);

    void observe(std::string_view resource, std::string_view outcome, double seconds) override;
    void on_rate_limited() override;

private:
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Histogram>& duration_;
    prometheus::Counter& rate_limited_;
    // Family::Add hashes the labels on every call; the few series there are get cached here.
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, prometheus::Counter*, std::less<>> request_series_;
    std::map<std::string, prometheus::Histogram*, std::less<>> duration_series_;
};

}  // namespace oura::metrics
