// The HTTP side of the benchmark, identical for every peer: a request ends at its empty line
// ("\r\n\r\n"; the requests have no body), and each one gets the same fixed response. A read
// that completes n requests (pipelining) is answered with n responses in one write.
#pragma once

#include <cstddef>
#include <cstring>

namespace bench::http {

constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr size_t kResponseSize = sizeof(kResponse) - 1;
constexpr size_t kBatch = 64;  // responses in one block; more requests take several writes
// With --close (a new connection, and over TLS a new handshake, per request): the one answer.
constexpr char kResponseClose[] =
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr size_t kResponseCloseSize = sizeof(kResponseClose) - 1;

// Counts complete requests in a byte stream. The terminator may be split across reads, so
// how much of it has been seen is kept between calls.
class RequestCounter {
public:
  size_t feed(const char *data, size_t len) {
    static constexpr char kEnd[] = "\r\n\r\n";
    size_t requests = 0;
    for (size_t i = 0; i < len; ++i) {
      char c = data[i];
      if (c == kEnd[_matched]) {
        if (++_matched == 4) {
          ++requests;
          _matched = 0;
        }
      } else {
        _matched = c == '\r' ? 1 : 0;
      }
    }
    return requests;
  }

private:
  unsigned _matched = 0;
};

// kBatch responses back to back, built once; static, so writes may point into it.
inline const char *responseBlock() {
  static const char *block = [] {
    static char buf[kBatch * kResponseSize];
    for (size_t i = 0; i < kBatch; ++i)
      std::memcpy(buf + i * kResponseSize, kResponse, kResponseSize);
    return buf;
  }();
  return block;
}

}  // namespace bench::http
