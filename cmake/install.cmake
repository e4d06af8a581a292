# cmake --install: headers, the library, a CMake package (find_package(AsyncTCP))
# and a pkg-config file (asynctcp.pc).
include(CMakePackageConfigHelpers)

# What an installed library asks of every program that links it, beyond what
# the build tree's targets carry: a sanitizer build's archive calls into the
# sanitizer runtime, so its consumers must link that runtime too.
if(ASYNCTCP_SANITIZE STREQUAL "address")
  set(ASYNCTCP_SANITIZER_LINK "-fsanitize=address,undefined")
elseif(ASYNCTCP_SANITIZE STREQUAL "thread")
  set(ASYNCTCP_SANITIZER_LINK "-fsanitize=thread")
else()
  set(ASYNCTCP_SANITIZER_LINK "")
endif()
if(ASYNCTCP_SANITIZER_LINK)
  target_link_options(asynctcp INTERFACE $<INSTALL_INTERFACE:${ASYNCTCP_SANITIZER_LINK}>)
endif()

install(TARGETS asynctcp EXPORT AsyncTCPTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The Arduino layer, when built: AsyncTCP::arduino, AsyncTCP::arduino_main (the runner's
# main()), AsyncTCP::arduino_esp32 (the ESP32 mode), their headers in directories of their
# own (they are named Arduino.h, WiFi.h, ... and must not shadow anything of a program
# that does not ask for them), and asynctcp_add_sketch() with what it runs.
set(ASYNCTCP_PACKAGE_HAS_ARDUINO OFF)
if(TARGET asynctcp_arduino)
  set(ASYNCTCP_PACKAGE_HAS_ARDUINO ON)
  install(TARGETS asynctcp_arduino asynctcp_arduino_main asynctcp_arduino_esp32
    EXPORT AsyncTCPTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/compat/arduino/include/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/asynctcp-arduino)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/compat/arduino/esp32/include/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/asynctcp-arduino-esp32)
  install(FILES ${PROJECT_SOURCE_DIR}/compat/arduino/cmake/AsyncTCPSketch.cmake
    ${PROJECT_SOURCE_DIR}/compat/arduino/cmake/AsyncTCPEsp32Mode.cmake
    ${PROJECT_SOURCE_DIR}/compat/arduino/cmake/sketch_prototypes.py
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/AsyncTCP)
endif()
install(EXPORT AsyncTCPTargets NAMESPACE AsyncTCP::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/AsyncTCP)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/AsyncTCPConfig.cmake.in
  ${PROJECT_BINARY_DIR}/AsyncTCPConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/AsyncTCP)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/AsyncTCPConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/AsyncTCPConfig.cmake
  ${PROJECT_BINARY_DIR}/AsyncTCPConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/AsyncTCP)

# pkg-config. The lwIP build's public header includes lwIP's headers and takes
# its types from them, so lwip is always a public requirement there, with the
# same definitions the CMake target exports. A static library brings its
# private dependencies (c-ares, liburing, OpenSSL, pthread) to every link; a shared one carries them.
set(ASYNCTCP_PC_CFLAGS "")
set(ASYNCTCP_PC_PUBLIC "")
if(ASYNCTCP_BACKEND STREQUAL "lwip")
  set(ASYNCTCP_PC_CFLAGS "-DASYNCTCP_LWIP_TYPES=1 -DASYNCTCP_BACKEND_LWIP=1")
  set(ASYNCTCP_PC_PUBLIC "lwip")
endif()
set(ASYNCTCP_PC_PRIVATE "libcares")
if(ASYNCTCP_URING)
  set(ASYNCTCP_PC_PRIVATE "${ASYNCTCP_PC_PRIVATE} liburing")
endif()
if(ASYNCTCP_TLS)
  set(ASYNCTCP_PC_PRIVATE "${ASYNCTCP_PC_PRIVATE} libssl libcrypto")
  string(STRIP "${ASYNCTCP_PC_CFLAGS} -DASYNC_TCP_SSL_ENABLED=1" ASYNCTCP_PC_CFLAGS)
endif()
if(BUILD_SHARED_LIBS)
  set(ASYNCTCP_PC_REQUIRES "${ASYNCTCP_PC_PUBLIC}")
  set(ASYNCTCP_PC_REQUIRES_PRIVATE "${ASYNCTCP_PC_PRIVATE}")
  set(ASYNCTCP_PC_LIBS "${ASYNCTCP_SANITIZER_LINK}")
  set(ASYNCTCP_PC_LIBS_PRIVATE "-pthread")
else()
  string(STRIP "${ASYNCTCP_PC_PRIVATE} ${ASYNCTCP_PC_PUBLIC}" ASYNCTCP_PC_REQUIRES)
  set(ASYNCTCP_PC_REQUIRES_PRIVATE "")
  string(STRIP "-pthread ${ASYNCTCP_SANITIZER_LINK}" ASYNCTCP_PC_LIBS)
  set(ASYNCTCP_PC_LIBS_PRIVATE "")
endif()
# Relocatable: the prefix is found from where the .pc file lies.
file(RELATIVE_PATH ASYNCTCP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/asynctcp.pc.in ${PROJECT_BINARY_DIR}/asynctcp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/asynctcp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# The layer for programs built without CMake: `pkg-config --cflags --libs asynctcp-arduino`
# (a sketch: g++ -std=c++17 -x c++ -include Arduino.h sketch.ino, plus these flags).
if(ASYNCTCP_PACKAGE_HAS_ARDUINO)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/asynctcp-arduino.pc.in
    ${PROJECT_BINARY_DIR}/asynctcp-arduino.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/asynctcp-arduino.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
