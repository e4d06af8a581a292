#include "dns_reply.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace asynctcp::arduino {

namespace {

constexpr size_t kHeader = 12;
constexpr uint16_t kTypeA = 1;
constexpr uint16_t kClassIn = 1;

uint16_t get16(const uint8_t *p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint8_t *put16(uint8_t *p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
  return p + 2;
}

// The question's name as dotted text; the offset just past it, or 0 if malformed.
// Questions carry no compression pointers (RFC 1035 4.1.4 uses them for repeats).
size_t readName(const uint8_t *msg, size_t len, std::string &name) {
  size_t at = kHeader;
  while (at < len && msg[at] != 0) {
    const size_t label = msg[at];
    if (label > 63 || at + 1 + label > len || name.size() + label + 1 > 255)
      return 0;
    if (!name.empty())
      name += '.';
    name.append(reinterpret_cast<const char *>(msg + at + 1), label);
    at += 1 + label;
  }
  return at < len ? at + 1 : 0;
}

}  // namespace

std::string dnsComparableName(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name.compare(0, 4, "www.") == 0)
    name.erase(0, 4);
  if (!name.empty() && name.back() == '.')
    name.pop_back();
  return name == "*" ? std::string() : name;
}

size_t dnsReply(const uint8_t *query, size_t len, const DnsPolicy &policy, uint8_t *reply,
                size_t capacity) {
  // A standard query (QR 0, OPCODE 0) with exactly one question.
  if (len < kHeader || (query[2] & 0xF8) != 0 || get16(query + 4) != 1)
    return 0;
  std::string name;
  const size_t nameEnd = readName(query, len, name);
  const size_t questionEnd = nameEnd + 4;
  if (nameEnd == 0 || questionEnd > len || questionEnd + 16 > capacity)
    return 0;
  const uint16_t type = get16(query + nameEnd), klass = get16(query + nameEnd + 2);
  const bool ours = policy.domain.empty() || dnsComparableName(name) == policy.domain;
  const bool answer = ours && type == kTypeA && klass == kClassIn;

  std::memcpy(reply, query, questionEnd);                     // id, RD and the question as asked
  reply[2] = static_cast<uint8_t>(0x84 | (query[2] & 0x01));  // QR, AA, RD as asked
  reply[3] = static_cast<uint8_t>(ours ? 0 : policy.errorCode & 0x0F);
  put16(reply + 6, answer ? 1 : 0);  // ANCOUNT
  put16(reply + 8, 0);               // NSCOUNT
  put16(reply + 10, 0);              // ARCOUNT: additional records (EDNS) are not echoed
  if (!answer)
    return questionEnd;
  uint8_t *p = put16(reply + questionEnd, 0xC000 | kHeader);  // the question's name
  p = put16(p, kTypeA);
  p = put16(p, kClassIn);
  p = put16(p, static_cast<uint16_t>(policy.ttl >> 16));
  p = put16(p, static_cast<uint16_t>(policy.ttl));
  p = put16(p, 4);
  std::memcpy(p, policy.address, 4);
  return static_cast<size_t>(p + 4 - reply);
}

}  // namespace asynctcp::arduino
