// Serial on Linux: output goes to stdout (line-buffered by the sketch runner, so a
// test reading the pipe sees each line as it is printed), input comes from stdin
// without blocking (read(), readString()); readBytes() waits up to setTimeout() as on ESP32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "Stream.h"
#include "WString.h"

class HardwareSerial : public Stream {
public:
  constexpr explicit HardwareSerial(int uart) : _uart(uart) {}

  void begin(unsigned long baud) { (void)baud; }
  void end() {}
  void setDebugOutput(bool on) { (void)on; }
  explicit operator bool() const { return true; }

  int available() override;  // bytes readable from stdin now
  int read() override;       // one byte, or -1 when none is waiting
  int peek() override;
  // What is waiting, without the Stream timeout: reading stdin never blocks the loop.
  String readStringUntil(char terminator);  // up to the terminator
  String readString() override;             // everything

  size_t write(uint8_t c) override;
  size_t write(const uint8_t *buffer, size_t size) override;
  void flush() override;
  using Print::write;
  using Stream::readBytes;

private:
  int _uart;
};

extern HardwareSerial Serial;
