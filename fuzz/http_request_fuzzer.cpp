// Fuzzes http::RequestParser. Besides memory safety it checks what the parser promises:
// feeding the same bytes in one piece or split anywhere gives the same requests and the same
// error (it is incremental); feed() never takes more than it is given; a finished request is
// well-formed; the head never exceeds its limit.
#include "http/request_parser.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond))         \
      __builtin_trap();  \
  } while (0)

struct Outcome {
  std::vector<std::string> requests;  // one line per finished request
  int error = 0;                      // status of the failure that ended parsing, 0 if none
  bool operator==(const Outcome &o) const { return requests == o.requests && error == o.error; }
};

std::string summary(const http::Request &r) {
  return r.method + ' ' + r.target + " 1." + std::to_string(r.versionMinor) +
         (r.keepAlive ? " keep-alive " : " close ") + std::to_string(r.contentLength) + ' ' +
         std::string(r.path());
}

bool isTokenChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') ||
         std::string("!#$%&'*+-.^_`|~").find(c) != std::string::npos;
}

void checkRequest(const http::Request &r, size_t maxHead) {
  FUZZ_CHECK(!r.method.empty());
  for (char c : r.method)
    FUZZ_CHECK(isTokenChar(c));
  FUZZ_CHECK(!r.target.empty());
  for (char c : r.target)
    FUZZ_CHECK(c > 0x20 && c < 0x7f);
  FUZZ_CHECK(r.versionMinor >= 0 && r.versionMinor <= 9);
  FUZZ_CHECK(r.method.size() + r.target.size() <= maxHead);
  const std::string_view path = r.path();
  FUZZ_CHECK(path.size() <= r.target.size());
}

// Feeds `data` in pieces whose sizes come from `splits` (cycled); 0 = all at once.
Outcome parse(const uint8_t *data, size_t size, const std::vector<size_t> &splits, size_t maxHead) {
  http::RequestParser p(maxHead);
  Outcome out;
  size_t pos = 0, piece = 0;
  // A stream's end may stop in the middle of a request: remember only what was completed.
  size_t limit = splits.empty() ? size : 0;
  while (pos < size) {
    if (!splits.empty()) {
      if (limit <= pos) {
        limit = pos + splits[piece++ % splits.size()];
        if (limit > size)
          limit = size;
      }
    }
    const char *at = reinterpret_cast<const char *>(data) + pos;
    const size_t offered = limit - pos;
    const size_t used = p.feed(at, offered);
    FUZZ_CHECK(used <= offered);
    pos += used;
    if (p.failed()) {
      out.error = p.errorStatus();
      FUZZ_CHECK(out.error == 400 || out.error == 414 || out.error == 431 || out.error == 501 ||
                 out.error == 505);
      return out;
    }
    if (p.done()) {
      checkRequest(p.request(), maxHead);
      out.requests.push_back(summary(p.request()));
      p.reset();
      continue;
    }
    // Not done, not failed: it must have taken everything it was offered.
    FUZZ_CHECK(used == offered);
    if (pos == size)
      break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0;
  // Two head limits: the default, and a small one so the 414/431 paths are reached.
  for (size_t maxHead : {http::RequestParser::kDefaultMaxHeadBytes, size_t(64)}) {
    const Outcome whole = parse(data, size, {}, maxHead);
    const Outcome bytes = parse(data, size, {1}, maxHead);
    FUZZ_CHECK(whole == bytes);
    // Irregular pieces derived from the input itself.
    std::vector<size_t> splits;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size && splits.size() < 16; ++i) {
      h = (h ^ data[i]) * 16777619u;
      if ((h & 7) == 0)
        splits.push_back(1 + (h >> 8) % 97);
    }
    if (!splits.empty()) {
      const Outcome pieces = parse(data, size, splits, maxHead);
      FUZZ_CHECK(whole == pieces);
    }
  }
  return 0;
}
