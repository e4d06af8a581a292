# AsyncTCP as an ESP-IDF component (the top-level CMakeLists.txt includes this
# file when ESP_PLATFORM is set): the stack-neutral core, the lwIP backend and
# the FreeRTOS port. The host-only lwIP files stay out: netif.cpp starts lwIP
# and a TAP netif itself (ESP-IDF's esp_netif owns the stack there) and
# dns_host.cpp resolves with c-ares threads (dns_lwip.cpp uses lwIP's own DNS).
# scripts/cross-check compiles the same list against stand-in headers, as plain
# ESP-IDF and as arduino-esp32 (ARDUINO defined).
get_filename_component(asynctcp_root "${CMAKE_CURRENT_LIST_DIR}" DIRECTORY)

idf_component_register(
  SRCS
    "${asynctcp_root}/src/core/async_client.cpp"
    "${asynctcp_root}/src/core/async_server.cpp"
    "${asynctcp_root}/src/core/client_impl.cpp"
    "${asynctcp_root}/src/core/server_impl.cpp"
    "${asynctcp_root}/src/core/service.cpp"
    "${asynctcp_root}/src/ip/ip_address.cpp"
    "${asynctcp_root}/src/core/dns_servers.cpp"
    "${asynctcp_root}/src/os/freertos/os_freertos.cpp"
    "${asynctcp_root}/src/backends/lwip/mailbox.cpp"
    "${asynctcp_root}/src/backends/lwip/conn.cpp"
    "${asynctcp_root}/src/backends/lwip/listener.cpp"
    "${asynctcp_root}/src/backends/lwip/packet.cpp"
    "${asynctcp_root}/src/backends/lwip/dns_lwip.cpp"
    "${asynctcp_root}/src/backends/lwip/stack_esp_idf.cpp"
  INCLUDE_DIRS "${asynctcp_root}/include"
  PRIV_INCLUDE_DIRS "${asynctcp_root}/src"
  # The public header includes lwIP's; FreeRTOS and esp_timer stay inside.
  # arduino-esp32 is not required: the library is plain ESP-IDF (see below).
  REQUIRES lwip
  PRIV_REQUIRES freertos esp_timer)

# With arduino-esp32 in the build (as a component: "arduino" when cloned into
# components/, "espressif__arduino-esp32" from the component manager), user code
# sees ARDUINO and AsyncTCP.h takes arduino-esp32's IPAddress: the library must be
# compiled the same way, or the two disagree on the class in every signature (and
# src/ip/ip_address.cpp would define its members a second time). arduino-esp32
# gives ARDUINO, ESP32 and its headers only to components linking it, so link it,
# PUBLIC: components using AsyncTCP then see ARDUINO too. Not a conditional
# REQUIRES: ESP-IDF reads REQUIRES in its early expansion, where nothing after
# idf_component_register runs and BUILD_COMPONENTS is not known yet.
idf_build_get_property(asynctcp_build_components BUILD_COMPONENTS)
foreach(asynctcp_arduino arduino-esp32 espressif__arduino-esp32 arduino)
  if(asynctcp_arduino IN_LIST asynctcp_build_components)
    idf_component_get_property(asynctcp_arduino_lib ${asynctcp_arduino} COMPONENT_LIB)
    target_link_libraries(${COMPONENT_LIB} PUBLIC ${asynctcp_arduino_lib})
    break()
  endif()
endforeach()

# The public header then takes lwIP's own err_t, tcp_state and struct pbuf.
target_compile_definitions(${COMPONENT_LIB} PUBLIC ASYNCTCP_LWIP_TYPES=1 ASYNCTCP_BACKEND_LWIP=1)
target_compile_features(${COMPONENT_LIB} PRIVATE cxx_std_17)
# The menuconfig values (Kconfig: CONFIG_ASYNC_TCP_*) live in sdkconfig.h; the
# library's sources must see them before AsyncTCP.h supplies its defaults.
target_compile_options(${COMPONENT_LIB} PRIVATE -include sdkconfig.h)
