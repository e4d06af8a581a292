// DNSServer: a UDP socket and a thread that answers it (dns_reply.h) until stop().
#include "DNSServer.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "WiFi.h"
#include "dns_reply.h"

using asynctcp::arduino::DnsPolicy;

void DNSServer::setErrorReplyCode(const DNSReplyCode &replyCode) {
  _errorCode = static_cast<uint16_t>(replyCode);
}

void DNSServer::setTTL(const uint32_t &ttl) {
  _ttl = ttl;
}

bool DNSServer::isCaptive() const {
  return asynctcp::arduino::dnsComparableName(_domainName.c_str()).empty();
}

bool DNSServer::start() {
  return start(53, _domainName, WiFi.softAPIP());
}

bool DNSServer::start(uint16_t port, const String &domainName, const IPAddress &resolvedIP) {
  stop();
  if (resolvedIP.type() != IPv4)
    return false;  // an A record holds an IPv4 address
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t addrLen = sizeof addr;
  const int wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0 || ::bind(sock, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::getsockname(sock, reinterpret_cast<sockaddr *>(&addr), &addrLen) != 0) {
    ::close(sock);
    if (wake >= 0)
      ::close(wake);
    return false;
  }
  _domainName = domainName;
  _resolvedIP = resolvedIP;
  _port = ntohs(addr.sin_port);
  _wake = wake;
  _socket = sock;
  _thread = std::thread(&DNSServer::serve, this, sock, wake);
  return true;
}

void DNSServer::stop() {
  if (!_thread.joinable())
    return;
  const uint64_t one = 1;
  (void)!::write(_wake, &one, sizeof one);
  _thread.join();
  ::close(_socket.exchange(-1));
  ::close(_wake);
  _wake = -1;
  _port = 0;
}

void DNSServer::serve(int sock, int wake) {
  DnsPolicy policy{asynctcp::arduino::dnsComparableName(_domainName.c_str()), {}, 0, 0};
  std::memcpy(policy.address, _resolvedIP.raw4(), 4);
  uint8_t query[512], reply[512];
  pollfd fds[2] = {{sock, POLLIN, 0}, {wake, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0)
      return;  // stop()
    if ((fds[0].revents & POLLIN) == 0)
      continue;
    sockaddr_storage peer{};
    socklen_t peerLen = sizeof peer;
    const ssize_t n = ::recvfrom(sock, query, sizeof query, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr *>(&peer), &peerLen);
    if (n <= 0)
      continue;
    policy.ttl = _ttl;
    policy.errorCode = _errorCode;
    const size_t len = dnsReply(query, static_cast<size_t>(n), policy, reply, sizeof reply);
    if (len > 0)
      ::sendto(sock, reply, len, 0, reinterpret_cast<sockaddr *>(&peer), peerLen);
  }
}
