# asynctcp_add_sketch(<name> <path/to/sketch.ino>)
#
# Builds an Arduino sketch, unchanged, as a Linux program <name>: the .ino is compiled as
# C++ with Arduino.h included first (what the Arduino IDE adds), and linked with the
# layer and its runner (main() calling setup() and loop()). The IDE's other step,
# generating prototypes for functions used before their definition, is not done:
# define helpers before use, or declare them.
function(asynctcp_add_sketch name ino)
  get_filename_component(source ${ino} ABSOLUTE)
  if(NOT EXISTS ${source})
    message(FATAL_ERROR "asynctcp_add_sketch(${name}): no such sketch: ${source}")
  endif()
  set_source_files_properties(${source} PROPERTIES
    LANGUAGE CXX
    COMPILE_OPTIONS "-x;c++;-include;Arduino.h")
  add_executable(${name} ${source})
  # As in the IDE, sketches see ARDUINO; AsyncTCP.h then takes <IPAddress.h>, which the
  # layer maps to the library's own class. Only the sketch sees it: other code linking
  # the layer (GoogleTest, for one) changes behaviour under ARDUINO.
  target_compile_definitions(${name} PRIVATE ARDUINO=10819 ASYNCTCP_ARDUINO_LINUX=1)
  target_link_libraries(${name} PRIVATE AsyncTCP::arduino asynctcp_arduino_runner)
endfunction()
