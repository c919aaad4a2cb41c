#include "oura/metrics/registry.hpp"

#include <prometheus/gateway.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <stdexcept>

#include "oura/http/client.hpp"

namespace oura::metrics {

Registry::Registry() : registry_(std::make_shared<prometheus::Registry>()) {}

std::string serialize(const Registry& registry) {
    prometheus::TextSerializer serializer;
    return serializer.Serialize(registry.prometheus().Collect());
}

int push_to_gateway(const Registry& registry, std::string_view gateway_url, std::string_view job) {
    auto url = http::parse_url(gateway_url);
    if (!url || (url->target != "/" && !url->target.empty()))
        throw std::invalid_argument("push gateway URL must be http(s)://host[:port]");
    bool plain_job = !job.empty() && std::all_of(job.begin(), job.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
    if (!plain_job) throw std::invalid_argument("push gateway job name must be [A-Za-z0-9_.-]+");
    // prometheus-cpp builds {host}:{port}/metrics/job/{job}; host carries the scheme.
    prometheus::Gateway gateway(url->scheme + "://" + url->host, std::to_string(url->port), std::string(job));
    gateway.RegisterCollectable(registry.shared());
    return gateway.Push();
}

}  // namespace oura::metrics
