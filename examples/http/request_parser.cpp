// The grammar is RFC 9112's, read strictly where leniency would let two parsers disagree on
// where a request ends (request smuggling): single spaces in the request line, no whitespace
// before a header's colon, no obs-fold, no bare CR, one Content-Length value. Chunked bodies
// are not decoded, so a request with Transfer-Encoding is refused (501) rather than misframed.
#include "http/request_parser.h"

#include <algorithm>
#include <cstring>

namespace http {
namespace {

bool isTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9')
    return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return isTokenChar(c); });
}

bool isFieldValueChar(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

bool isTargetChar(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}

// Whether a byte may stand anywhere in a line of the head (RFC 9112 §3, §5; RFC 9110 §5.5):
// the request line is visible ASCII and spaces; header lines also take HTAB and obs-text. CR
// and LF are looked at where the line ends. Everything else (NUL, other controls, DEL) is
// refused where it stands.
bool isHeadByte(unsigned char c, bool requestLine) {
  if (c == '\r' || c == '\n' || c == ' ')
    return true;
  if (requestLine)
    return c > 0x20 && c < 0x7f;
  return c == '\t' || (c > 0x20 && c != 0x7f);
}

bool allHeadBytes(const char *data, size_t len, bool requestLine) {
  return std::all_of(data, data + len, [&](char c) { return isHeadByte(c, requestLine); });
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z')
      x = char(x | 0x20);
    if (y >= 'A' && y <= 'Z')
      y = char(y | 0x20);
    if (x != y)
      return false;
  }
  return true;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Content-Length is 1*DIGIT; anything else (signs, spaces inside, lists) is an error.
bool parseLength(std::string_view s, uint64_t &out) {
  constexpr uint64_t kMax = uint64_t(1) << 62;
  if (s.empty())
    return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + uint64_t(c - '0');
    if (v > kMax)
      return false;
  }
  out = v;
  return true;
}

}  // namespace

std::string_view Request::path() const {
  std::string_view t = target;
  if (!t.empty() && t.front() != '/') {
    size_t scheme = t.find("://");
    if (scheme == std::string_view::npos)
      return t;  // "*" or an authority-form target
    size_t slash = t.find('/', scheme + 3);
    if (slash == std::string_view::npos)
      return "/";
    t.remove_prefix(slash);
  }
  return t.substr(0, t.find_first_of("?#"));
}

RequestParser::RequestParser(size_t maxHeadBytes) : _maxHeadBytes(maxHeadBytes) {}

void RequestParser::reset() {
  _state = State::RequestLine;
  _request = Request{};
  _line.clear();
  _headBytes = 0;
  _bodyLeft = 0;
  _hasHost = false;
  _hasContentLength = false;
  _hasTransferEncoding = false;
  _connectionClose = false;
  _connectionKeepAlive = false;
  _error = 0;
}

void RequestParser::fail(int status) {
  _state = State::Failed;
  _error = status;
}

size_t RequestParser::feed(const char *data, size_t len) {
  if (data == nullptr)
    return 0;
  size_t used = 0;
  if (_state == State::RequestLine || _state == State::Headers)
    used = feedHead(data, len);
  if (_state == State::Body) {
    uint64_t take = std::min<uint64_t>(len - used, _bodyLeft);
    used += size_t(take);
    _bodyLeft -= take;
    if (_bodyLeft == 0)
      _state = State::Done;
  }
  return used;
}

size_t RequestParser::feedHead(const char *data, size_t len) {
  size_t used = 0;
  while (used < len && (_state == State::RequestLine || _state == State::Headers)) {
    const char *start = data + used;
    const char *nl = static_cast<const char *>(std::memchr(start, '\n', len - used));
    size_t chunk = nl != nullptr ? size_t(nl - start) + 1 : len - used;
    // Both checked before buffering, so a client that never ends its head costs at most the
    // limit. Bytes no head may hold are a bad request, however many (64 KiB of NUL is not a
    // long URI); only those within the limit are looked at, so the answer does not depend on
    // how the stream was split.
    const bool requestLine = _state == State::RequestLine;
    const size_t room = _maxHeadBytes - _headBytes;
    if (!allHeadBytes(start, std::min(chunk, room), requestLine)) {
      fail(400);
      return used;
    }
    if (chunk > room) {
      fail(requestLine ? 414 : 431);
      return used;
    }
    _headBytes += chunk;
    used += chunk;
    _line.append(start, nl != nullptr ? chunk - 1 : chunk);
    if (nl == nullptr)
      break;
    if (!_line.empty() && _line.back() == '\r')
      _line.pop_back();
    takeLine(_line);
    _line.clear();
  }
  return used;
}

void RequestParser::takeLine(std::string_view line) {
  if (line.find('\r') != std::string_view::npos)
    return fail(400);  // bare CR
  if (_state == State::RequestLine) {
    // RFC 9112 §2.2: ignore empty lines before the request line (left over after a body).
    if (line.empty())
      return;
    if (parseRequestLine(line))
      _state = State::Headers;
    return;
  }
  if (line.empty())
    return finishHead();
  parseHeader(line);
}

bool RequestParser::parseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail(400);
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method) || target.empty() ||
      !std::all_of(target.begin(), target.end(), [](char c) { return isTargetChar(c); })) {
    fail(400);
    return false;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    fail(400);
    return false;
  }
  if (version[5] != '1') {
    fail(505);
    return false;
  }
  _request.method.assign(method);
  _request.target.assign(target);
  _request.versionMinor = version[7] - '0';
  return true;
}

bool RequestParser::parseHeader(std::string_view line) {
  size_t colon = line.find(':');
  // A leading space is obs-fold; a space before the colon would make the name ambiguous.
  if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
    fail(400);
    return false;
  }
  std::string_view name = line.substr(0, colon);
  std::string_view value = trimOws(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), [](char c) { return isFieldValueChar(c); })) {
    fail(400);
    return false;
  }
  if (equalsNoCase(name, "host")) {
    if (_hasHost) {
      fail(400);
      return false;
    }
    _hasHost = true;
  } else if (equalsNoCase(name, "content-length")) {
    uint64_t n = 0;
    if (!parseLength(value, n) || (_hasContentLength && n != _request.contentLength)) {
      fail(400);
      return false;
    }
    _hasContentLength = true;
    _request.contentLength = n;
  } else if (equalsNoCase(name, "transfer-encoding")) {
    _hasTransferEncoding = true;
  } else if (equalsNoCase(name, "connection")) {
    while (!value.empty()) {
      size_t comma = value.find(',');
      std::string_view option = trimOws(value.substr(0, comma));
      if (equalsNoCase(option, "close"))
        _connectionClose = true;
      if (equalsNoCase(option, "keep-alive"))
        _connectionKeepAlive = true;
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }
  return true;
}

void RequestParser::finishHead() {
  if (_hasTransferEncoding)
    return fail(501);
  if (_request.versionMinor >= 1 && !_hasHost)
    return fail(400);  // RFC 9112 §3.2
  _request.keepAlive = !_connectionClose && (_request.versionMinor >= 1 || _connectionKeepAlive);
  _bodyLeft = _request.contentLength;
  _state = _bodyLeft > 0 ? State::Body : State::Done;
}

}  // namespace http
