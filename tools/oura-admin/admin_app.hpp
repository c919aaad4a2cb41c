#pragma once
// oura-admin: the operator's command line for what has no HTTP route yet.

#include <string>
#include <vector>

#include "oura/core/config.hpp"
#include "oura/core/log.hpp"

namespace oura::admin {

// Runs `args` (without the program name); returns the exit code. Output for people on stdout,
// errors as one line on stderr.
int run(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log);

}  // namespace oura::admin
