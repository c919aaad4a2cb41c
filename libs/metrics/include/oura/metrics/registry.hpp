#pragma once
// The process's Prometheus registry and its two ways out: the text exposition for /metrics and a
// push to a Pushgateway (for the poller CronJob, which exits before any scrape).

#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace oura::metrics {

class Registry {
public:
    Registry();
    prometheus::Registry& prometheus() const { return *registry_; }
    const std::shared_ptr<prometheus::Registry>& shared() const { return registry_; }

private:
    std::shared_ptr<prometheus::Registry> registry_;
};

// Text exposition format 0.0.4 of everything registered.
std::string serialize(const Registry& registry);
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

// POSTs the registry in text format to {gateway_url}/metrics/job/{job} through prometheus-cpp's
// push library (the gateway replaces the series of the same names in that job's group). Returns
// the HTTP status (negative when curl failed); throws std::invalid_argument for a URL that is not
// http(s)://host[:port] or a job name outside [A-Za-z0-9_.-].
int push_to_gateway(const Registry& registry, std::string_view gateway_url, std::string_view job);

}  // namespace oura::metrics
