#include "http/response_stream.h"

#include <algorithm>
#include <cstring>

namespace http {

void fillText(uint64_t offset, char *out, size_t len) {
  static constexpr char kLine[] = "abcdefghijklmnopqrstuvwxyz\n";
  constexpr size_t kLineBytes = sizeof kLine - 1;
  size_t at = size_t(offset % kLineBytes);
  while (len > 0) {
    const size_t n = std::min(len, kLineBytes - at);
    std::memcpy(out, kLine + at, n);
    out += n;
    len -= n;
    at = 0;
  }
}

void ResponseStream::start(std::string_view head, std::string_view body, uint64_t textBytes) {
  _head.assign(head);
  _head.append(body);
  _headSent = 0;
  _textBytes = textBytes;
  _textSent = 0;
}

std::string_view ResponseStream::next(char *scratch, size_t max) {
  if (_headSent < _head.size())
    return std::string_view(_head).substr(_headSent, max);
  const size_t n = size_t(std::min<uint64_t>(max, _textBytes - _textSent));
  fillText(_textSent, scratch, n);
  return std::string_view(scratch, n);
}

void ResponseStream::consume(size_t n) {
  const size_t fromHead = std::min(n, _head.size() - _headSent);
  _headSent += fromHead;
  _textSent = std::min<uint64_t>(_textBytes, _textSent + (n - fromHead));
}

}  // namespace http
