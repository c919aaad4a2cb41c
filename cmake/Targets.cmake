# oura_library(name SOURCES ... DEPS ...): libs/<name> as static library oura_<name>,
# public headers under include/oura/<name>/.
function(oura_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(oura_${name} STATIC ${ARG_SOURCES})
  target_include_directories(oura_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(oura_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  oura_warnings(oura_${name})
endfunction()

# oura_executable(name SOURCES ... DEPS ...): a binary installed to bin/.
function(oura_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  oura_warnings(${name})
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
