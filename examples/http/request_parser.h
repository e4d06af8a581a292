// An incremental HTTP/1.x request parser for the http_server example.
//
// It knows nothing about sockets: feed() it bytes as they arrive, split anywhere, and it
// consumes at most one request (head and body) per call, so pipelined requests come out one
// at a time, in order. Request bodies framed by Content-Length are consumed and dropped, not
// stored. The head is bounded (maxHeadBytes), and a byte no head may hold (NUL, another
// control) fails at once; anything malformed ends in an error status the server answers
// before closing. No allocation beyond the current line and the request fields, no
// exceptions: a fuzz target only needs feed(), done(), failed() and reset().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http {

struct Request {
  std::string method;
  std::string target;     // as sent: origin-form ("/a?b"), absolute-form or "*"
  int versionMinor = 1;   // HTTP/1.<versionMinor>
  bool keepAlive = true;  // after Connection and the version's default
  uint64_t contentLength = 0;

  std::string_view path() const;  // the target's path, without query or scheme://authority
};

class RequestParser {
public:
  static constexpr size_t kDefaultMaxHeadBytes = 8 * 1024;

  explicit RequestParser(size_t maxHeadBytes = kDefaultMaxHeadBytes);

  // Consumes bytes of the current request and returns how many it took. It stops at the
  // end of a request (done()) or at an error (failed()); the bytes it did not take belong to
  // the next request and are fed again after reset().
  size_t feed(const char *data, size_t len);

  // Whether bytes of a request have arrived since reset(): one is under way.
  bool started() const { return _state != State::RequestLine || _headBytes > 0; }
  bool done() const { return _state == State::Done; }
  bool failed() const { return _state == State::Failed; }
  const Request &request() const { return _request; }  // complete once done()
  int errorStatus() const { return _error; }           // 400, 414, 431, 501 or 505 once failed()

  void reset();  // ready for the next request on the same connection

private:
  enum class State { RequestLine, Headers, Body, Done, Failed };

  size_t feedHead(const char *data, size_t len);
  void takeLine(std::string_view line);
  bool parseRequestLine(std::string_view line);
  bool parseHeader(std::string_view line);
  void finishHead();
  void fail(int status);

  size_t _maxHeadBytes;
  State _state = State::RequestLine;
  Request _request;
  std::string _line;  // the unfinished line of the head
  size_t _headBytes = 0;
  uint64_t _bodyLeft = 0;
  bool _hasHost = false;
  bool _hasContentLength = false;
  bool _hasTransferEncoding = false;
  bool _connectionClose = false;
  bool _connectionKeepAlive = false;
  int _error = 0;
};

}  // namespace http
