// Memory per connection, the regression of an ESP32 AsyncTCP bug class: heap, RSS and
// descriptors come back to their baseline after thousands of connections.
#include "reliability_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

using namespace tst;
using namespace rel;

TEST(MemoryPerConnection, ReturnsToBaselineAfterFiveThousandConnections) {
  // A server that keeps nothing per connection (test_support's EchoServer records every
  // peer address), so what the heap holds afterwards is the library's.
  AsyncServer server(loopback4(), 0);
  std::atomic<int> accepted{0}, live{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        accepted++;
        live++;
        c->onData([](void *, AsyncClient *cl, void *data, size_t len) {
          cl->write(static_cast<const char *>(data), len);
        });
        c->onDisconnect([&](void *, AsyncClient *cl) {
          live--;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  const uint16_t port = server.port();
  const int total = scaled(5000, 1000);
  constexpr int kBatch = 100;
  auto cycle = [&](int connections) {
    for (int done = 0; done < connections; done += kBatch) {
      std::vector<std::unique_ptr<AsyncClient>> batch;
      std::vector<std::unique_ptr<ClientLog>> logs;
      for (int i = 0; i < kBatch; ++i) {
        batch.push_back(std::make_unique<AsyncClient>());
        logs.push_back(std::make_unique<ClientLog>());
        ClientHooks hooks;
        hooks.onConnect = [](AsyncClient *cl) { cl->write("0123456789"); };
        hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->close(); };
        logs.back()->attach(*batch.back(), hooks);
        ASSERT_TRUE(batch.back()->connect(loopback4(), port));
      }
      for (auto &l : logs)
        ASSERT_TRUE(l->waitDisconnected());
    }
  };
  // Warm-up with as many connections as are measured: the library's and the allocator's high
  // water marks (vectors of ends and completions sized by the busiest pass, which a loaded
  // machine makes busier) are reached here, so what the measured cycle adds is what leaks.
  cycle(total);
  ASSERT_TRUE(waitFor([&] { return live.load() == 0; }));
  const size_t fds = openFdCount();
  const size_t heap0 = heapInUse();
  const size_t rss0 = rssKiB();
  cycle(total);
  ASSERT_TRUE(waitFor([&] { return live.load() == 0; }));
  EXPECT_TRUE(waitFdsAtMost(fds, 3000ms)) << openFdCount() << " fds, baseline " << fds;
  // The last batch was deleted on this thread: the service thread frees its state at the end
  // of its next pass. A leak never comes back down; give that pass a moment.
  size_t heap1 = heapInUse();
  if (!kSanitized)
    waitFor([&] { return (heap1 = heapInUse()) < heap0 + 64 * 1024; }, 2000ms);
  const size_t rss1 = rssKiB();
  std::printf("[memory] %d connections: heap %zu -> %zu bytes, RSS %zu -> %zu KiB\n", total, heap0,
              heap1, rss0, rss1);
  if (!kSanitized) {
    // 5,000 leaked connection objects would be hundreds of KiB; allow allocator noise.
    EXPECT_LT(heap1, heap0 + 64 * 1024)
        << "heap grew by " << (heap1 - heap0) << " bytes over " << total << " connections";
  }
  if (!kAsan) {  // ASan's quarantine holds freed memory on purpose
    EXPECT_LT(rss1, rss0 + 16 * 1024) << "RSS grew by " << (rss1 - rss0) << " KiB";
  }
  EXPECT_EQ(accepted.load(), 2 * total);
  server.end();
}
