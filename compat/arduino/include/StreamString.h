// A String that is also a Stream: writes append, reads take from the front. A read
// helper at the end of the text waits for the timeout like on ESP32 (1 s by default;
// setTimeout(0) stops it waiting for more).
#pragma once

#include "Stream.h"
#include "WString.h"

class StreamString : public Stream, public String {
public:
  using String::String;
  StreamString() = default;

  size_t write(const uint8_t *data, size_t size) override;
  size_t write(uint8_t c) override;
  using Print::write;
  int availableForWrite() override;
  int available() override { return static_cast<int>(length()); }
  int read() override;
  int peek() override;
  void flush() override {}
};
