// arduino-esp32's cbuf: a byte ring buffer of a fixed capacity that can grow. It holds
// up to size() bytes (arduino-esp32's keeps one slot unused and holds size() - 1). Not
// thread-safe: one thread at a time, as its users on ESP32 (ESPAsyncWebServer's response
// stream) already guarantee.
#pragma once

#include <cstddef>
#include <vector>

class cbuf {
public:
  explicit cbuf(size_t size);

  size_t size() const { return _buf.size(); }  // capacity
  size_t available() const { return _used; }   // bytes to read
  size_t room() const { return _buf.size() - _used; }
  bool empty() const { return _used == 0; }
  bool full() const { return _used == _buf.size(); }

  // Change the capacity; fails (returning the old one) below what is stored.
  size_t resize(size_t newSize);
  size_t resizeAdd(size_t addSize) { return resize(_buf.size() + addSize); }

  int peek();  // next byte, or -1 if empty
  size_t peek(char *dst, size_t size);
  int read();
  size_t read(char *dst, size_t size);
  size_t write(char c);
  size_t write(const char *src, size_t size);  // as much as there is room for
  size_t remove(size_t size);                  // drop up to size bytes; returns what is left
  void flush() { _begin = _used = 0; }

  cbuf *next = nullptr;  // arduino-esp32 lets users chain buffers through this

private:
  size_t copyOut(char *dst, size_t size) const;

  std::vector<char> _buf;
  size_t _begin = 0;  // index of the oldest byte
  size_t _used = 0;
};
