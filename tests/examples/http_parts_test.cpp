// The HTTP example's socket-free parts: the request parser's answer to bytes no head may hold,
// and the response stream that makes an answer a piece at a time.
#include <gtest/gtest.h>

#include <string>

#include "http/request_parser.h"
#include "http/response_stream.h"

namespace {

int statusOf(const std::string &bytes, size_t maxHead = http::RequestParser::kDefaultMaxHeadBytes) {
  http::RequestParser parser(maxHead);
  parser.feed(bytes.data(), bytes.size());
  return parser.failed() ? parser.errorStatus() : parser.done() ? 200 : 0;
}

TEST(HttpRequestParser, NulBytesPastTheHeadLimit_Get400Not414) {
  EXPECT_EQ(statusOf(std::string(64 * 1024, '\0')), 400);
  EXPECT_EQ(statusOf(std::string(100, 'a')), 0);  // still a request line in progress
  EXPECT_EQ(statusOf(std::string(100, 'a'), 64), 414);
}

TEST(HttpRequestParser, ControlBytesInTheHead_Get400WhereTheyStand) {
  EXPECT_EQ(statusOf("GET /\x01"), 400);  // no line end needed
  EXPECT_EQ(statusOf(std::string("GET / HTTP/1.1\r\nHost: a\r\nX: ") + '\0'), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\nX: \x7f"), 400);
  EXPECT_EQ(statusOf("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);  // obs-text in a target
  // Where RFC 9110 allows them: HTAB and obs-text in a field value.
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\nX: \tcaf\xc3\xa9\r\n\r\n"), 200);
}

TEST(HttpRequestParser, ControlBytesWithinTheLimit_Get400HoweverTheStreamIsSplit) {
  const std::string bytes = std::string(60, 'a') + '\0' + std::string(100, 'a');
  http::RequestParser parser(64);
  for (char c : bytes) {
    parser.feed(&c, 1);
    if (parser.failed())
      break;
  }
  EXPECT_EQ(parser.errorStatus(), 400);
  EXPECT_EQ(statusOf(bytes, 64), 400);
}

TEST(HttpRequestParser, StartedOnceARequestsFirstByteArrives) {
  http::RequestParser parser;
  EXPECT_FALSE(parser.started());
  parser.feed("G", 1);
  EXPECT_TRUE(parser.started());
  const std::string rest = "ET / HTTP/1.1\r\nHost: a\r\n\r\n";
  parser.feed(rest.data(), rest.size());
  ASSERT_TRUE(parser.done());
  parser.reset();
  EXPECT_FALSE(parser.started());
}

TEST(HttpResponseStream, PiecesOfAnySize_MakeTheHeadThenTheText) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
  std::string whole = head + std::string(100000, '\0');
  http::fillText(0, whole.data() + head.size(), 100000);
  EXPECT_EQ(whole.substr(head.size(), 28), "abcdefghijklmnopqrstuvwxyz\na");

  http::ResponseStream stream;
  EXPECT_TRUE(stream.done());
  stream.start("an earlier response, longer than the next head", "", 5);  // memory reused
  stream.start(head, "", 100000);
  std::string got;
  char scratch[997];
  for (size_t max = 1; !stream.done(); max = max % 900 + 13) {  // 1 to 912 bytes
    const std::string_view piece = stream.next(scratch, max);
    ASSERT_FALSE(piece.empty());
    ASSERT_LE(piece.size(), max);
    const size_t taken = (piece.size() + 1) / 2;  // the client takes part of what it is offered
    got.append(piece.data(), taken);
    stream.consume(taken);
  }
  EXPECT_TRUE(got == whole);
  EXPECT_TRUE(stream.next(scratch, sizeof scratch).empty());
}

}  // namespace
