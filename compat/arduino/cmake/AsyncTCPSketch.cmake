# asynctcp_add_sketch(<name> <path/to/sketch.ino> [THIRD_PARTY] [ESP32] [LIBRARIES <target>...])
#
# Builds an Arduino sketch, unchanged, as a Linux program <name>, doing what the Arduino
# IDE does before compiling: Arduino.h is included first and functions used above their
# definition are declared (sketch_prototypes.py; #line keeps messages pointing at the
# .ino). The result is linked with the layer and its runner (main() calling setup() and
# loop()), and with the LIBRARIES given (e.g. a library target the sketch includes).
#
# THIRD_PARTY: a sketch that is not ours (a library's examples): built without the
# project's warnings and -Werror, as the IDE builds it, so a warning in code we do not
# own cannot fail the build.
#
# ESP32: build it in the layer's ESP32 mode (FreeRTOS, esp_log.h, ESP32 defined; see
# asynctcp_esp32_mode()).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
# Cache entries: the function is called from other directories, which do not see this
# one's variables or imported targets.
set(ASYNCTCP_SKETCH_PYTHON ${Python3_EXECUTABLE} CACHE INTERNAL "")
set(ASYNCTCP_SKETCH_PROTOTYPES ${CMAKE_CURRENT_LIST_DIR}/sketch_prototypes.py CACHE INTERNAL "")

function(asynctcp_add_sketch name ino)
  cmake_parse_arguments(PARSE_ARGV 2 SKETCH "THIRD_PARTY;ESP32" "" "LIBRARIES")
  get_filename_component(source ${ino} ABSOLUTE)
  if(NOT EXISTS ${source})
    message(FATAL_ERROR "asynctcp_add_sketch(${name}): no such sketch: ${source}")
  endif()
  get_filename_component(sketch_dir ${source} DIRECTORY)
  set(generated ${CMAKE_CURRENT_BINARY_DIR}/${name}.ino.cpp)
  add_custom_command(OUTPUT ${generated}
    COMMAND ${ASYNCTCP_SKETCH_PYTHON} ${ASYNCTCP_SKETCH_PROTOTYPES} ${source} ${generated}
    DEPENDS ${source} ${ASYNCTCP_SKETCH_PROTOTYPES}
    COMMENT "Preparing sketch ${name} (Arduino.h, prototypes)"
    VERBATIM)
  add_executable(${name} ${generated})
  # The sketch's own folder, for its local headers, as in the IDE.
  target_include_directories(${name} PRIVATE ${sketch_dir})
  if(SKETCH_THIRD_PARTY)
    target_compile_options(${name} PRIVATE -Wno-error -w)
  endif()
  # As in the IDE, sketches see ARDUINO; AsyncTCP.h then takes <IPAddress.h>, which the
  # layer maps to the library's own class. Only the sketch sees it: other code linking
  # the layer (GoogleTest, for one) changes behaviour under ARDUINO.
  target_compile_definitions(${name} PRIVATE ARDUINO=10819 ASYNCTCP_ARDUINO_LINUX=1)
  # ESP32 mode (ESP32 keyword): compiled as an ESP32 Arduino build, with FreeRTOS and the
  # ESP-IDF headers (cmake/AsyncTCPEsp32Mode.cmake). Either way plain char is unsigned, as
  # on the ESP32's compilers (Xtensa, RISC-V): sketches are ESP32 code and their parsers
  # rely on it (MQTT's `header >> 4`).
  target_compile_options(${name} PRIVATE -funsigned-char)
  if(SKETCH_ESP32)
    asynctcp_esp32_mode(${name})
  endif()
  target_link_libraries(${name} PRIVATE ${SKETCH_LIBRARIES} AsyncTCP::arduino
                                        AsyncTCP::arduino_main)
endfunction()
