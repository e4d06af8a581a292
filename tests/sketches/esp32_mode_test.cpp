// The Arduino layer's ESP32 mode: the logging macros (ESP-IDF's and arduino-esp32's), the
// ESP object's ESP32 figures, and sketches built by asynctcp_add_sketch, which must see
// plain char as unsigned (with or without the ESP32 mode) and, in the ESP32 mode, FreeRTOS.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "Esp.h"
#include "support/child_process.h"

#define CORE_DEBUG_LEVEL 3  // log_e/w/i compiled in, log_d/v out
#include "esp32-hal-log.h"
#include "esp_log.h"

namespace {

std::string logged;

int captureLine(const char *format, va_list args) {
  char line[256];
  const int n = std::vsnprintf(line, sizeof line, format, args);
  logged += line;
  return n;
}

class EspLog : public ::testing::Test {
protected:
  void SetUp() override {
    logged.clear();
    previous = esp_log_set_vprintf(captureLine);
  }
  void TearDown() override {
    esp_log_set_vprintf(previous);
    esp_log_level_set("*", ESP_LOG_ERROR);
  }
  vprintf_like_t previous = nullptr;
};

TEST_F(EspLog, EspLogxFollowTheRunTimeLevelOfTheirTag) {
  ESP_LOGE("net", "lost %d", 3);
  ESP_LOGI("net", "hidden at the default level (error)");
  EXPECT_NE(logged.find("E ("), std::string::npos);
  EXPECT_NE(logged.find(") net: lost 3\n"), std::string::npos);
  EXPECT_EQ(logged.find("hidden"), std::string::npos);

  logged.clear();
  esp_log_level_set("net", ESP_LOG_VERBOSE);
  ESP_LOGV("net", "now shown");
  ESP_LOGI("other", "still hidden");
  EXPECT_NE(logged.find("V ("), std::string::npos);
  EXPECT_NE(logged.find("net: now shown"), std::string::npos);
  EXPECT_EQ(logged.find("still hidden"), std::string::npos);
}

TEST_F(EspLog, WildcardSetsTheDefaultAndForgetsTagLevels) {
  esp_log_level_set("quiet", ESP_LOG_NONE);
  esp_log_level_set("*", ESP_LOG_WARN);
  EXPECT_EQ(esp_log_level_get("quiet"), ESP_LOG_WARN);
  ESP_LOGW("quiet", "heard");
  ESP_LOGI("quiet", "not heard");
  EXPECT_NE(logged.find("W ("), std::string::npos);
  EXPECT_NE(logged.find("quiet: heard"), std::string::npos);
  EXPECT_EQ(logged.find("not heard"), std::string::npos);
}

TEST_F(EspLog, ArduinoLogMacrosFollowCoreDebugLevel) {
  log_e("bad %s", "thing");
  log_i("info %d", 1);
  int onlyLogged = 7;
  log_d("compiled out %d", onlyLogged);  // uses the variable: no unused warning
  EXPECT_NE(logged.find("][E][esp32_mode_test.cpp:"), std::string::npos) << logged;
  EXPECT_NE(logged.find("TestBody(): bad thing\r\n"), std::string::npos) << logged;
  EXPECT_NE(logged.find("][I]["), std::string::npos);
  EXPECT_EQ(logged.find("compiled out"), std::string::npos);
}

TEST(EspObject, ReportsNoPsramNoFlashAndHeapFromTheHost) {
  EXPECT_EQ(ESP.getPsramSize(), 0u);
  EXPECT_EQ(ESP.getFreePsram(), 0u);
  EXPECT_EQ(ESP.getFlashChipSize(), 0u);
  EXPECT_EQ(ESP.getFreeSketchSpace(), 0u);
  const uint32_t free = ESP.getFreeHeap();
  EXPECT_GT(free, 0u);
  EXPECT_LE(ESP.getMinFreeHeap(), free);
  EXPECT_GT(ESP.getMaxAllocHeap(), 0u);
  EXPECT_GT(ESP.getSketchSize(), 0u);  // this test program's size
  EXPECT_STREQ(ESP.getCoreVersion(), "3.0.0");
}

TEST(EspObject, EfuseMacPacksTheFirstByteLowest) {
  const uint64_t mac = ESP.getEfuseMac();
  EXPECT_EQ(mac >> 48, 0u);  // six bytes
  if (mac == 0)
    GTEST_SKIP() << "no network interface other than loopback";
  EXPECT_EQ(mac & 1, 0u) << "byte 0 is a unicast MAC's first byte: its low bit is clear";
}

// Runs a probe sketch until it prints "done", then stops it as the runner expects.
std::string runProbe(const char *path) {
  tst::ChildProcess sketch;
  EXPECT_TRUE(sketch.start({path})) << sketch.error();
  EXPECT_TRUE(sketch.waitForText("done", std::chrono::milliseconds(10000))) << sketch.out();
  sketch.signal(SIGTERM);
  const int status = sketch.waitExit(std::chrono::milliseconds(5000));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  sketch.pump();
  EXPECT_EQ(sketch.err().find("Sanitizer"), std::string::npos) << sketch.err();
  return sketch.out();
}

TEST(SketchBuild, PlainCharIsUnsignedInEverySketch) {
  const std::string out = runProbe(ASYNCTCP_PLAIN_PROBE);
  EXPECT_NE(out.find("packet type 13\n"), std::string::npos) << out;  // not -3
  EXPECT_NE(out.find("remaining length 321\n"), std::string::npos) << out;
  EXPECT_NE(out.find("char is unsigned\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("esp32 mode"), std::string::npos) << out;
}

TEST(SketchBuild, Esp32ModeSketchRunsFreeRtosTasks) {
  const std::string out = runProbe(ASYNCTCP_ESP32_PROBE);
  EXPECT_NE(out.find("packet type 13\n"), std::string::npos) << out;
  EXPECT_NE(out.find("esp32 mode, 16 tcp slots, core 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("received 3 readings, producer deleted\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("compiled out"), std::string::npos) << out;
}

}  // namespace
