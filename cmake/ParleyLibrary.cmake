# parley_library(NAME SOURCES ... DEPS ... [PRIVATE_DEPS ...])
# One static library per layer, service or adapter; includes are rooted at src/.
function(parley_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE parley_warnings ${ARG_PRIVATE_DEPS})
endfunction()

# parley_test(NAME LABEL SOURCES ... DEPS ... [DEFINES ...] [PROPERTIES ...]): a GoogleTest
# binary registered with ctest under LABEL; PROPERTIES (e.g. RESOURCE_LOCK name) are set on each
# of its tests. Nothing when PARLEY_TESTS is off.
function(parley_test name label)
  if(NOT PARLEY_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;DEFINES;PROPERTIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} parley_warnings GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} ${ARG_PROPERTIES} DISCOVERY_TIMEOUT 60)
endfunction()
