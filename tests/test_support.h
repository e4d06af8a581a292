// Shared helpers for the AsyncTCP tests: bounded waits, raw BSD-socket peers, a fake DNS
// server, an event recorder for AsyncClient, a streaming sender and an echo server.
//
// Threading rule of the suite: callbacks run on the library's service thread, assertions run on
// the test's main thread. Everything a callback writes and the test body reads goes through a
// mutex or an atomic here, so the suite itself is clean under TSan.
#pragma once

#include <AsyncTCP.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tst {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * 1024;

// Polls pred until it returns true or the timeout passes; returns pred's last value.
bool waitFor(const std::function<bool()> &pred, milliseconds timeout = 5000ms);

// For negative checks: true when pred stayed false for the whole duration.
bool staysFalse(const std::function<bool()> &pred, milliseconds duration);

// Deterministic test bytes: byte i of stream `seed`.
uint8_t patternByte(uint64_t index, uint32_t seed);
std::string pattern(size_t size, uint32_t seed = 1, uint64_t start = 0);
uint64_t checksum(const void *data, size_t size);
inline uint64_t checksum(const std::string &s) {
  return checksum(s.data(), s.size());
}

IPAddress loopback4();
IPAddress loopback6();

// ---------------------------------------------------------------------------------------------
// The stack under test, and where each side of a test lives.
//
// posix: everything on the host's loopback. lwip: the library runs on lwIP, and the suite's
// raw BSD-socket peers are Linux sockets on the other end of a TAP link (test_main.cpp makes it
// in a network namespace of the test's own). An AsyncClient talking to an AsyncServer of the
// same process may use loopback4()/loopback6() on both stacks (lwIP has a loopback netif of its
// own); anything a raw peer reaches, or that reaches a raw peer, uses the addresses below.
#if defined(ASYNCTCP_BACKEND_LWIP)
constexpr bool kLwip = true;
#else
constexpr bool kLwip = false;
#endif
const char *backendName();  // "posix" or "lwip"

IPAddress stackIp4();  // the library's side: AsyncServers that raw peers connect to listen here
IPAddress stackIp6();
IPAddress peerIp4();  // the raw peers' side: RawListener binds here, AsyncClients connect here
IPAddress peerIp6();

// The most a connection whose received bytes are all held back (ackLater) is handed: epoll
// stops reading at its 64 KiB window, one read past it at most; io_uring's receive ends at
// its limit (kernel 6.17: 128 KiB while nothing is held, then the window's edge), one read
// past it, or before 6.17 a pass later (up to the ring's 64 buffers past it); lwIP delivers
// what its window let in.
size_t receiveHoldBound();

// Whether the running kernel's release is at least major.minor (uname).
bool kernelAtLeast(int major, int minor);

// Sets a SOL_SOCKET option on the library's own IPv4 TCP socket with this local port (posix:
// found among this process's fds; lwIP has none). Tests only: reaches past the API.
void setLibrarySocketOption(uint16_t localPort, int name, int value);

// space() of a fresh connection: posix's configurable send budget, or lwIP's TCP_SND_BUF
// (tcp_sndbuf() of a new pcb; 65,535 in Debian's lwipopts).
size_t sendBudget();

// The errno lastErrno() reports for an ending caused by OS error `e`: e on posix; 0 on lwIP,
// where no OS call stands behind a connection (lastErrno() is "0 if none").
int osErrno(int e);

// FIFO of bytes with an amortised O(1) pop from the front (echo servers' pending output).
struct ByteQueue {
  std::string buf;
  size_t head = 0;
  size_t size() const { return buf.size() - head; }
  const char *data() const { return buf.data() + head; }
  void append(const void *d, size_t n) { buf.append(static_cast<const char *>(d), n); }
  void pop(size_t n) {
    head += n;
    if (head == buf.size()) {
      buf.clear();
      head = 0;
    } else if (head > 1 * kMiB && head > buf.size() / 2) {
      buf.erase(0, head);
      head = 0;
    }
  }
};

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
size_t raiseFdLimit();

// Returns once the process's descriptors stay the same for 20 ms (at most 1 s): the
// io_uring engine closes the fd of a connection or listener ended from another thread on
// its next pass, not inside the call, so a baseline or a fill taken at once could count it.
void waitFdsSettled();

// Lowers RLIMIT_NOFILE's soft limit to a little above what is open (`headroom` more) and
// fills the rest with sockets, so the next socket()/accept() of this process fails with a
// real EMFILE. Restored on release() or destruction.
class FdLimitReached {
public:
  explicit FdLimitReached(int headroom = 16);
  ~FdLimitReached() { release(); }
  FdLimitReached(const FdLimitReached &) = delete;
  FdLimitReached &operator=(const FdLimitReached &) = delete;
  void release();
  bool reached() const { return _errno == EMFILE; }

private:
  uint64_t _oldSoft = 0, _oldHard = 0;
  std::vector<int> _fillers;
  int _errno = 0;
};

// ---------------------------------------------------------------------------------------------
// Raw peers (plain BSD sockets, independent of the library under test).

enum class PeerEnd { Eof, Reset, Timeout, Error };
const char *toString(PeerEnd end);
inline void PrintTo(PeerEnd end, std::ostream *os) {
  *os << toString(end);
}

class RawSocket {
public:
  explicit RawSocket(int fd = -1) : _fd(fd) {}
  ~RawSocket();
  RawSocket(RawSocket &&other) noexcept : _fd(other.release()) {}
  RawSocket &operator=(RawSocket &&other) noexcept;
  RawSocket(const RawSocket &) = delete;
  RawSocket &operator=(const RawSocket &) = delete;

  int fd() const { return _fd; }
  bool valid() const { return _fd >= 0; }
  int release();
  void close();

  uint16_t localPort() const;
  uint16_t remotePort() const;

  bool sendAll(const void *data, size_t size, milliseconds timeout = 5000ms);
  bool sendAll(const std::string &s, milliseconds timeout = 5000ms) {
    return sendAll(s.data(), s.size(), timeout);
  }
  // Non-blocking send: bytes taken (0 when the kernel buffer is full), -1 on error.
  long trySend(const void *data, size_t size);
  // Appends exactly `size` bytes to out; false on timeout, EOF or error.
  bool recvExactly(size_t size, std::string &out, milliseconds timeout = 5000ms);
  // Reads (appending to out when given) until EOF, reset, error or timeout.
  PeerEnd readUntilEnd(milliseconds timeout = 5000ms, std::string *out = nullptr);
  // Sends out (then shutdown(SHUT_WR) when asked) while reading into in, until the other end
  // finishes the connection or the timeout passes.
  PeerEnd exchange(const std::string &out, bool shutdownAfterSend, std::string &in,
                   milliseconds timeout = 10000ms);
  // Waits for readable data/EOF; true when poll says readable.
  bool waitReadable(milliseconds timeout);

  void shutdownWrite();
  void closeWithReset();  // SO_LINGER {1, 0} then close: the peer gets a RST
  void setBuffers(int rcvbuf, int sndbuf);
  void setNonBlocking(bool on);

private:
  int _fd;
};

// Blocking connect (bounded by timeout). Optional buffer sizes are set before connecting.
RawSocket rawConnect(const char *ip, uint16_t port, int rcvbuf = 0, int sndbuf = 0,
                     milliseconds timeout = 5000ms);
RawSocket rawConnect(const IPAddress &ip, uint16_t port, int rcvbuf = 0, int sndbuf = 0,
                     milliseconds timeout = 5000ms);

class RawListener {
public:
  // rcvbuf/sndbuf are set on the listening socket so accepted sockets inherit them.
  explicit RawListener(const IPAddress &ip = peerIp4(), int backlog = 64, int rcvbuf = 0,
                       int sndbuf = 0);
  explicit RawListener(const char *ip, int backlog = 64, int rcvbuf = 0, int sndbuf = 0);
  uint16_t port() const { return _port; }
  const IPAddress &ip() const { return _ip; }
  RawSocket accept(milliseconds timeout = 5000ms);
  void close() { _sock.close(); }

private:
  RawSocket _sock;
  IPAddress _ip;
  uint16_t _port = 0;
};

// A listener on peerIp4() (backlog 0, never accepts) whose accept queue is already full, so a
// new connect to it stays in SYN_SENT: Linux drops SYNs for a listener with a full accept queue.
class HangingListener {
public:
  HangingListener();
  uint16_t port() const { return _listener.port(); }

private:
  RawListener _listener;
  std::vector<RawSocket> _fillers;
};

// A port with nothing listening on peerIp4() (kept bound, so nobody else takes it):
// connecting to it is refused with a RST.
class ClosedPort {
public:
  ClosedPort();
  uint16_t port() const { return _port; }

private:
  RawSocket _sock;
  uint16_t _port = 0;
};

// ---------------------------------------------------------------------------------------------
// A tiny DNS server on the host's 127.0.0.1 (UDP, port 0; the lwIP build resolves names with the
// host's resolver too). Answers every query: NXDOMAIN, or for type A an A record 127.0.0.1
// (other types get an empty NOERROR answer).
class FakeDnsServer {
public:
  enum class Mode { NxDomain, AnswerLoopback };
  explicit FakeDnsServer(Mode mode);
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer &) = delete;
  FakeDnsServer &operator=(const FakeDnsServer &) = delete;

  uint16_t port() const { return _port; }
  std::string spec() const;  // "127.0.0.1:<port>" for asynctcp::setDnsServers
  int queries() const { return _queries.load(); }
  std::vector<std::string> names() const;

private:
  void serve();
  Mode _mode;
  int _fd = -1;
  uint16_t _port = 0;
  std::atomic<bool> _stop{false};
  std::atomic<int> _queries{0};
  mutable std::mutex _mutex;
  std::vector<std::string> _names;
  std::thread _thread;
};

// ---------------------------------------------------------------------------------------------
// Records every callback of one AsyncClient. Optional hooks run after recording, on the
// service thread, without the log's lock held (they may call client methods or delete it).
struct ClientHooks {
  std::function<void(AsyncClient *)> onConnect;
  std::function<void(AsyncClient *)> onDisconnect;
  std::function<void(AsyncClient *, int8_t)> onError;
  std::function<void(AsyncClient *, void *, size_t)> onData;
  std::function<void(AsyncClient *, size_t, uint32_t)> onAck;
  std::function<void(AsyncClient *, uint32_t)> onTimeout;
  std::function<void(AsyncClient *)> onPoll;
};

class ClientLog {
public:
  ClientLog() = default;
  ClientLog(const ClientLog &) = delete;
  ClientLog &operator=(const ClientLog &) = delete;

  // Registers all handlers on c (onData, not onPacket). The log must outlive c's callbacks.
  void attach(AsyncClient &c, ClientHooks hooks = {});

  int connects() const;
  int disconnects() const;
  int polls() const;
  int timeouts() const;
  std::vector<int> errors() const;
  std::vector<std::string> events() const;     // "connect", "data", "error:-14", "disconnect", ...
  std::vector<std::string> lifecycle() const;  // events() without data/ack/poll/timeout
  std::string data() const;
  size_t received() const;
  size_t acked() const;
  size_t ackCalls() const;
  std::vector<Clock::time_point> pollTimes() const;
  std::vector<uint32_t> timeoutValues() const;
  Clock::time_point disconnectTime() const;
  std::set<std::thread::id> callbackThreads() const;
  // Callbacks that arrived after onDisconnect (for the same connection) or while another of
  // this client's callbacks was running.
  int lateCallbacks() const;
  int reentrantCallbacks() const;

  bool waitConnected(milliseconds timeout = 5000ms) const;
  bool waitDisconnected(milliseconds timeout = 5000ms) const;
  bool waitReceived(size_t bytes, milliseconds timeout = 5000ms) const;
  bool waitAcked(size_t bytes, milliseconds timeout = 5000ms) const;

  // From now on every callback counts as late (call it right before deleting the client).
  void markDeleted();

  // Allows a new connection on the same client object (reconnect tests).
  void resetForReconnect();

private:
  struct Guard;  // marks "inside a callback" for reentrancy detection
  void record(const std::string &event);

  ClientHooks _hooks;
  mutable std::mutex _m;
  int _connects = 0, _disconnects = 0, _polls = 0, _timeouts = 0, _late = 0, _reentrant = 0;
  int _depth = 0;
  bool _ended = false;
  std::vector<int> _errors;
  std::vector<std::string> _events;
  std::string _data;
  size_t _acked = 0, _ackCalls = 0;
  std::vector<Clock::time_point> _pollTimes;
  std::vector<uint32_t> _timeoutValues;
  Clock::time_point _disconnectTime{};
  std::set<std::thread::id> _threads;
};

// Pushes a payload through an AsyncClient as fast as space() allows; call pump() from
// onConnect/onAck/onPoll hooks. Only the service thread calls pump(); sent() may be read anywhere.
class Sender {
public:
  explicit Sender(std::string payload, uint8_t flags = ASYNC_WRITE_FLAG_COPY,
                  size_t maxChunk = 64 * kKiB)
      : _payload(std::move(payload)), _flags(flags), _maxChunk(maxChunk) {}
  void pump(AsyncClient *c);
  size_t sent() const { return _sent.load(); }
  bool done() const { return _sent.load() == _payload.size(); }
  const std::string &payload() const { return _payload; }

private:
  std::string _payload;
  uint8_t _flags;
  size_t _maxChunk;
  std::atomic<size_t> _sent{0};
};

// ClientHooks that pump `sender` from onConnect, onAck and onPoll.
ClientHooks pumpingHooks(Sender &sender);

// Connects c to the listener (at the listener's address unless ip is given) and accepts the raw
// peer; returns an invalid socket (and the test should fail) when the connect or the accept does
// not happen in time.
RawSocket connectAndAccept(AsyncClient &c, const ClientLog &log, RawListener &listener);
RawSocket connectAndAccept(AsyncClient &c, const ClientLog &log, RawListener &listener,
                           const IPAddress &ip);

// ---------------------------------------------------------------------------------------------
// An echo server on AsyncServer. Accepted clients are deleted in their onDisconnect. It listens on
// loopback4() unless told otherwise: pass stackIp4() when raw peers connect to it.
// flowControl = false: unbounded buffering of what cannot be sent yet.
// flowControl = true: ESP32-style back-pressure: received data is acknowledged (ack()) only once
// it has been queued for sending, so a slow reader slows the writer instead of growing memory.
class EchoServer {
public:
  explicit EchoServer(IPAddress addr = loopback4(), bool flowControl = false);
  // Takes an already constructed (not yet begun) server, e.g. AsyncServer(uint16_t(0)).
  explicit EchoServer(std::unique_ptr<AsyncServer> server, bool flowControl = false);
  // Stops listening and waits (bounded) for every accepted client to disconnect.
  ~EchoServer();
  EchoServer(const EchoServer &) = delete;
  EchoServer &operator=(const EchoServer &) = delete;

  AsyncServer &server() { return *_server; }
  uint16_t port() { return _server->port(); }
  bool listening() { return _server->status() == LISTEN; }

  int accepted() const;
  int live() const;
  int disconnects() const;
  std::vector<int> errors() const;
  size_t bytesEchoed() const;
  std::vector<IPAddress> remoteIPs() const;
  bool waitAccepted(int n, milliseconds timeout = 5000ms) const;
  bool waitAllDisconnected(milliseconds timeout = 5000ms) const;

  struct State;

private:
  void start(bool flowControl);
  std::unique_ptr<AsyncServer> _server;
  std::shared_ptr<State> _state;
};

}  // namespace tst
