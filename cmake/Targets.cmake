# Compiler flags and the helpers every directory uses to declare its targets.

add_library(dabs_warnings INTERFACE)
# Not -Wnull-dereference: with GCC 12 at -O2 it fires inside Boost.Asio's own headers once
# they are inlined into our code.
target_compile_options(dabs_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${DABS_WERROR}>:-Werror>)
# Boost.Asio wants these on Linux; keep them in one place.
target_compile_definitions(dabs_warnings INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE)

if(DABS_SANITIZE)
  message(STATUS "dabs: building with -fsanitize=${DABS_SANITIZE}")
  # GCC's manual warns that -Wmaybe-uninitialized gives false positives under the
  # sanitizers; with GCC 12 it fires inside <regex> and <functional>. The release build
  # keeps the warning as an error, so nothing is lost.
  add_compile_options(-fsanitize=${DABS_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=${DABS_SANITIZE})
endif()

include(GoogleTest)
enable_testing()

# dabs_test(NAME SOURCES a_test.cc ... LIBS lib ... [LABELS l ...] [TIMEOUT s] [SERIAL])
# One GoogleTest executable; each test case becomes its own ctest entry so that
# ctest -j spreads them and a failure names the behaviour it pins. SERIAL: its tests run
# alone (they measure the machine, so other tests must not load it).
function(dabs_test name)
  cmake_parse_arguments(T "SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT DABS_TESTS)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main
                        GTest::gmock dabs_warnings)
  # Test support (fakes, harnesses, shared fixtures) lives in tests/support, not beside the
  # components it helps test.
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(serial FALSE)
  if(T_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} RUN_SERIAL ${serial}
    EXTRA_ARGS --gtest_color=no)
endfunction()
