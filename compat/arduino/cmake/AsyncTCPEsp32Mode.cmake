# asynctcp_esp32_mode(<target>)
#
# Compiles <target> as an ESP32 Arduino build does, so ESP32-only Arduino libraries take
# their ESP32 code paths and find FreeRTOS, esp_log.h, sdkconfig.h and the rest (target
# AsyncTCP::arduino_esp32): ESP32 and ARDUINO_ARCH_ESP32 are defined, and plain char is
# unsigned, as on the ESP32's compilers. ESP_PLATFORM is not defined: it means ESP-IDF is
# there (lwIP's headers, esp_* APIs), and AsyncTCP.h then takes lwIP's own types.
function(asynctcp_esp32_mode target)
  target_compile_definitions(${target} PRIVATE
    ESP32=1 ARDUINO_ARCH_ESP32=1 ARDUINO_RUNNING_CORE=1 ARDUINO_EVENT_RUNNING_CORE=1
    ASYNCTCP_ARDUINO_ESP32_MODE=1)
  target_compile_options(${target} PRIVATE -funsigned-char)
  # Its include directory (first on the path: its Arduino.h wraps the layer's) comes
  # with the target, in a build tree and in an installed package alike.
  target_link_libraries(${target} PRIVATE AsyncTCP::arduino_esp32)
endfunction()
