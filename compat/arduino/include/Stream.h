// Arduino's Stream: a Print that can also be read. The read helpers wait up to the
// timeout (setTimeout, 1000 ms by default) for each byte, as arduino-esp32's do; streams
// whose data is all there (File) set the timeout to 0. Not provided: find/findUntil and
// parseInt/parseFloat (a sketch using them does not compile).
#pragma once

#include <cstddef>
#include <cstdint>

#include "Print.h"
#include "WString.h"

class Stream : public Print {
public:
  virtual int available() = 0;
  virtual int read() = 0;  // one byte, or -1 when none is there
  virtual int peek() = 0;

  void setTimeout(unsigned long timeoutMs) { _timeout = timeoutMs; }
  unsigned long getTimeout() const { return _timeout; }

  virtual size_t readBytes(char *buffer, size_t length);
  virtual size_t readBytes(uint8_t *buffer, size_t length) {
    return readBytes(reinterpret_cast<char *>(buffer), length);
  }
  size_t readBytesUntil(char terminator, char *buffer, size_t length);
  size_t readBytesUntil(char terminator, uint8_t *buffer, size_t length) {
    return readBytesUntil(terminator, reinterpret_cast<char *>(buffer), length);
  }
  virtual String readString();
  String readStringUntil(char terminator);

protected:
  constexpr Stream() = default;
  // Not virtual, like Print's: a Stream is never deleted through this base.
  ~Stream() = default;

  int timedRead();  // read(), waiting up to the timeout; -1 on timeout

  unsigned long _timeout = 1000;
};
