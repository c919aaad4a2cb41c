#pragma once
// The leak the sanitizer builds tolerate, for the test binaries (catch_main.cpp) and for the binaries
// the tests run where a test cuts their database connection (LSAN_OPTIONS suppressions file).
//
// libpqxx 6.4 (Debian 12) drops the error result libpq hands it when a connection breaks mid-query
// (~2 KiB per broken connection, see docs/known-issues.md): its make_result asks the dead connection for its encoding and throws broken_connection before it owns
// the result. The libpqxx caller seen here, `connection_base::exec(const char[], int)`, is a hidden
// symbol (only "libpqxx-6.4.so+offset" in the stack), so the frame that names the allocation is
// libpq's PQmakeEmptyPGresult, where that error result is made. Our code never calls libpq itself,
// so only a result libpqxx dropped unowned matches: a leaked object that holds a result (a pqxx
// result, a connection) is still reported, as is any other leak through libpqxx. The result's 2 KiB
// data block is an indirect leak of the suppressed one, which LeakSanitizer then does not report.

namespace oura::test {

inline constexpr const char* known_leak_suppressions = "leak:PQmakeEmptyPGresult\n";

}  // namespace oura::test
