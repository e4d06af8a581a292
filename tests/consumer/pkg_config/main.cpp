// A program built against the installed library with
// `c++ main.cpp $(pkg-config --cflags --libs asynctcp)`.
#include "../roundtrip.h"

int main() {
  return consumer::roundTrip("pkg-config");
}
