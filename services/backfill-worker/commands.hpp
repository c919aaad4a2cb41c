#pragma once
// The operator's subcommands of backfill-worker (run them with kubectl exec in a worker pod):
// enqueue, status [ID], list, cancel ID, retry-failed ID; --wait follows a backfill to its end.

#include <string>
#include <vector>

#include "oura/core/config.hpp"
#include "oura/core/log.hpp"

namespace oura::backfill_worker {

// `args` without the program name; the exit code. Bad arguments throw core::usage_error before
// anything is written.
int run_command(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log);

// `run`'s own flags (only --help): true when help was asked for; throws usage_error otherwise.
bool wants_help(const std::vector<std::string>& run_args);
std::string run_help();

}  // namespace oura::backfill_worker
