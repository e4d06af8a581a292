// The captive-portal DNS answer, as a pure function of the query bytes (RFC 1035).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace asynctcp::arduino {

struct DnsPolicy {
  std::string domain;  // lower case, without "www."; empty: every name
  uint8_t address[4];  // the A record's address
  uint32_t ttl;
  uint16_t errorCode;  // RCODE for names that are not the domain
};

// Writes the reply to `query` into `reply` (512 bytes is always enough for a query that
// fits 512) and returns its length; 0 means no reply (not a standard query with one
// question, or malformed). The domain's A query gets the address; its other types get an
// empty NOERROR answer (the name exists, without such a record); other names get
// errorCode.
size_t dnsReply(const uint8_t *query, size_t len, const DnsPolicy &policy, uint8_t *reply,
                size_t capacity);

// Lower case, without a leading "www.", "*" as empty: how names are compared.
std::string dnsComparableName(std::string name);

}  // namespace asynctcp::arduino
