// The user-space send queue: what the kernel did not take yet, in the connection's Tx,
// which exists only while the connection sends, waits for acks or closes; released Tx
// are pooled (one per request otherwise).
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backends/posix/ack_tracker.h"
#include "backends/posix/internal.h"

namespace asynctcp::backend {

namespace {
constexpr size_t kMinChunk = 4096;
constexpr size_t kRingChunk = 1024;
constexpr int kMaxIov = 64;
constexpr size_t kTxPoolMax = 256;
constexpr size_t kPooledQueueMax = 16;

// Back to the pool (bounded), after freeing what the queue still holds (a
// connection that died with data queued).
void txRecycle(Tx *tx) {
  for (size_t i = tx->queueHead; i < tx->queue.size(); ++i)
    std::free(tx->queue[i].owned);
  std::vector<Tx *> &pool = loop().txPool;
  if (pool.size() >= kTxPoolMax) {
    std::free(tx->ringMsg);
    std::free(tx->spare);
    delete tx;
    return;
  }
  if (tx->queue.capacity() > kPooledQueueMax)
    std::vector<SendChunk>().swap(tx->queue);  // a bulk sender's long queue is not kept
  if (tx->ringIovs > 4) {                      // nor its large SENDMSG block (io_uring)
    std::free(tx->ringMsg);
    tx->ringMsg = nullptr;
    tx->ringIovs = 0;
  }
  tx->queue.clear();
  tx->queueHead = tx->queued = 0;
  tx->nextProbeUs = tx->waitingSinceUs = tx->lingerUntil = 0;
  tx->probeDelayUs = 0;
  tx->tailLooks = 0;
  pool.push_back(tx);
}

void popChunks(Tx *tx, size_t n) {
  while (n) {
    SendChunk &ch = tx->queue[tx->queueHead];
    size_t take = std::min(n, ch.len);
    ch.data += take;
    ch.len -= take;
    n -= take;
    if (ch.len == 0) {
      // io_uring copies every small write: one buffer stays with the Tx (and the Tx pool)
      // for the next, as malloc's per-thread cache would not (many are freed at once).
      if (ch.cap == kRingChunk && !tx->spare)
        tx->spare = ch.owned;
      else
        std::free(ch.owned);
      ++tx->queueHead;
    }
  }
  if (tx->queueHead == tx->queue.size()) {
    tx->queue.clear();
    tx->queueHead = 0;
  }
}

}  // namespace

void txSent(Conn *c, size_t n) {
  Tx *tx = c->tx;
  tx->queued -= n;
  popChunks(tx, n);
  acks::afterWrite(c, n);
}

Tx &txOf(Conn *c) {
  if (!c->tx) {
    std::vector<Tx *> &pool = loop().txPool;
    if (pool.empty()) {
      c->tx = new Tx();
    } else {
      c->tx = pool.back();
      pool.pop_back();
    }
  }
  return *c->tx;
}

void txRelease(Conn *c) {
  Tx *tx = c->tx;
  if (tx && tx->queued == 0 && !c->inAckWatch && !c->lingering) {
    c->tx = nullptr;
    txRecycle(tx);
  }
}

void txDrop(Conn *c) {
  if (Tx *tx = c->tx) {
    c->tx = nullptr;
    txRecycle(tx);
  }
}

void enqueue(Conn *c, const char *data, size_t n, bool copy, bool more) {
  Tx &tx = txOf(c);
  if (copy) {
    // Append to the last copied chunk when it has room: small writes share memory.
    if (tx.queue.size() > tx.queueHead) {
      SendChunk &t = tx.queue.back();
      if (t.owned && t.more == more && t.data + t.len + n <= t.owned + t.cap) {
        std::memcpy(const_cast<char *>(t.data) + t.len, data, n);
        t.len += n;
        tx.queued += n;
        return;
      }
    }
    // io_uring queues every write, so its copies are small and many.
    size_t cap = std::max(n, c->viaRing ? kRingChunk : kMinChunk);
    char *buf = tx.spare;
    if (cap == kRingChunk && buf)
      tx.spare = nullptr;
    else
      buf = static_cast<char *>(std::malloc(cap));
    std::memcpy(buf, data, n);
    tx.queue.push_back(SendChunk{buf, n, buf, cap, more});
  } else {
    tx.queue.push_back(SendChunk{data, n, nullptr, 0, more});
  }
  tx.queued += n;
}

int gatherQueue(const Tx *tx, iovec *iov, int max, bool *more) {
  int n = 0;
  for (size_t i = tx->queueHead; i < tx->queue.size() && n < max; ++i, ++n) {
    iov[n].iov_base = const_cast<char *>(tx->queue[i].data);
    iov[n].iov_len = tx->queue[i].len;
    *more = tx->queue[i].more;
  }
  return n;
}

// Sends as much of the queue as the kernel takes. Returns 0 or an errno.
int flushQueue(Conn *c) {
  while (c->queued()) {
    Tx *tx = c->tx;
    iovec iov[kMaxIov];
    bool more = false;
    const int n = gatherQueue(tx, iov, kMaxIov, &more);
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = size_t(n);
    int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
    ssize_t w = acks::sendmsg(c, &m, flags);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->writable = false;
        return 0;
      }
      return errno;
    }
    tx->queued -= size_t(w);
    popChunks(tx, size_t(w));
    acks::afterWrite(c, size_t(w));
  }
  txRelease(c);
  return 0;
}

void ownQueuedBytes(Conn *c) {
  if (Tx *tx = c->tx) {
    for (size_t i = tx->queueHead; i < tx->queue.size(); ++i) {
      SendChunk &ch = tx->queue[i];
      if (ch.owned)
        continue;
      ch.owned = static_cast<char *>(std::malloc(ch.len));
      std::memcpy(ch.owned, ch.data, ch.len);
      ch.data = ch.owned;
      ch.cap = ch.len;
    }
  }
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
