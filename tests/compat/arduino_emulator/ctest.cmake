# Registers run.sh with CTest, as tests/consumer does for its standalone builds: include()d from
# the top-level CMakeLists.txt's test block. The standalone project builds its own Release tree
# under this build directory (a few minutes the first time) and runs its checks in a network
# namespace of its own (root: unshare -n). Sanitizer and lwIP builds leave it out: it builds
# the library on the posix backend in Release whatever the preset.
if(NOT ASYNCTCP_SANITIZE AND ASYNCTCP_BACKEND STREQUAL "posix")
  set(ASYNCTCP_THIRD_PARTY_DIR "${PROJECT_SOURCE_DIR}/../shared/third_party" CACHE PATH
      "Folder holding third-party sources for the compatibility suite (ESPAsyncWebServer/)")
  add_test(NAME compat.arduino_emulator.EspAsyncWebServerExampleRunsOnAsyncTCP
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/run.sh
      --build ${PROJECT_BINARY_DIR}/tests/compat/arduino_emulator
      --third-party ${ASYNCTCP_THIRD_PARTY_DIR}
      --source ${PROJECT_SOURCE_DIR})
  set_tests_properties(compat.arduino_emulator.EspAsyncWebServerExampleRunsOnAsyncTCP PROPERTIES
    TIMEOUT 1200 SKIP_REGULAR_EXPRESSION "SKIPPED:" LABELS compat)
endif()
