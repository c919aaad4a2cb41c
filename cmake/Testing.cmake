# One test binary per label, each test case its own ctest entry (catch_discover_tests),
# so the heavy headers are compiled once per binary, not once per test.
include(CTest)
include(Catch)

# Unit test sources register here from anywhere in the tree; tests/CMakeLists.txt builds them.
set_property(GLOBAL PROPERTY OURA_UNIT_TEST_SOURCES "")
set_property(GLOBAL PROPERTY OURA_UNIT_TEST_DEPS "")
function(oura_unit_tests)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY OURA_UNIT_TEST_SOURCES "${abs}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY OURA_UNIT_TEST_DEPS ${ARG_DEPS})
endfunction()
