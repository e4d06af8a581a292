# cmake --install: headers, the library, a CMake package (find_package(AsyncTCP))
# and a pkg-config file (asynctcp.pc).
include(CMakePackageConfigHelpers)

install(TARGETS asynctcp EXPORT AsyncTCPTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
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

# A static library brings its dependencies to every link; a shared one carries them.
if(BUILD_SHARED_LIBS)
  set(ASYNCTCP_PC_REQUIRES "Requires.private")
  set(ASYNCTCP_PC_LIBS "")
  set(ASYNCTCP_PC_LIBS_PRIVATE "Libs.private: -pthread")
else()
  set(ASYNCTCP_PC_REQUIRES "Requires")
  set(ASYNCTCP_PC_LIBS "-pthread")
  set(ASYNCTCP_PC_LIBS_PRIVATE "")
endif()
# Relocatable: the prefix is found from where the .pc file lies.
file(RELATIVE_PATH ASYNCTCP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/asynctcp.pc.in ${PROJECT_BINARY_DIR}/asynctcp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/asynctcp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
