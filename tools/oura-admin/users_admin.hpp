#pragma once
// oura-admin users disable|disconnect|erase: the same operations as query-api's admin routes, for
// `kubectl exec` (issue 11).

#include <string>
#include <vector>

#include "oura/core/config.hpp"

namespace oura::admin {

// `action` is "disable", "disconnect" or "erase"; `args` follow it. Returns the exit code; throws
// core::usage_error for bad arguments (nothing written then).
int users_change(const std::string& action, const std::vector<std::string>& args, const core::Env& env);

}  // namespace oura::admin
