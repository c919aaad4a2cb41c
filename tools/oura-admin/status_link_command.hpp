#pragma once
// oura-admin status-link: a single-use, short-lived code that logs a browser into query-api's
// /status page (GET /status/login?code=…), so nobody types or pastes a lasting token into a URL.

#include <string>
#include <vector>

#include "oura/core/config.hpp"

namespace oura::admin {

inline constexpr const char* status_link_overview =
    "  status-link [--ttl DURATION] [--base-url URL]   a single-use code (or link) that logs a browser into\n"
    "                       query-api's /status page once, within DURATION (default 10m, at most 1h)\n";

// `args` after "status-link"; the exit code. Throws core::usage_error for bad arguments.
int status_link_command(const std::vector<std::string>& args, const core::Env& env);

}  // namespace oura::admin
