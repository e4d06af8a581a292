# AsyncTCP as an ESP-IDF component (the top-level CMakeLists.txt includes this
# file when ESP_PLATFORM is set): the stack-neutral core, the lwIP backend and
# the FreeRTOS port. The host-only lwIP files stay out: netif.cpp starts lwIP
# and a TAP netif itself (ESP-IDF's esp_netif owns the stack there) and
# dns_host.cpp resolves with c-ares threads (dns_lwip.cpp uses lwIP's own DNS).
# scripts/cross-check compiles the same list against stand-in headers.
get_filename_component(asynctcp_root "${CMAKE_CURRENT_LIST_DIR}" DIRECTORY)

idf_component_register(
  SRCS
    "${asynctcp_root}/src/core/async_client.cpp"
    "${asynctcp_root}/src/core/async_server.cpp"
    "${asynctcp_root}/src/core/client_impl.cpp"
    "${asynctcp_root}/src/core/server_impl.cpp"
    "${asynctcp_root}/src/core/service.cpp"
    "${asynctcp_root}/src/core/ip_address.cpp"
    "${asynctcp_root}/src/core/dns_servers.cpp"
    "${asynctcp_root}/src/os/freertos/os_freertos.cpp"
    "${asynctcp_root}/src/backends/lwip/mailbox.cpp"
    "${asynctcp_root}/src/backends/lwip/conn.cpp"
    "${asynctcp_root}/src/backends/lwip/listener.cpp"
    "${asynctcp_root}/src/backends/lwip/packet.cpp"
    "${asynctcp_root}/src/backends/lwip/dns_lwip.cpp"
    "${asynctcp_root}/ports/esp-idf/lwip_stack.cpp"
  INCLUDE_DIRS "${asynctcp_root}/include"
  PRIV_INCLUDE_DIRS "${asynctcp_root}/src"
  # The public header includes lwIP's; FreeRTOS and esp_timer stay inside.
  # arduino-esp32 is not required: the library is plain ESP-IDF.
  REQUIRES lwip
  PRIV_REQUIRES freertos esp_timer)

# The public header then takes lwIP's own err_t, tcp_state and struct pbuf.
target_compile_definitions(${COMPONENT_LIB} PUBLIC ASYNCTCP_LWIP_TYPES=1 ASYNCTCP_BACKEND_LWIP=1)
target_compile_features(${COMPONENT_LIB} PRIVATE cxx_std_17)
# The menuconfig values (Kconfig: CONFIG_ASYNC_TCP_*) live in sdkconfig.h; the
# library's sources must see them before AsyncTCP.h supplies its defaults.
target_compile_options(${COMPONENT_LIB} PRIVATE -include sdkconfig.h)
