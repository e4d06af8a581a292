// DNSServer answers real UDP queries: the captive domain's A record, NODATA for its
// other types, the error code for other names. Built queries, a socket, no resolver.
#include <DNSServer.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

constexpr uint16_t kA = 1, kAAAA = 28;

std::vector<uint8_t> query(const std::string &name, uint16_t type) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    const size_t dot = name.find('.', start);
    const size_t end = dot == std::string::npos ? name.size() : dot;
    q.push_back(static_cast<uint8_t>(end - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(end));
    start = end + 1;
  }
  q.insert(q.end(), {0, static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  return q;
}

// Sends q to the server, returns the reply (empty after 1 s without one).
std::vector<uint8_t> ask(uint16_t port, const std::vector<uint8_t> &q) {
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(s, q.data(), q.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
  std::vector<uint8_t> reply(512);
  pollfd p{s, POLLIN, 0};
  const ssize_t n = poll(&p, 1, 1000) == 1 ? recv(s, reply.data(), reply.size(), 0) : 0;
  close(s);
  reply.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return reply;
}

int rcode(const std::vector<uint8_t> &r) {
  return r[3] & 0x0F;
}
int answers(const std::vector<uint8_t> &r) {
  return r[6] << 8 | r[7];
}

TEST(ArduinoDNSServer, CaptiveServerAnswersEveryNameWithItsAddress) {
  DNSServer dns;
  ASSERT_TRUE(dns.start(0, "*", IPAddress(192, 168, 4, 1)));
  EXPECT_TRUE(dns.isUp());
  EXPECT_TRUE(dns.isCaptive());
  const std::vector<uint8_t> q = query("connectivitycheck.example.com", kA);
  const std::vector<uint8_t> r = ask(dns.port(), q);
  ASSERT_EQ(r.size(), q.size() + 16);
  EXPECT_EQ(r[0], 0x12);
  EXPECT_EQ(r[1], 0x34);
  EXPECT_NE(r[2] & 0x80, 0);  // a response
  EXPECT_EQ(rcode(r), 0);
  EXPECT_EQ(answers(r), 1);
  EXPECT_EQ(std::vector<uint8_t>(r.end() - 4, r.end()), (std::vector<uint8_t>{192, 168, 4, 1}));
  const uint32_t ttl = static_cast<uint32_t>(r[r.size() - 10] << 24 | r[r.size() - 9] << 16 |
                                             r[r.size() - 8] << 8 | r[r.size() - 7]);
  EXPECT_EQ(ttl, 60u);
}

TEST(ArduinoDNSServer, OtherTypesGetAnEmptyAnswerAndOtherNamesTheErrorCode) {
  DNSServer dns;
  ASSERT_TRUE(dns.start(0, "WWW.Portal.local", IPAddress(10, 0, 0, 1)));
  EXPECT_FALSE(dns.isCaptive());
  std::vector<uint8_t> r = ask(dns.port(), query("portal.local", kA));  // "www." and case ignored
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(answers(r), 1);
  r = ask(dns.port(), query("portal.local", kAAAA));
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(rcode(r), 0);
  EXPECT_EQ(answers(r), 0);
  r = ask(dns.port(), query("elsewhere.local", kA));
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(rcode(r), 3);  // NXDOMAIN by default
  dns.setErrorReplyCode(DNSReplyCode::Refused);
  r = ask(dns.port(), query("elsewhere.local", kA));
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(rcode(r), 5);
}

TEST(ArduinoDNSServer, StopClosesThePortAndBadStartsFail) {
  DNSServer dns;
  ASSERT_TRUE(dns.start(0, "*", IPAddress(10, 0, 0, 1)));
  const uint16_t port = dns.port();
  dns.stop();
  EXPECT_FALSE(dns.isUp());
  EXPECT_TRUE(ask(port, query("a.b", kA)).empty());
  DNSServer other;
  ASSERT_TRUE(other.start(0, "*", IPAddress(10, 0, 0, 1)));
  EXPECT_FALSE(dns.start(other.port(), "*", IPAddress(10, 0, 0, 1)));  // port in use
  EXPECT_FALSE(dns.start(0, "*", IPAddress("::1")));                   // A needs IPv4
}

}  // namespace
