// The one Catch2 main every test binary links.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>
#include <string>

// LeakSanitizer reads this at start. libpqxx 6.4 (Debian 12) drops the error result libpq hands it
// when a connection breaks mid-query (~2 KiB per broken connection, see docs/known-issues.md): its
// make_result asks the dead connection for its encoding and throws broken_connection before it owns
// the result. The libpqxx caller seen here, `connection_base::exec(const char[], int)`, is a hidden
// symbol (only "libpqxx-6.4.so+offset" in the stack), so the frame that names the allocation is
// libpq's PQmakeEmptyPGresult, where that error result is made. Our code never calls libpq itself,
// so only a result libpqxx dropped unowned matches: a leaked object that holds a result (a pqxx
// result, a connection) is still reported, as is any other leak through libpqxx. The result's 2 KiB
// data block is an indirect leak of the suppressed one, which LeakSanitizer then does not report.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }

int main(int argc, char* argv[]) {
    // catch_discover_tests hands each name to CMake, which splits it at ';' into two filters that
    // match nothing: such a test would never run. Every test of the binary fails until the name is
    // fixed; listing still works, so discovery registers the tests that then fail.
    std::string bad;
    for (const auto& test : Catch::getRegistryHub().getTestCaseRegistry().getAllTests())
        if (test.name.find(';') != std::string::npos) bad += "\n  " + test.name;
    bool listing = false;
    for (int i = 1; i < argc; ++i) listing = listing || std::string(argv[i]).rfind("--list", 0) == 0;
    if (!bad.empty()) {
        std::cerr << "test case names must not contain ';' (ctest splits them and never runs the test):" << bad
                  << "\n";
        if (!listing) return 2;
    }
    return Catch::Session().run(argc, argv);
}
