// Stand-in for arduino-esp32 3.x cores/esp32/Printable.h: the interface IPAddress
// implements (declarations only, see ../README.md).
#pragma once

#include <stddef.h>

class Print;

class Printable {
public:
  virtual ~Printable() {}
  virtual size_t printTo(Print &p) const = 0;
};
