// AsyncTCP: the ESP32 AsyncTCP API (AsyncServer/AsyncClient with callbacks) on
// Linux. Every callback runs on one service thread ("async_tcp"); every public
// method may be called from any thread. See README.md for the contract.
#ifndef ASYNCTCP_H_
#define ASYNCTCP_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

// IPAddress: the Arduino core's whenever there is one (ARDUINO, as on ESP32; or a Linux build
// against a core, ASYNCTCP_CORE_IPADDRESS, see src/CMakeLists.txt), else the library's own.
#if defined(ARDUINO) || defined(ASYNCTCP_CORE_IPADDRESS)
// On Linux a core's IPAddress.h declares an IPAddress object INADDR_NONE, which libc's
// <netinet/in.h> defines as a macro; to Arduino code the name means the object.
#if defined(ASYNCTCP_CORE_IPADDRESS) && defined(INADDR_NONE)
#undef INADDR_NONE
#endif
#include <IPAddress.h>
// ArduinoCore-API cores (Arduino-Emulator) declare IPType, IPv4 and IPv6 in namespace arduino
// and export them from Arduino.h with this using-directive; elsewhere it names an empty namespace.
namespace arduino {}
using namespace arduino;
#else
#include "asynctcp/IPAddress.h"
#endif
#include "asynctcp/lwip_types.h"

// Cores with a separate IPv6Address class (arduino-esp32 2.x and cores modelled on it):
// the ESP32Async overloads that take one, inline so that the library's own build does
// not depend on the core.
#if defined(ARDUINO) && defined(__has_include)
#if __has_include(<IPv6Address.h>)
#include <IPv6Address.h>
#define ASYNCTCP_HAS_IPV6ADDRESS 1
#endif
#endif
#include "asynctcp/version.h"
#if !defined(ESP_PLATFORM)
#include "asynctcp/engine.h"
#include "asynctcp/posix_manager.h"
#endif

// In ESP-IDF builds the CONFIG_* values come from menuconfig (Kconfig): user files see them too.
#if defined(ESP_PLATFORM) && defined(__has_include)
#if __has_include(<sdkconfig.h>)
#include <sdkconfig.h>
#endif
#endif

#include "asynctcp/logging.h"

#ifndef CONFIG_ASYNC_TCP_RUNNING_CORE
#define CONFIG_ASYNC_TCP_RUNNING_CORE -1  // any core
#endif
// Kept for ESP32 code: on ESP32 it guards the async_tcp task with the task watchdog.
// No effect on Linux (there is no watchdog to feed; a callback that blocks stalls
// every connection, as it would trip the watchdog there).
#ifndef CONFIG_ASYNC_TCP_USE_WDT
#define CONFIG_ASYNC_TCP_USE_WDT 1
#endif
#ifndef CONFIG_ASYNC_TCP_STACK_SIZE
#define CONFIG_ASYNC_TCP_STACK_SIZE 8192 * 2
#endif
#ifndef CONFIG_ASYNC_TCP_PRIORITY
#define CONFIG_ASYNC_TCP_PRIORITY 10
#endif
#ifndef CONFIG_ASYNC_TCP_QUEUE_SIZE
#define CONFIG_ASYNC_TCP_QUEUE_SIZE 128
#endif
#ifndef CONFIG_ASYNC_TCP_MAX_ACK_TIME
#define CONFIG_ASYNC_TCP_MAX_ACK_TIME 5000
#endif
// Beyond the ESP32 set: onPoll cadence (lwIP's tcp_poll(pcb, cb, 1) on ESP32 is 500 ms),
// the connect timeout, and the per-connection send budget that space() reports.
#ifndef CONFIG_ASYNC_TCP_POLL_INTERVAL_MS
#define CONFIG_ASYNC_TCP_POLL_INTERVAL_MS 500
#endif
#ifndef CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS
#define CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS 30000
#endif
#ifndef CONFIG_ASYNC_TCP_SEND_BUFFER
#define CONFIG_ASYNC_TCP_SEND_BUFFER (64 * 1024)
#endif
#define ASYNC_MAX_ACK_TIME CONFIG_ASYNC_TCP_MAX_ACK_TIME

#define ASYNC_WRITE_FLAG_COPY \
  0x01  // copy the data (else the caller keeps it alive until onAck covers it)
#define ASYNC_WRITE_FLAG_MORE 0x02  // more data follows: do not push yet

// The error the ESP32 library reports when a host name does not resolve.
#define ASYNC_TCP_ERR_DNS (-55)

// TLS errors (onError, errorToString), beside lwIP's 0..-16 and -55. -60 and -61 mean what
// they mean in ESP32Async/AsyncTCP PR #121; the rest are this library's. Defined whether or
// not TLS is built, so code can name them either way.
#define ASYNC_TCP_ERR_TLS_HANDSHAKE (-60)  // no common version or cipher, or another failure
#define ASYNC_TCP_ERR_TLS_TIMEOUT (-61)    // not done within the connect timeout
#define ASYNC_TCP_ERR_TLS_UNTRUSTED (-62)  // the certificate does not chain to a trusted root
#define ASYNC_TCP_ERR_TLS_NAME (-63)       // the certificate is not for the name connected to
#define ASYNC_TCP_ERR_TLS_EXPIRED (-64)    // a certificate out of its validity period
#define ASYNC_TCP_ERR_TLS_PIN (-65)        // no pinned fingerprint matches the certificate
#define ASYNC_TCP_ERR_TLS_PSK (-66)        // the pre-shared key or its identity does not match
#define ASYNC_TCP_ERR_TLS_PROTOCOL (-67)   // bytes that are not TLS, or a record that fails
#define ASYNC_TCP_ERR_TLS_ALERT (-68)      // the peer refused the handshake with an alert
#define ASYNC_TCP_ERR_TLS_CONFIG (-69)     // our own certificate, key or CA does not load

// TLS versions for setTlsVersions() (their wire numbers, as OpenSSL's TLS1_2_VERSION).
#define ASYNC_TCP_TLS_1_2 0x0303
#define ASYNC_TCP_TLS_1_3 0x0304

class AsyncClient;

typedef std::function<void(void *, AsyncClient *)> AcConnectHandler;
typedef std::function<void(void *, AsyncClient *, size_t len, uint32_t time)> AcAckHandler;
typedef std::function<void(void *, AsyncClient *, int8_t error)> AcErrorHandler;
typedef std::function<void(void *, AsyncClient *, void *data, size_t len)> AcDataHandler;
typedef std::function<void(void *, AsyncClient *, struct pbuf *pb)> AcPacketHandler;
typedef std::function<void(void *, AsyncClient *, uint32_t time)> AcTimeoutHandler;

struct tcp_pcb;

#if ASYNC_TCP_SSL_ENABLED
// OpenSSL's session type, as <openssl/types.h> declares it (getSSL()).
typedef struct ssl_st SSL;
// ESPAsyncTCP's file handler (its spelling): the bytes of a named file in *buf, malloc()ed;
// returns their length, 0 when there is no such file.
typedef std::function<int(void *arg, const char *filename, uint8_t **buf)> AcSSlFileHandler;
#endif

namespace asynctcp {
#if defined(ASYNCTCP_HAS_IPV6ADDRESS)
// The 16 bytes of an IPv6Address (its operator[]) as lwIP's ip_addr_t.
inline ip_addr_t toIpAddr(const IPv6Address &ip) {
  ip_addr_t a{};
  IP_SET_TYPE_VAL(a, IPADDR_TYPE_V6);
  uint8_t *b = reinterpret_cast<uint8_t *>(ip_2_ip6(&a)->addr);
  for (int i = 0; i < 16; ++i)
    b[i] = ip[i];
  return a;
}
#endif

struct ClientImpl;
struct ServerImpl;

// Replace the DNS servers used by connect(host, port), e.g. "127.0.0.1:5353,[::1]:53".
// By default the system's resolver configuration is used. Returns false on a bad list, and
// while lookups are in flight (c-ares cannot switch then): call it before connecting.
bool setDnsServers(const char *csv);
}  // namespace asynctcp

class AsyncClient {
public:
  AsyncClient(tcp_pcb *pcb = nullptr);
  ~AsyncClient();

  AsyncClient(const AsyncClient &) = delete;
  AsyncClient &operator=(const AsyncClient &) = delete;

  bool operator==(const AsyncClient &other) const;
  bool operator!=(const AsyncClient &other) const { return !(*this == other); }

  bool connect(const IPAddress &ip, uint16_t port);
#if ASYNC_TCP_SSL_ENABLED
  // ESPAsyncTCP's: secure runs TLS; onConnect runs once the handshake is done and the peer
  // is verified. (Overloads, not a default argument: the library defines the two-argument
  // calls for code built without the flag too.)
  bool connect(const IPAddress &ip, uint16_t port, bool secure);
#endif
  bool connect(ip_addr_t addr, uint16_t port);  // lwIP's address type, v4 or v6
#if defined(ASYNCTCP_HAS_IPV6ADDRESS)
  bool connect(const IPv6Address &ip, uint16_t port) {
    return connect(asynctcp::toIpAddr(ip), port);
  }
#endif
  bool connect(const char *host, uint16_t port);  // resolves asynchronously
#if ASYNC_TCP_SSL_ENABLED
  // With TLS, host is also the SNI name and the name the certificate must carry.
  bool connect(const char *host, uint16_t port, bool secure);
#endif
  void close(bool now = false);  // graceful: queued data is still sent
  void stop() {
    close(false);
  }
  int8_t abort();  // reset the connection; returns ERR_ABRT
  bool free();     // true when the client may be deleted (like freeable())

  bool canSend() const;  // space() > 0
  size_t space() const;  // free room in the send budget (0 unless connected)
  size_t add(const char *data, size_t size, uint8_t apiflags = ASYNC_WRITE_FLAG_COPY);
  bool send();
  size_t write(const char *data, size_t size, uint8_t apiflags = ASYNC_WRITE_FLAG_COPY);
  size_t write(const char *data) {
    return data == nullptr ? 0 : write(data, std::strlen(data));
  }

  uint8_t state() const;
  bool connecting() const;
  bool connected() const;
  bool disconnecting() const;
  bool disconnected() const;
  bool freeable() const;  // disconnected or disconnecting

  uint16_t getMss() const;
  uint32_t getRxTimeout() const;
  void setRxTimeout(uint32_t timeout);  // seconds without received data before closing; 0 = off
  uint32_t getAckTimeout() const;
  void setAckTimeout(uint32_t timeout);  // ms of unacknowledged sent data before onTimeout; 0 = off
  void setNoDelay(bool nodelay) const;   // const as in ESP32Async 3.x
  bool getNoDelay() const;
  void setKeepAlive(uint32_t ms, uint8_t cnt);

  uint32_t getRemoteAddress() const;
  uint16_t getRemotePort() const;
  uint32_t getLocalAddress() const;
  uint16_t getLocalPort() const;
  ip4_addr_t getRemoteAddress4() const;  // 0.0.0.0 for a v6 connection
  ip4_addr_t getLocalAddress4() const;
  ip6_addr_t getRemoteAddress6() const;
  ip6_addr_t getLocalAddress6() const;
  IPAddress remoteIP6() const;
  IPAddress localIP6() const;
  IPAddress remoteIP() const;  // v4 or v6, whichever the connection uses
  uint16_t remotePort() const;
  IPAddress localIP() const;
  uint16_t localPort() const;

  void onConnect(AcConnectHandler cb, void *arg = nullptr);
  void onDisconnect(AcConnectHandler cb, void *arg = nullptr);
  void onAck(AcAckHandler cb, void *arg = nullptr);
  void onError(AcErrorHandler cb, void *arg = nullptr);
  void onData(AcDataHandler cb, void *arg = nullptr);      // called if onPacket is not set
  void onPacket(AcPacketHandler cb, void *arg = nullptr);  // you own the pbuf until ackPacket()
  void onTimeout(AcTimeoutHandler cb, void *arg = nullptr);
  void onPoll(AcConnectHandler cb, void *arg = nullptr);

  void ackPacket(struct pbuf *pb);
  size_t ack(size_t len);  // acknowledge data held back with ackLater(); never more than held
  void ackLater();         // call from onData: the current data stays unacknowledged

  static const char *errorToString(int8_t error);
  const char *stateToString() const;

  // Beyond the ESP32 API.
  void setConnectTimeout(uint32_t ms);  // 0 = only the kernel's own limit
  uint32_t getConnectTimeout() const;
  void setPollInterval(uint32_t ms);  // onPoll cadence while connected
  uint32_t getPollInterval() const;
  // The send budget that space() counts against (posix; lwIP's is TCP_SND_BUF). Bulk
  // transfers on Linux want more than the ESP32-sized default, e.g. 1 MiB.
  void setSendBuffer(size_t bytes);
  size_t getSendBuffer() const;
  int lastErrno() const;  // the OS error behind the last onError, 0 if none

#if ASYNC_TCP_SSL_ENABLED
  // TLS settings for connect(..., true), copied, kept across connects (the names and
  // arguments AsyncTCPSock and the mbedTLS forks use). By default the peer is verified
  // against the system's trust store; a root CA replaces it. setPsk() (hex key) uses
  // pre-shared keys instead of certificates; fingerprints (SHA-256 of the peer's DER
  // certificate, 32 bytes) are checked on top of the chain, or instead of it when no root
  // CA is set. setInsecure() turns verification off: never the default.
  void setRootCa(const char *rootca, const size_t len);
  void setClientCert(const char *cli_cert, const size_t len);
  void setClientKey(const char *cli_key, const size_t len);
  void setPsk(const char *psk_ident, const char *psk);
  bool addServerFingerprint(const uint8_t *sha256, size_t len = 32);
  void setInsecure(bool insecure = true);
  // [ext] The TLS versions to offer (default: 1.2 to 1.3); false for anything else.
  bool setTlsVersions(uint16_t min, uint16_t max = ASYNC_TCP_TLS_1_3);
  bool secure() const;  // the connection (or the one being made) uses TLS
  SSL *getSSL();        // OpenSSL's session while connected over TLS, else null
#endif

  // Unused by this library; kept because ESP32 code links clients through them.
  AsyncClient *prev = nullptr;
  AsyncClient *next = nullptr;

private:
  friend struct asynctcp::ClientImpl;
  friend struct asynctcp::ServerImpl;
  asynctcp::ClientImpl *_impl;
};

class AsyncServer {
public:
  AsyncServer(IPAddress addr, uint16_t port);
  AsyncServer(ip_addr_t addr, uint16_t port);
#if defined(ASYNCTCP_HAS_IPV6ADDRESS)
  AsyncServer(const IPv6Address &addr, uint16_t port)
      : AsyncServer(asynctcp::toIpAddr(addr), port) {}
#endif
  AsyncServer(uint16_t port);  // all addresses, IPv4 and IPv6
  ~AsyncServer();

  AsyncServer(const AsyncServer &) = delete;
  AsyncServer &operator=(const AsyncServer &) = delete;

  void onClient(AcConnectHandler cb, void *arg);
  void begin();  // status() tells whether it listens
  void end();    // stops listening; accepted clients stay connected
  void setNoDelay(bool nodelay);
  bool getNoDelay() const;
  uint8_t status() const;  // LISTEN or CLOSED

#if ASYNC_TCP_SSL_ENABLED
  // TLS for every accepted connection (ESPAsyncTCP's calls). cert and key are PEM text, or
  // names of PEM files: read through the onSslFileRequest handler when one is set (it
  // returns the length and a malloc()ed buffer that the server free()s), else from the
  // filesystem. Listens as begin() does; false, and not listening, when they do not load.
  // onClient runs once a connection's handshake is done; a failed handshake is dropped
  // without callbacks.
  void onSslFileRequest(AcSSlFileHandler cb, void *arg);
  bool beginSecure(const char *cert, const char *private_key_file, const char *password);
  // Pre-shared key (hex) instead of, or beside, a certificate: set before beginSecure(),
  // which then takes null cert and key for PSK alone.
  void setPsk(const char *psk_ident, const char *psk);
  // [ext] The TLS versions to accept (default: 1.2 to 1.3), set before beginSecure().
  bool setTlsVersions(uint16_t min, uint16_t max = ASYNC_TCP_TLS_1_3);
#endif

  // Beyond the ESP32 API: the bound port (useful after binding port 0), 0 when not listening.
  uint16_t port() const;
  int lastErrno() const;  // the OS error of the last failed begin(), 0 if none

private:
  friend struct asynctcp::ServerImpl;
  asynctcp::ServerImpl *_impl;
};

#endif  // ASYNCTCP_H_
