#pragma once
// What the exit-code and admin tests give the binaries they run: a complete, valid configuration
// (the test database, the simulator or an address nobody answers on as Oura), so a test that
// breaks one setting knows that setting alone is what the binary refused.

#include <map>
#include <string>
#include <vector>

#include "harness.hpp"
#include "sim.hpp"

namespace oura::test {

inline std::map<std::string, std::string> binary_env(const TestDatabase& db, const std::string& api_url) {
    // The services connect as a member of oura_writer, as in production.
    return platform_env(api_url, db.writer_url());
}

// The arguments as one line, for failure messages.
inline std::string joined(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
    return out;
}

}  // namespace oura::test
