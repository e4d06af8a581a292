// A program built against the installed library with find_package(AsyncTCP).
#include "../roundtrip.h"

int main() {
  return consumer::roundTrip("find_package");
}
