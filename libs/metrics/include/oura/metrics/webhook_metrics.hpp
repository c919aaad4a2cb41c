#pragma once
// The webhook edge (ingest-webhook):
//   oura_webhook_deliveries_total{outcome}      counter: accepted, duplicate, unauthorized, malformed,
//                                               too_large, unavailable, unknown_user
//   oura_webhook_processing_lag_seconds         histogram: delivery received → its row visible
//   oura_webhook_commit_batch_size              histogram: deliveries per group commit
//   oura_oauth_callbacks_total{outcome}         counter: connected, denied, invalid_state, failed

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "oura/metrics/registry.hpp"

namespace oura::metrics {

class WebhookMetrics {
public:
    explicit WebhookMetrics(Registry& registry);  // one instance per registry
    // Thread-safe. `outcome` must be one of the fixed names above.
    void delivery(std::string_view outcome);
    void processing_lag(double seconds);
    void commit_batch(std::size_t deliveries);
    void oauth_callback(std::string_view outcome);

private:
    prometheus::Family<prometheus::Counter>& deliveries_;
    prometheus::Histogram& lag_;
    prometheus::Histogram& batch_;
    prometheus::Family<prometheus::Counter>& callbacks_;
    std::mutex mutex_;
    std::map<std::string, prometheus::Counter*, std::less<>> delivery_series_, callback_series_;
};

}  // namespace oura::metrics
