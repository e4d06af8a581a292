// ESP-IDF and arduino-esp32 logging: one sink for both (stdout by default, like the UART
// that Serial shares on ESP32), a default run-time level and per-tag levels. Each line is
// written with one sink call, so lines from different threads do not interleave.
#include <Arduino.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "esp32-hal-log.h"
#include "esp_log.h"

namespace {

std::atomic<vprintf_like_t> sink{&std::vprintf};
std::atomic<int> defaultLevel{CONFIG_LOG_DEFAULT_LEVEL};
std::atomic<bool> anyTagLevel{false};  // spares the lock while no tag has its own level

// Function-local, so logging from another global's constructor finds it constructed.
struct TagLevels {
  std::mutex lock;
  std::map<std::string, esp_log_level_t> levels;
};
TagLevels &tagLevels() {
  static TagLevels *levels = new TagLevels;  // never destroyed: threads may log at exit
  return *levels;
}

int writeThroughSink(const char *format, va_list args) {
  return sink.load()(format, args);
}

}  // namespace

extern "C" {

void esp_log_level_set(const char *tag, esp_log_level_t level) {
  if (tag == nullptr)
    return;
  TagLevels &t = tagLevels();
  std::lock_guard<std::mutex> hold(t.lock);
  if (std::strcmp(tag, "*") == 0) {
    defaultLevel = level;
    t.levels.clear();
    anyTagLevel = false;
    return;
  }
  t.levels[tag] = level;
  anyTagLevel = true;
}

esp_log_level_t esp_log_level_get(const char *tag) {
  if (tag != nullptr && anyTagLevel) {
    TagLevels &t = tagLevels();
    std::lock_guard<std::mutex> hold(t.lock);
    const auto found = t.levels.find(tag);
    if (found != t.levels.end())
      return found->second;
  }
  return static_cast<esp_log_level_t>(defaultLevel.load());
}

vprintf_like_t esp_log_set_vprintf(vprintf_like_t func) {
  return sink.exchange(func != nullptr ? func : &std::vprintf);
}

uint32_t esp_log_timestamp(void) {
  return static_cast<uint32_t>(millis());
}

void esp_log_writev(esp_log_level_t level, const char *tag, const char *format, va_list args) {
  if (level > esp_log_level_get(tag))
    return;
  writeThroughSink(format, args);
}

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...) {
  va_list args;
  va_start(args, format);
  esp_log_writev(level, tag, format, args);
  va_end(args);
}

int log_printf(const char *format, ...) {
  va_list args;
  va_start(args, format);
  const int n = writeThroughSink(format, args);
  va_end(args);
  return n;
}

int log_discard(const char *, ...) {
  return 0;
}

const char *pathToFileName(const char *path) {
  const char *slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

}  // extern "C"
