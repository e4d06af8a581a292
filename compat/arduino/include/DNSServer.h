// arduino-esp32's DNSServer, the captive-portal resolver: a UDP DNS server that answers
// A queries for one name ("*": every name) with one IPv4 address. It runs on a thread of
// its own from start() to stop(), like arduino-esp32 3.x's (built on AsyncUDP), so
// processNextRequest() has nothing to do. Port 53 needs root or CAP_NET_BIND_SERVICE on
// Linux; start() returns false when the port cannot be bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "IPAddress.h"
#include "WString.h"

enum class DNSReplyCode : uint16_t {
  NoError = 0,
  FormError = 1,
  ServerFailure = 2,
  NonExistentDomain = 3,
  NotImplemented = 4,
  Refused = 5,
  YXDomain = 6,
  YXRRSet = 7,
  NXRRSet = 8
};

class DNSServer {
public:
  DNSServer() = default;
  explicit DNSServer(const String &domainName) : _domainName(domainName) {}
  DNSServer(const DNSServer &) = delete;
  DNSServer &operator=(const DNSServer &) = delete;
  ~DNSServer() { stop(); }

  // Answers names other than the domain with this code (default NonExistentDomain).
  void setErrorReplyCode(const DNSReplyCode &replyCode);
  void setTTL(const uint32_t &ttl);  // seconds, default 60

  // Binds every local IPv4 address on `port` and starts answering. The domain is matched
  // without case and without a leading "www."; "*" or "" matches every name.
  bool start(uint16_t port, const String &domainName, const IPAddress &resolvedIP);
  bool start();  // port 53, the domain given to the constructor, WiFi.softAPIP()
  void stop();
  bool isUp() const { return _socket.load() >= 0; }
  bool isCaptive() const;       // answers every name
  void processNextRequest() {}  // the server thread answers as queries arrive

  uint16_t port() const { return _port; }  // bound port (useful after start(0, ...)) [ext]

private:
  void serve(int sock, int wake);

  String _domainName;
  IPAddress _resolvedIP;
  std::atomic<uint32_t> _ttl{60};
  std::atomic<uint16_t> _errorCode{static_cast<uint16_t>(DNSReplyCode::NonExistentDomain)};
  std::atomic<int> _socket{-1};
  int _wake = -1;  // eventfd that tells the thread to stop
  uint16_t _port = 0;
  std::thread _thread;
};
