// Time and randomness: millis()/micros() count from the first call (the runner makes
// that call before setup()), delay() ends early when the sketch is asked to stop.
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "Arduino.h"
#include "lifecycle.h"

namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point start() {
  static const Clock::time_point t0 = Clock::now();
  return t0;
}

std::mutex randomLock;
std::mt19937 &engine() {
  static std::mt19937 e(std::random_device{}());
  return e;
}

}  // namespace

unsigned long millis() {
  const auto t = start();
  return static_cast<unsigned long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

unsigned long micros() {
  const auto t = start();
  return static_cast<unsigned long>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
}

void delay(uint32_t ms) {
  asynctcp::arduino::sleepUnlessStopped(ms);
}

void delayMicroseconds(uint32_t us) {
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

void yield() {
  std::this_thread::yield();
}

void randomSeed(unsigned long seed) {
  std::lock_guard<std::mutex> lock(randomLock);
  engine().seed(static_cast<std::mt19937::result_type>(seed));
}

long random(long howbig) {
  return howbig <= 0 ? 0 : random(0, howbig);
}

long random(long howsmall, long howbig) {
  if (howsmall >= howbig)
    return howsmall;
  std::lock_guard<std::mutex> lock(randomLock);
  return std::uniform_int_distribution<long>(howsmall, howbig - 1)(engine());
}

long map(long x, long inMin, long inMax, long outMin, long outMax) {
  if (inMax == inMin)
    return outMin;
  return (x - inMin) * (outMax - outMin) / (inMax - inMin) + outMin;
}
