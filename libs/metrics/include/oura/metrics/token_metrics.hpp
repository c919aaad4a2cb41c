#pragma once
// The state of the users' OAuth grants, for alerting:
//   oura_tokens_dead_grants   gauge: users whose refresh token Oura refused for good (invalid_grant
//                             after the row was re-read); nothing of theirs syncs until they
//                             connect their account again (`oura-admin users add`)

#include "oura/metrics/registry.hpp"

namespace oura::metrics {

void record_dead_grants(Registry& registry, long long users);

}  // namespace oura::metrics
