// A DNS server on loopback that answers every query one way (NXDOMAIN, or 127.0.0.1 / ::1).
#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#if defined(ASYNCTCP_BACKEND_LWIP)
extern "C" {
#include "lwip/tcp.h"  // TCP_SND_BUF
}
#include "lwip/tap_link.h"
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tst {

FakeDnsServer::FakeDnsServer(Mode mode) : _mode(mode) {
  _fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    getsockname(_fd, reinterpret_cast<sockaddr *>(&a), &len);
    _port = ntohs(a.sin_port);
  }
  _thread = std::thread([this] { serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  _stop = true;
  _thread.join();
  ::close(_fd);
}

std::string FakeDnsServer::spec() const {
  return "127.0.0.1:" + std::to_string(_port);
}

std::vector<std::string> FakeDnsServer::names() const {
  std::lock_guard<std::mutex> lock(_mutex);
  return _names;
}

void FakeDnsServer::serve() {
  uint8_t q[1500];
  while (!_stop) {
    pollfd p{_fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    sockaddr_storage from{};
    socklen_t fromLen = sizeof from;
    ssize_t n = recvfrom(_fd, q, sizeof q, 0, reinterpret_cast<sockaddr *>(&from), &fromLen);
    if (n < 12 || (q[2] & 0x80))
      continue;  // too short, or a response
    // Parse the first question: QNAME labels, QTYPE, QCLASS.
    size_t pos = 12;
    std::string name;
    bool ok = true;
    while (pos < static_cast<size_t>(n) && q[pos] != 0) {
      size_t l = q[pos];
      if ((l & 0xC0) || pos + 1 + l >= static_cast<size_t>(n)) {
        ok = false;
        break;
      }
      if (!name.empty())
        name += '.';
      name.append(reinterpret_cast<const char *>(&q[pos + 1]), l);
      pos += 1 + l;
    }
    if (!ok || pos + 5 > static_cast<size_t>(n))
      continue;
    const size_t questionEnd = pos + 5;  // zero label + QTYPE + QCLASS
    const uint16_t qtype = static_cast<uint16_t>(q[pos + 1] << 8 | q[pos + 2]);
    _queries++;
    {
      std::lock_guard<std::mutex> lock(_mutex);
      _names.push_back(name);
    }
    const bool answer = _mode == Mode::AnswerLoopback && qtype == 1;
    const uint8_t rcode = _mode == Mode::NxDomain ? 3 : 0;
    std::vector<uint8_t> r(q, q + questionEnd);
    r[2] = static_cast<uint8_t>(0x80 | (q[2] & 0x79));  // QR, opcode and RD copied
    r[3] = static_cast<uint8_t>(0x80 | rcode);          // RA, rcode
    r[4] = 0;
    r[5] = 1;  // QDCOUNT 1
    r[6] = 0;
    r[7] = answer ? 1 : 0;  // ANCOUNT
    r[8] = r[9] = r[10] = r[11] = 0;
    if (answer) {
      const uint8_t rr[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1};
      r.insert(r.end(), rr, rr + sizeof rr);
    }
    sendto(_fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr *>(&from), fromLen);
  }
}

}  // namespace tst
