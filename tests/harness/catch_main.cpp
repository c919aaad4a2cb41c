// The one Catch2 main every test binary links.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// LeakSanitizer reads this at start. libpqxx 6.4 (Debian 12) does not free the result libpq hands
// it when a connection breaks mid-query (~2 KiB per broken connection, see docs/known-issues.md);
// only leaks whose allocation passes through libpqxx are hidden.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpqxx-6.4.so\n"; }
