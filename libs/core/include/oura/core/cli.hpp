#pragma once
// Command-line flags for every binary: --name value, --name=value, boolean --name, positionals,
// and a generated --help.

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oura::core {

class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A dependency needed at start is missing or unreachable (the database, a key): exit code 2.
class startup_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Runs a binary's body and turns what escapes it into one line on stderr ("program: reason") and
// the shared exit codes: usage_error, config_error and startup_error → 2, anything else → 1.
int run_command(std::string_view program, const std::function<int()>& body);

struct Flag {
    std::string name;        // without the dashes
    std::string value_name;  // empty: a boolean switch
    std::string help;
};

class CommandLine {
public:
    // `usage` is the synopsis line, `description` the paragraph under it; `epilog` ends --help
    // (environment variables, examples).
    CommandLine(std::string usage, std::string description, std::vector<Flag> flags, std::string epilog = {});

    // Throws usage_error naming the bad flag. --help is always accepted.
    void parse(const std::vector<std::string>& args);
    void parse(int argc, char** argv);

    bool help_requested() const { return has("help"); }
    bool has(std::string_view name) const;
    std::optional<std::string> value(std::string_view name) const;
    std::string value_or(std::string_view name, std::string_view fallback) const;
    // Integer flag in [min, max]; throws usage_error naming the flag.
    long long int_or(std::string_view name, long long fallback, long long min, long long max) const;
    const std::vector<std::string>& positional() const { return positional_; }
    std::string help() const;

private:
    std::string usage_, description_, epilog_;
    std::vector<Flag> flags_;
    std::map<std::string, std::string, std::less<>> values_;
    std::vector<std::string> positional_;
};

}  // namespace oura::core
