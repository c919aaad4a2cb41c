# Every third-party dependency, found once. Versions are Debian 12's (DESIGN §7);
# deploy/install-deps.sh installs them.
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(RapidJSON REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(Catch2 2.13 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)

# RapidJSON's config only sets variables; give it a target like the others.
if(NOT TARGET oura_rapidjson)
  add_library(oura_rapidjson INTERFACE)
  target_include_directories(oura_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
  # std::string overloads of RapidJSON's API.
  target_compile_definitions(oura_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()
