// Waking the loop from another thread while it waits in io_uring_enter(), both ways the
// engine can: ring messages (kernel 6.13) and the eventfd read. No wake-up is lost: each
// one that finds the loop waiting ends the wait, and one sent before the wait is not lost.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "backends/uring/ring_support.h"
#include "backends/uring/waker.h"

using asynctcp::backend::uring::probeRing;
using asynctcp::backend::uring::setUpRing;
using asynctcp::backend::uring::Waker;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kWakeTag = 0xAB;

// Waits up to `timeout` for the wake-up's completion; true if it came.
bool waitWoken(io_uring *ring, Waker &w, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    __kernel_timespec ts{left.count() / 1000000, (left.count() % 1000000) * 1000};
    io_uring_cqe *cqe = nullptr;
    int r = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
    if (r == -ETIME)
      return false;
    if (r < 0 && r != -EINTR)
      return false;
    bool woken = false;
    while (io_uring_peek_cqe(ring, &cqe) == 0) {
      woken = woken || cqe->user_data == kWakeTag;
      io_uring_cqe_seen(ring, cqe);
    }
    if (woken) {
      w.woken();
      return true;
    }
  }
}

void wakesFromAnotherThread(bool allowMessages) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring cannot run here: " << probeRing().why;
  io_uring ring;
  ASSERT_EQ(setUpRing(&ring, 64, 2, nullptr), 0);
  Waker w;
  ASSERT_EQ(w.setUp(&ring, kWakeTag, allowMessages), 0);
  if (allowMessages && !w.usesMessages())
    std::printf("note: no ring messages from other threads here (kernel < 6.13): eventfd\n");
  if (w.usesMessages()) {
    ASSERT_TRUE(waitWoken(&ring, w, 1000ms)) << "the probe's own message never arrived";
  }
  // Not lost when sent before the loop waits.
  w.wake();
  EXPECT_TRUE(waitWoken(&ring, w, 2000ms));
  // Nothing more pending: a wait now times out.
  EXPECT_FALSE(waitWoken(&ring, w, 50ms));
  // 200 rounds from another thread, each wake sent while the loop waits (or about to).
  std::atomic<int> round{0};
  std::atomic<bool> stop{false};
  std::thread other([&] {
    int sent = -1;
    while (!stop.load()) {
      int r = round.load();
      if (r != sent) {
        std::this_thread::sleep_for(200us);
        w.wake();
        sent = r;
      }
      std::this_thread::yield();
    }
  });
  int missed = 0;
  for (int i = 0; i < 200; ++i) {
    if (!waitWoken(&ring, w, 2000ms))
      ++missed;
    round.store(i + 1);
  }
  stop.store(true);
  other.join();
  EXPECT_EQ(missed, 0);
  w.tearDown();
  io_uring_queue_exit(&ring);
}

}  // namespace

TEST(Waker, RingMessagesWakeTheLoopAndNoneIsLost) {
  wakesFromAnotherThread(true);
}

TEST(Waker, TheEventfdWakesTheLoopAndNoneIsLost) {
  wakesFromAnotherThread(false);
}
