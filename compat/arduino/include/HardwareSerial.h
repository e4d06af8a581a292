// Serial on Linux: output goes to stdout (line-buffered by the sketch runner, so a
// test reading the pipe sees each line as it is printed), input comes from stdin
// without blocking.
#pragma once

#include <cstddef>
#include <cstdint>

#include "Print.h"
#include "WString.h"

class HardwareSerial : public Print {
public:
  constexpr explicit HardwareSerial(int uart) : _uart(uart) {}

  void begin(unsigned long baud) { (void)baud; }
  void end() {}
  void setDebugOutput(bool on) { (void)on; }
  explicit operator bool() const { return true; }

  int available();  // bytes readable from stdin now
  int read();       // one byte, or -1 when none is waiting
  int peek();
  String readStringUntil(char terminator);  // what is waiting, up to the terminator
  String readString();                      // everything waiting

  size_t write(uint8_t c) override;
  size_t write(const uint8_t *buffer, size_t size) override;
  void flush() override;
  using Print::write;

private:
  int _uart;
};

extern HardwareSerial Serial;
