// One HTTP response on its way out, made as the connection drains: its head (with any short
// body) from a string, then, for GET /bytes/N, N bytes of text generated a piece at a time.
// The server asks for the next piece only when the client's send budget has room (space(),
// and again from onAck), so an answer of any size costs the connection the memory of one
// piece, not of the answer, and a client that does not read costs nothing more. Like the
// parser it knows nothing about sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http {

// The text of /bytes/N: lines of the alphabet ("abc...z\n"), so a client can see where a
// transfer went wrong. Writes the body's bytes [offset, offset + len) to `out`.
void fillText(uint64_t offset, char *out, size_t len);

class ResponseStream {
public:
  // Starts a response: `head` (with any short body), then `textBytes` of text. The memory of
  // the last response is reused, so a keep-alive connection allocates nothing per response.
  void start(std::string_view head, std::string_view body, uint64_t textBytes);

  bool done() const { return _headSent == _head.size() && _textSent == _textBytes; }

  // The next bytes to send, at most `max`: a view of the head, or text made in `scratch`
  // (which must hold `max` bytes). Empty once done().
  std::string_view next(char *scratch, size_t max);
  // `n` bytes of what next() returned were sent (the client may take fewer than offered).
  void consume(size_t n);

private:
  std::string _head;
  size_t _headSent = 0;
  uint64_t _textBytes = 0;
  uint64_t _textSent = 0;
};

}  // namespace http
