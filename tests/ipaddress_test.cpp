// IPAddress (non-Arduino builds): parsing, printing, byte access, uint32_t form, comparison.
#include <AsyncTCP.h>

#include <arpa/inet.h>

#include <gtest/gtest.h>

namespace {

// operator[] on a v6 address with a constant index above 3: the optimised -Werror builds
// (asan, tsan presets) once failed here with -Werror=array-bounds, so this also pins the header.
uint8_t byteAt(const IPAddress &a, int i) { return a[i]; }

}  // namespace

TEST(IPAddress, DefaultIsV4Zero) {
  IPAddress a;
  EXPECT_TRUE(a.isV4());
  EXPECT_EQ(uint32_t(a), 0u);
  EXPECT_EQ(a.toString(), "0.0.0.0");
  EXPECT_TRUE(a.isAny());
  EXPECT_EQ(a, INADDR_NONE_IP);
}

TEST(IPAddress, FromStringV4ParsesOctets) {
  IPAddress a;
  ASSERT_TRUE(a.fromString("192.168.1.20"));
  EXPECT_TRUE(a.isV4());
  EXPECT_EQ(a[0], 192);
  EXPECT_EQ(a[1], 168);
  EXPECT_EQ(a[2], 1);
  EXPECT_EQ(a[3], 20);
  EXPECT_EQ(a, IPAddress(192, 168, 1, 20));
}

TEST(IPAddress, ToStringV4RoundTrips) {
  EXPECT_EQ(IPAddress(127, 0, 0, 1).toString(), "127.0.0.1");
  EXPECT_EQ(IPAddress(255, 255, 255, 255).toString(), "255.255.255.255");
  IPAddress a;
  ASSERT_TRUE(a.fromString(IPAddress(10, 20, 30, 40).toString()));
  EXPECT_EQ(a, IPAddress(10, 20, 30, 40));
}

TEST(IPAddress, FromStringRejectsMalformedText) {
  IPAddress a;
  EXPECT_FALSE(a.fromString("256.1.1.1"));
  EXPECT_FALSE(a.fromString("1.2.3"));
  EXPECT_FALSE(a.fromString("1.2.3.4.5"));
  EXPECT_FALSE(a.fromString("abc"));
  EXPECT_FALSE(a.fromString(""));
  EXPECT_FALSE(a.fromString("1.2.3.x"));
  EXPECT_FALSE(a.fromString("::1::2"));
  EXPECT_FALSE(a.fromString("12345::"));
}

TEST(IPAddress, FromStringV6Loopback) {
  IPAddress a;
  ASSERT_TRUE(a.fromString("::1"));
  EXPECT_TRUE(a.isV6());
  EXPECT_FALSE(a.isV4());
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(byteAt(a, i), 0) << i;
  EXPECT_EQ(byteAt(a, 15), 1);
  EXPECT_EQ(a.toString(), "::1");
  EXPECT_FALSE(a.isAny());
}

TEST(IPAddress, FromStringV6FullAndCompressedAgree) {
  IPAddress full, compressed;
  ASSERT_TRUE(full.fromString("2001:0db8:0000:0000:0000:ff00:0042:8329"));
  ASSERT_TRUE(compressed.fromString("2001:db8::ff00:42:8329"));
  EXPECT_EQ(full, compressed);
  EXPECT_EQ(full[0], 0x20);
  EXPECT_EQ(full[1], 0x01);
  EXPECT_EQ(full[2], 0x0d);
  EXPECT_EQ(full[3], 0xb8);
  EXPECT_EQ(byteAt(full, 15), 0x29);
}

TEST(IPAddress, ToStringV6IsCanonicalAndRoundTrips) {
  for (const char *text : {"2001:db8::1", "fe80::1", "2001:db8::ff00:42:8329", "::"}) {
    IPAddress a;
    ASSERT_TRUE(a.fromString(text)) << text;
    EXPECT_EQ(a.toString(), text);
    IPAddress b;
    ASSERT_TRUE(b.fromString(a.toString())) << a.toString();
    EXPECT_EQ(a, b);
  }
}

TEST(IPAddress, Uint32ConversionIsNetworkOrder) {
  const IPAddress a(127, 0, 0, 1);
  EXPECT_EQ(uint32_t(a), htonl(0x7f000001));
  EXPECT_EQ(IPAddress(htonl(0x0a000102)), IPAddress(10, 0, 1, 2));
  IPAddress b;
  b = htonl(0xc0a80001);
  EXPECT_EQ(b, IPAddress(192, 168, 0, 1));
  EXPECT_TRUE(b == htonl(0xc0a80001));
  EXPECT_TRUE(b != htonl(0xc0a80002));
}

TEST(IPAddress, V6ConvertsToZeroUint32) {
  IPAddress a;
  ASSERT_TRUE(a.fromString("2001:db8::7f00:1"));
  EXPECT_EQ(uint32_t(a), 0u);
}

TEST(IPAddress, ComparisonDistinguishesFamiliesAndValues) {
  EXPECT_EQ(IPAddress(1, 2, 3, 4), IPAddress("1.2.3.4"));
  EXPECT_NE(IPAddress(1, 2, 3, 4), IPAddress(1, 2, 3, 5));
  // Same low four bytes, different family.
  IPAddress v6low;
  ASSERT_TRUE(v6low.fromString("::102:304"));
  EXPECT_TRUE(v6low.isV6());
  EXPECT_NE(v6low, IPAddress(1, 2, 3, 4));
  IPAddress v6a("fe80::1"), v6b("fe80::2");
  EXPECT_NE(v6a, v6b);
  EXPECT_EQ(v6a, IPAddress("fe80::1"));
}

TEST(IPAddress, IndexOperatorWritesOctets) {
  IPAddress a(10, 0, 0, 1);
  a[3] = 42;
  EXPECT_EQ(a, IPAddress(10, 0, 0, 42));
  EXPECT_EQ(a.toString(), "10.0.0.42");
}

TEST(IPAddress, RawBytesConstructors) {
  const uint8_t v4[4] = {172, 16, 5, 9};
  EXPECT_EQ(IPAddress(v4), IPAddress(172, 16, 5, 9));
  const uint8_t v6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  IPAddress a(IPv6, v6);
  EXPECT_TRUE(a.isV6());
  EXPECT_EQ(a.toString(), "fe80::7");
  EXPECT_EQ(a, IPAddress("fe80::7"));
}

TEST(IPAddress, AnyAddresses) {
  EXPECT_TRUE(IN6ADDR_ANY.isV6());
  EXPECT_TRUE(IN6ADDR_ANY.isAny());
  EXPECT_TRUE(IPAddress(0, 0, 0, 0).isAny());
  EXPECT_FALSE(IPAddress(127, 0, 0, 1).isAny());
}
