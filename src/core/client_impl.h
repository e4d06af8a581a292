// The state of one AsyncClient, owned by the service thread. It outlives the
// AsyncClient when the user deletes the client inside a callback: the dispatch
// code checks `owner` after every callback and the service frees it later.
#pragma once

#include <cstdint>
#include <string>

#include "AsyncTCP.h"
#include "backends/backend.h"

namespace asynctcp {

struct Handlers {
  AcConnectHandler connect, disconnect, poll;
  AcAckHandler ack;
  AcErrorHandler error;
  AcDataHandler data;
  AcPacketHandler packet;
  AcTimeoutHandler timeout;
  void *connectArg = nullptr, *disconnectArg = nullptr, *pollArg = nullptr, *ackArg = nullptr,
       *errorArg = nullptr, *dataArg = nullptr, *packetArg = nullptr, *timeoutArg = nullptr;
};

struct ClientImpl {
  explicit ClientImpl(AsyncClient *o) : owner(o) {}

  AsyncClient *owner;  // null once the user deleted the client
  backend::Conn *conn = nullptr;
  backend::DnsQuery *dns = nullptr;
  uint8_t state = CLOSED;
  Handlers h;

  // Settings (kept across reconnects, as on ESP32).
  uint32_t ackTimeoutMs = CONFIG_ASYNC_TCP_MAX_ACK_TIME;
  uint32_t rxTimeoutS = 0;
  uint32_t connectTimeoutMs = CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS;
  uint32_t pollIntervalMs = CONFIG_ASYNC_TCP_POLL_INTERVAL_MS;
  size_t sendBuffer = CONFIG_ASYNC_TCP_SEND_BUFFER;
  bool noDelay = false;

  // Timestamps (ms), reset on every connect so a reused client never sees stale ones.
  uint64_t nextPollAt = 0, lastRxAt = 0, txPendingSince = 0, connectDeadline = 0;

  // Receive flow control.
  size_t rxHeld = 0;     // received, held back by ackLater()/onPacket, not yet acked
  bool ackNow = true;    // cleared by ackLater() for the current delivery
  bool reading = true;   // whether the backend reads this connection
  bool finHeld = false;  // the peer's FIN, waiting behind data held by ackLater()

  // Ending.
  bool endPending = false;
  err_t endErr = ERR_OK;
  int lastErrno = 0;

  // Kept after the connection ends so onDisconnect can still read them.
  IPAddress localIp, remoteIp;
  uint16_t localPort = 0, remotePort = 0;
  uint16_t connectPort = 0;

  size_t trackIndex = SIZE_MAX;  // position in the service's timer list

  // Starting.
  void attachAccepted(backend::Conn *c, bool serverNoDelay);
  bool connectTo(const IPAddress &ip, uint16_t port);
  bool connectToHost(const char *host, uint16_t port);

  // Stopping.
  void close();
  void abort(err_t reason);
  void detachOwner();  // the user deleted the AsyncClient
  void deliverEnd();   // called by the service: onError, then onDisconnect

  // Sending and receiving.
  size_t add(const char *data, size_t size, uint8_t flags, bool pushNow);
  bool send();
  size_t ack(size_t len);
  void release(size_t len);  // held data acknowledged: open the window, maybe resume reading

  // Events from the backend.
  void onConnected();
  void onReceived(const uint8_t *data, size_t len);
  void onReceivedPackets(struct pbuf *chain);
  void onFin();
  void onAcked(size_t len);
  void onFailed(err_t err, int sysErr);
  void onResolved(const IPAddress *ip);

  // Timers: fires what is due; returns the next deadline (UINT64_MAX: none).
  uint64_t nextDeadline() const;
  void fireTimers(uint64_t now);

private:
  void beginConnection(uint64_t now);
  void end(err_t err);
  void cacheAddresses();
  void noteSent();
  void limitReading();
};

}  // namespace asynctcp
