// The layer's byte containers and readers, as ESPAsyncWebServer uses them: Stream's read
// helpers, StreamString, cbuf (its response stream) and the pgmspace names.
#include <Arduino.h>
#include <StreamString.h>
#include <cbuf.h>
#include <gtest/gtest.h>
#include <pgmspace.h>

namespace {

TEST(ArduinoStreamString, WritesAppendAndReadsTakeFromTheFront) {
  StreamString s;
  s.print("ab");
  s.printf("%d", 42);
  EXPECT_EQ(s, "ab42");
  EXPECT_EQ(s.available(), 4);
  EXPECT_EQ(s.peek(), 'a');
  EXPECT_EQ(s.read(), 'a');
  EXPECT_EQ(s, "b42");
  char buf[8] = {};
  EXPECT_EQ(s.readBytes(buf, 2), 2u);
  EXPECT_STREQ(buf, "b4");
  EXPECT_EQ(s.read(), '2');
  EXPECT_EQ(s.read(), -1);
  EXPECT_EQ(s.peek(), -1);
}

TEST(ArduinoStream, ReadHelpersStopAtTheTerminatorOrAfterTheTimeout) {
  StreamString s;
  s.setTimeout(0);
  s.print("key=value\nrest");
  EXPECT_EQ(s.readStringUntil('='), "key");
  char buf[16] = {};
  EXPECT_EQ(s.readBytesUntil('\n', buf, sizeof buf), 5u);
  EXPECT_STREQ(buf, "value");
  EXPECT_EQ(s.readString(), "rest");
}

TEST(ArduinoStream, ReadStringWaitsForTheTimeoutAtTheEnd) {
  StreamString s;
  s.setTimeout(50);
  s.print("x");
  const unsigned long start = millis();
  EXPECT_EQ(s.readString(), "x");
  EXPECT_GE(millis() - start, 50u);  // as on ESP32: more could still arrive
}

TEST(ArduinoString, ConcatenatesBytesAndFlashStrings) {
  String s;
  const uint8_t bytes[] = {'h', 'i', 0, '!'};
  EXPECT_TRUE(s.concat(bytes, 2));
  s += F(" there");
  EXPECT_EQ(s, "hi there");
  EXPECT_EQ(String(F("flash")) + F("!"), "flash!");
  EXPECT_TRUE(emptyString.isEmpty());
}

TEST(ArduinoPgmspace, NamesAreThePlainFunctions) {
  static const char text[] PROGMEM = "Hello";
  char buf[16];
  EXPECT_EQ(strlen_P(text), 5u);
  strcpy_P(buf, text);
  EXPECT_STREQ(buf, "Hello");
  EXPECT_EQ(strncmp_P("Help", text, 3), 0);
  EXPECT_EQ(pgm_read_byte(text + 1), 'e');
  snprintf_P(buf, sizeof buf, PSTR("%s!"), text);
  EXPECT_STREQ(buf, "Hello!");
  uint8_t out[5];
  memcpy_P(out, text, 5);
  EXPECT_EQ(out[4], 'o');
}

TEST(ArduinoCbuf, RingKeepsOrderAcrossTheWrap) {
  cbuf b(8);
  EXPECT_EQ(b.size(), 8u);
  EXPECT_EQ(b.write("abcdef", 6), 6u);
  char out[8] = {};
  EXPECT_EQ(b.read(out, 4), 4u);
  EXPECT_STREQ(out, "abcd");
  EXPECT_EQ(b.write("ghijklmn", 8), 6u);  // room() was 6: the rest is refused
  EXPECT_TRUE(b.full());
  EXPECT_EQ(b.peek(), 'e');
  char all[9] = {};
  EXPECT_EQ(b.read(all, 8), 8u);
  EXPECT_STREQ(all, "efghijkl");
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.read(), -1);
}

TEST(ArduinoCbuf, GrowsWithTheDataInOrderAndNeverShrinksBelowIt) {
  cbuf b(4);
  b.write("wxyz", 4);
  b.remove(2);
  b.write("12", 2);  // wrapped: "yz12"
  EXPECT_EQ(b.resizeAdd(4), 8u);
  EXPECT_EQ(b.room(), 4u);
  EXPECT_EQ(b.write("34", 2), 2u);
  EXPECT_EQ(b.resize(2), 8u);  // less than the 6 bytes stored: refused
  char out[7] = {};
  EXPECT_EQ(b.read(out, 6), 6u);
  EXPECT_STREQ(out, "yz1234");
}

}  // namespace
