#pragma once
// What our own HTTP servers answer, for every daemon built on libs/service:
//   oura_http_requests_total{route,status}          counter, one per answered request
//   oura_http_request_duration_seconds{route}       histogram, from the request read to the answer ready
// `route` is the matched route pattern ("/api/users/{id}"), never the raw path, so a scanner
// walking random URLs cannot grow the series without bound.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "oura/metrics/registry.hpp"

namespace oura::metrics {

class HttpMetrics {
public:
    explicit HttpMetrics(Registry& registry);  // registers both families; one instance per registry
    // Thread-safe; `route` must come from a bounded set (route patterns and a few fixed names).
    void observe(std::string_view route, int status, double seconds);

private:
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Histogram>& duration_;
    std::mutex mutex_;
    std::map<std::pair<std::string, int>, prometheus::Counter*, std::less<>> request_series_;
    std::map<std::string, prometheus::Histogram*, std::less<>> duration_series_;
};

}  // namespace oura::metrics
