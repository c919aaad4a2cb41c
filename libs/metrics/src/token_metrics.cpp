#include "oura/metrics/token_metrics.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace oura::metrics {

void record_dead_grants(Registry& registry, long long users) {
    prometheus::BuildGauge()
        .Name("oura_tokens_dead_grants")
        .Help("Users whose OAuth grant Oura refused for good; they must connect their account again")
        .Register(registry.prometheus())
        .Add({})
        .Set(static_cast<double>(users));
}

}  // namespace oura::metrics
