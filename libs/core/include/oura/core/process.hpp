#pragma once
// Child processes: run-to-completion commands and long-running servers (the simulator, the
// services under test). Used by test harnesses, the demo runner and benchmarks.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace oura::core {

struct ProcessResult {
    int exit_code = -1;  // 128+signal when killed by a signal
    std::string out;
    std::string err;
};

// Runs `argv` with the current environment plus `env` overrides (an empty value unsets);
// returns when it exits or after `timeout` (then it is killed and exit_code is -1).
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          std::chrono::milliseconds timeout = std::chrono::minutes(5));

// A long-running child; stdout is a pipe read line by line, stderr goes to `stderr_path`
// (or is inherited when empty). The destructor sends SIGTERM and waits (then SIGKILL).
class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                 std::string stderr_path = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The next stdout line, or nullopt on EOF/timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Sends `sig` and waits up to `timeout` for exit; returns the exit code (128+signal), or nullopt.
    std::optional<int> stop(int sig, std::chrono::milliseconds timeout);
    std::optional<int> wait(std::chrono::milliseconds timeout);
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::string buffer_;
    std::optional<int> exit_code_;
};

}  // namespace oura::core
