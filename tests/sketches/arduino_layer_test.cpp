// The Arduino layer's own behaviour, checked directly: String, time, random, WiFi and ESP
// as a sketch sees them. WiFi runs in the fixture's fresh namespace, where the host has
// only loopback.
#include <Arduino.h>
#include <WiFi.h>

#include <chrono>

#include "sketch_fixture.h"

namespace sketchtest {
namespace {

TEST(ArduinoString, BuildsFromTextAndNumbers) {
  EXPECT_STREQ(String("abc").c_str(), "abc");
  EXPECT_STREQ(String(static_cast<const char *>(nullptr)).c_str(), "");
  EXPECT_STREQ(String('x').c_str(), "x");
  EXPECT_STREQ(String(-42).c_str(), "-42");
  EXPECT_STREQ(String(42u).c_str(), "42");
  EXPECT_STREQ(String(255, HEX).c_str(), "ff");
  EXPECT_STREQ(String(5, BIN).c_str(), "101");
  EXPECT_STREQ(String(3.14159f).c_str(), "3.14");
  EXPECT_STREQ(String(2.5, 3).c_str(), "2.500");
  EXPECT_STREQ(String(static_cast<unsigned char>(200)).c_str(), "200");
}

TEST(ArduinoString, ConcatenatesWithPlusAndConcat) {
  String s = "a";
  s += "b";
  s += 'c';
  s += 12;
  EXPECT_TRUE(s.concat(String("!")));
  EXPECT_EQ(s, "abc12!");
  EXPECT_EQ(String("x") + 1 + "y" + String("z") + 'w', "x1yzw");
  EXPECT_EQ("pre" + String("fix"), "prefix");
  EXPECT_EQ(s.length(), 6u);
}

TEST(ArduinoString, SearchesAndSlices) {
  const String s = "GET /index.html HTTP/1.1";
  EXPECT_EQ(s.indexOf(' '), 3);
  EXPECT_EQ(s.indexOf(' ', 4), 15);
  EXPECT_EQ(s.indexOf("HTTP"), 16);
  EXPECT_EQ(s.indexOf("nope"), -1);
  EXPECT_EQ(s.lastIndexOf('/'), 20);
  EXPECT_EQ(s.substring(4, 15), "/index.html");
  EXPECT_EQ(s.substring(15, 4), "/index.html");  // swapped, as Arduino does
  EXPECT_EQ(s.substring(16), "HTTP/1.1");
  EXPECT_EQ(s.substring(100), "");
  EXPECT_TRUE(s.startsWith("GET"));
  EXPECT_TRUE(s.startsWith("index", 5));
  EXPECT_FALSE(s.startsWith("HTTP/1.1x", 16));
  EXPECT_TRUE(s.endsWith("1.1"));
  EXPECT_FALSE(s.endsWith("GET"));
  EXPECT_EQ(s.charAt(0), 'G');
  EXPECT_EQ(s[1], 'E');
  EXPECT_EQ(s.charAt(999), 0);
}

TEST(ArduinoString, EditsInPlace) {
  String s = "  Hello World \r\n";
  s.trim();
  EXPECT_EQ(s, "Hello World");
  s.toUpperCase();
  EXPECT_EQ(s, "HELLO WORLD");
  s.toLowerCase();
  EXPECT_EQ(s, "hello world");
  s.replace("o", "0");
  EXPECT_EQ(s, "hell0 w0rld");
  s.remove(5);
  EXPECT_EQ(s, "hell0");
  s.setCharAt(0, 'H');
  EXPECT_EQ(s, "Hell0");
  EXPECT_TRUE(s.equalsIgnoreCase("hELL0"));
  EXPECT_TRUE(s != "hell0");
  EXPECT_TRUE(s.reserve(100));
  char buf[4];
  s.toCharArray(buf, sizeof buf);
  EXPECT_STREQ(buf, "Hel");
}

TEST(ArduinoString, ParsesNumbers) {
  EXPECT_EQ(String("123abc").toInt(), 123);
  EXPECT_EQ(String("-7").toInt(), -7);
  EXPECT_EQ(String("x").toInt(), 0);
  EXPECT_DOUBLE_EQ(String("2.5").toDouble(), 2.5);
  EXPECT_FLOAT_EQ(String("0.25").toFloat(), 0.25f);
}

TEST(ArduinoCore, TimeRandomAndHelpers) {
  const unsigned long t0 = millis();
  const unsigned long u0 = micros();
  delay(50);
  EXPECT_GE(millis() - t0, 50u);
  EXPECT_GE(micros() - u0, 50000u);
  randomSeed(7);
  const long a = random(1000);
  randomSeed(7);
  EXPECT_EQ(random(1000), a);
  for (int i = 0; i < 1000; ++i) {
    const long r = random(10, 20);
    ASSERT_GE(r, 10);
    ASSERT_LT(r, 20);
  }
  EXPECT_EQ(constrain(15, 0, 10), 10);
  EXPECT_EQ(min(3, 4), 3);
  EXPECT_EQ(max(3, 4), 4);
  EXPECT_EQ(map(5, 0, 10, 0, 100), 50);
  EXPECT_EQ(String(F("flash")), "flash");
}

TEST(ArduinoCore, EspReportsTheHost) {
  EXPECT_GT(ESP.getFreeHeap(), 0u);
  EXPECT_GE(ESP.getHeapSize(), ESP.getFreeHeap());
  EXPECT_EQ(String(ESP.getChipModel()).substring(0, 6), "Linux ");
  EXPECT_GE(ESP.getChipCores(), 1);
}

using ArduinoWiFi = SketchTest;  // a fresh namespace: only loopback

TEST_F(ArduinoWiFi, ConnectsAtOnceAndFallsBackToLoopback) {
  WiFiClass wifi;  // the sketch's WiFi object starts in this state too
  EXPECT_EQ(wifi.status(), WL_IDLE_STATUS);
  EXPECT_EQ(wifi.begin("ssid", "password"), WL_CONNECTED);
  EXPECT_EQ(wifi.status(), WL_CONNECTED);
  EXPECT_TRUE(wifi.isConnected());
  EXPECT_EQ(wifi.getMode(), WIFI_STA);
  EXPECT_EQ(wifi.SSID(), "ssid");
  EXPECT_EQ(wifi.localIP(), IPAddress(127, 0, 0, 1));
  EXPECT_EQ(wifi.macAddress(), "00:00:00:00:00:00");
  EXPECT_EQ(wifi.gatewayIP(), IPAddress(0, 0, 0, 0));
  EXPECT_TRUE(wifi.disconnect());
  EXPECT_NE(wifi.status(), WL_CONNECTED);
}

}  // namespace
}  // namespace sketchtest
