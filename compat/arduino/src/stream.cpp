#include "Stream.h"

#include "Arduino.h"

int Stream::timedRead() {
  const unsigned long start = millis();
  do {
    const int c = read();
    if (c >= 0)
      return c;
    if (_timeout != 0)
      delay(1);  // the data comes from another thread or process; let it run
  } while (millis() - start < _timeout);
  return -1;
}

size_t Stream::readBytes(char *buffer, size_t length) {
  size_t n = 0;
  while (n < length) {
    const int c = timedRead();
    if (c < 0)
      break;
    buffer[n++] = static_cast<char>(c);
  }
  return n;
}

size_t Stream::readBytesUntil(char terminator, char *buffer, size_t length) {
  size_t n = 0;
  while (n < length) {
    const int c = timedRead();
    if (c < 0 || c == static_cast<unsigned char>(terminator))
      break;
    buffer[n++] = static_cast<char>(c);
  }
  return n;
}

String Stream::readString() {
  String s;
  for (int c = timedRead(); c >= 0; c = timedRead())
    s += static_cast<char>(c);
  return s;
}

String Stream::readStringUntil(char terminator) {
  String s;
  for (int c = timedRead(); c >= 0 && c != static_cast<unsigned char>(terminator); c = timedRead())
    s += static_cast<char>(c);
  return s;
}
