// MD5Builder and libb64's encoder (OpenSSL underneath), against published test vectors:
// RFC 1321's MD5 suite and RFC 4648's base64 examples.
#include <Arduino.h>
#include <MD5Builder.h>
#include <StreamString.h>
#include <gtest/gtest.h>
#include <libb64/cencode.h>

#include <string>

namespace {

String md5(const char *text) {
  MD5Builder m;
  m.begin();
  m.add(text);
  m.calculate();
  return m.toString();
}

TEST(ArduinoMD5Builder, MatchesRfc1321Vectors) {
  EXPECT_EQ(md5(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST(ArduinoMD5Builder, AddsInPiecesHexAndFromAStream) {
  MD5Builder m;
  m.begin();
  m.add(String("mess"));
  m.addHexString("61676520");  // "age "
  StreamString rest;
  rest.print("digest");
  EXPECT_TRUE(m.addStream(rest, 100));
  m.calculate();
  uint8_t bytes[16];
  m.getBytes(bytes);
  EXPECT_EQ(bytes[0], 0xf9);
  char text[33];
  m.getChars(text);
  EXPECT_STREQ(text, "f96b697d7cb7938d525a2f31aaf161d0");
}

std::string base64(const std::string &in) {
  std::string out(base64_encode_expected_len(in.size()) + 1, '\0');
  const int n = base64_encode_chars(in.data(), static_cast<int>(in.size()), &out[0]);
  EXPECT_EQ(static_cast<size_t>(n), base64_encode_expected_len(in.size()));
  EXPECT_EQ(out[static_cast<size_t>(n)], '\0');
  out.resize(static_cast<size_t>(n));
  return out;
}

TEST(ArduinoBase64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(ArduinoBase64, LongInputHasNoLineBreaks) {
  const std::string encoded = base64(std::string(200, 'x'));
  EXPECT_EQ(encoded.size(), 268u);
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
}

TEST(ArduinoBase64, BlocksOfAnySizeEncodeLikeOneCall) {
  const std::string text = "any carnal pleasure.";
  for (size_t split = 0; split <= text.size(); ++split) {
    char out[64] = {};
    base64_encodestate state;
    base64_init_encodestate(&state);
    int n = base64_encode_block(text.data(), static_cast<int>(split), out, &state);
    n += base64_encode_block(text.data() + split, static_cast<int>(text.size() - split), out + n,
                             &state);
    n += base64_encode_blockend(out + n, &state);
    EXPECT_EQ(std::string(out, static_cast<size_t>(n)), base64(text)) << "split at " << split;
  }
}

}  // namespace
