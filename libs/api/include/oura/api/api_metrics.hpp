#pragma once
// The hook through which the client reports every HTTP call, so this library does not depend on
// a metrics implementation (libs/metrics provides the Prometheus one).

#include <string_view>

namespace oura::api {

class ApiMetrics {
public:
    virtual ~ApiMetrics() = default;
    // Once per HTTP attempt (retries count separately) and once per call the breaker refused.
    // `resource` is a catalog name, "oauth_token" or "webhook_subscription"; `outcome` is "ok",
    // "not_found" for an expected 404, or an ErrorKind name. Must be thread-safe.
    virtual void observe(std::string_view resource, std::string_view outcome, double seconds) = 0;
    // Once per 429 answer.
    virtual void on_rate_limited() = 0;
};

}  // namespace oura::api
