# Fails when any object in the archive LIB has a dynamic initialiser (GCC and Clang
# name them _GLOBAL__sub_I_<file>).
execute_process(COMMAND ${NM} -A ${LIB} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
string(REGEX MATCHALL "[^\n]*_GLOBAL__sub_I_[^\n]*" found "${symbols}")
if(found)
  string(REPLACE ";" "\n" found "${found}")
  message(FATAL_ERROR "objects with dynamic initialisers (make them constant-initialised or built on first use):\n${found}")
endif()
message(STATUS "no dynamic initialisers in ${LIB}")
