#include "HardwareSerial.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

// Constant-initialised and trivially destructible: usable from any static constructor
// and until the process ends.
HardwareSerial Serial(0);

namespace {

int peeked = -1;  // a byte peek() took from stdin, handed out by the next read()

// Bytes waiting on stdin. FIONREAD answers for pipes, terminals and files; anything
// else (or an error) counts as nothing waiting, so reads never block.
int waitingOnStdin() {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0)
    return 0;
  int n = 0;
  if (::ioctl(STDIN_FILENO, FIONREAD, &n) != 0)
    return 0;
  return n;
}

}  // namespace

int HardwareSerial::available() {
  return (peeked >= 0 ? 1 : 0) + waitingOnStdin();
}

int HardwareSerial::read() {
  if (peeked >= 0) {
    const int c = peeked;
    peeked = -1;
    return c;
  }
  unsigned char c;
  if (waitingOnStdin() <= 0 || ::read(STDIN_FILENO, &c, 1) != 1)
    return -1;
  return c;
}

int HardwareSerial::peek() {
  if (peeked < 0)
    peeked = read();
  return peeked;
}

String HardwareSerial::readStringUntil(char terminator) {
  String s;
  for (int c = read(); c >= 0 && c != terminator; c = read())
    s.concat(static_cast<char>(c));
  return s;
}

String HardwareSerial::readString() {
  String s;
  for (int c = read(); c >= 0; c = read())
    s.concat(static_cast<char>(c));
  return s;
}

size_t HardwareSerial::write(uint8_t c) {
  return std::fputc(c, stdout) == EOF ? 0 : 1;
}

size_t HardwareSerial::write(const uint8_t *buffer, size_t size) {
  return buffer == nullptr ? 0 : std::fwrite(buffer, 1, size, stdout);
}

void HardwareSerial::flush() {
  std::fflush(stdout);
}
