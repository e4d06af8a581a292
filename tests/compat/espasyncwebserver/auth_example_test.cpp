// ESPAsyncWebServer examples: authentication and authorization middlewares (Auth,
// SkipServerMiddleware), checked with curl's own Basic and Digest implementations.
#include <cctype>
#include <cstdlib>

#include "web_example_fixture.h"

namespace webtest {
namespace {

// With --digest, curl prints the head of the 401 it answers (not its body), then the
// retried request's answer: the fixture's parser stops at the first final answer, so the
// retried one is left in `body`. Returns the last answer.
Response lastAnswer(Response r) {
  for (;;) {
    const size_t end = r.body.find("\r\n\r\n");
    if (r.body.rfind("HTTP/", 0) != 0 || end == std::string::npos)
      return r;
    Response next;
    next.error = r.error;
    const std::vector<std::string> head = sketchtest::lines(r.body.substr(0, end + 2));
    next.status = std::atoi(head[0].c_str() + head[0].find(' ') + 1);
    for (size_t i = 1; i < head.size(); ++i) {
      const size_t colon = head[i].find(':');
      if (colon == std::string::npos)
        continue;
      std::string name = head[i].substr(0, colon);
      for (char &c : name)
        c = char(std::tolower(static_cast<unsigned char>(c)));
      std::string &slot = next.headers[name];
      const size_t start = head[i].find_first_not_of(' ', colon + 1);
      const std::string value = start == std::string::npos ? "" : head[i].substr(start);
      slot = slot.empty() ? value : slot + ", " + value;
    }
    next.body = r.body.substr(end + 4);
    r = std::move(next);
  }
}

Request authGet(const std::string &path, std::vector<std::string> curlArgs,
                std::vector<std::string> headers = {}) {
  Request r;
  r.path = path;
  r.curlArgs = std::move(curlArgs);
  r.headers = std::move(headers);
  return r;
}

class AuthExampleTest : public WebExampleTest {
protected:
  Response ask(const Request &r) { return lastAnswer(http(r)); }
};

class Auth : public AuthExampleTest {
protected:
  // The 401 the example's AsyncAuthenticationMiddleware sends with its failure message.
  static void expectChallenge(const Response &r, const std::string &scheme) {
    EXPECT_EQ(r.status, 401) << r.error;
    EXPECT_EQ(r.body, "Authentication failed");
    EXPECT_EQ(r.header("content-type"), "text/html");
    const std::string challenge = r.header("www-authenticate");
    if (scheme == "Basic") {
      EXPECT_EQ(challenge, R"(Basic realm="MyApp")");
    } else {
      EXPECT_EQ(challenge.rfind(R"(Digest realm="MyApp", qop="auth", nonce=")", 0), 0u)
          << challenge;
      EXPECT_NE(challenge.find(R"(", opaque=")"), std::string::npos) << challenge;
    }
  }
};

TEST_F(Auth, BasicAuthentication) {
  ASSERT_NO_FATAL_FAILURE(startExample("Auth"));
  for (const char *path : {"/auth-basic", "/auth-basic-hash"}) {
    SCOPED_TRACE(path);
    expectChallenge(get(path), "Basic");
    const Response ok = ask(authGet(path, {"-u", "admin:admin"}));
    EXPECT_EQ(ok.status, 200) << ok.error;
    EXPECT_EQ(ok.body, "Hello, world!");
    expectChallenge(ask(authGet(path, {"-u", "admin:wrong"})), "Basic");
    expectChallenge(ask(authGet(path, {"-u", "root:admin"})), "Basic");
    // curl --digest answers only a Digest challenge: it gets the Basic one and gives up.
    expectChallenge(ask(authGet(path, {"--digest", "-u", "admin:admin"})), "Basic");
  }
}

TEST_F(Auth, DigestAuthentication) {
  ASSERT_NO_FATAL_FAILURE(startExample("Auth"));
  for (const char *path : {"/auth-digest", "/auth-digest-hash"}) {
    SCOPED_TRACE(path);
    expectChallenge(get(path), "Digest");
    const Response ok = ask(authGet(path, {"--digest", "-u", "admin:admin"}));
    EXPECT_EQ(ok.status, 200) << ok.error;
    EXPECT_EQ(ok.body, "Hello, world!");
    expectChallenge(ask(authGet(path, {"--digest", "-u", "admin:wrong"})), "Digest");
    // Basic credentials do not satisfy a Digest route.
    expectChallenge(ask(authGet(path, {"-u", "admin:admin"})), "Digest");
  }
}

// A function middleware authenticates (Digest, realm "Login Required") and sets the user
// and role attributes; the authorization middleware lets only "staff" through.
TEST_F(Auth, CustomMiddlewaresAuthenticateThenAuthorize) {
  ASSERT_NO_FATAL_FAILURE(startExample("Auth"));
  const Response mathieu = ask(authGet("/auth-custom", {"--digest", "-u", "Mathieu:password"}));
  EXPECT_EQ(mathieu.status, 200) << mathieu.error;
  EXPECT_EQ(mathieu.body, "Hello Mathieu with role: staff");
  const Response bob = ask(authGet("/auth-custom", {"--digest", "-u", "Bob:password"}));
  EXPECT_EQ(bob.status, 403) << bob.error;
  const Response any = ask(authGet("/auth-custom", {"--digest", "-u", "any:password"}));
  EXPECT_EQ(any.status, 401) << any.error;
  const Response none = get("/auth-custom");
  EXPECT_EQ(none.status, 401) << none.error;
  EXPECT_EQ(
      none.header("www-authenticate").rfind(R"(Digest realm="Login Required", qop="auth")", 0), 0u)
      << none.header("www-authenticate");
}

TEST_F(Auth, BearerSharedKey) {
  ASSERT_NO_FATAL_FAILURE(startExample("Auth"));
  const Response ok =
      ask(authGet("/auth-bearer-shared-key", {}, {"Authorization: Bearer shared-secret-key"}));
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body, "Hello, world!");
  EXPECT_EQ(ask(authGet("/auth-bearer-shared-key", {}, {"Authorization: Bearer other-key"})).status,
            401);
  EXPECT_EQ(get("/auth-bearer-shared-key").status, 401);
}

// The JWT stand-in: "<token>" is staff (200), "<another token>" a user (403), anything
// else unauthenticated (401).
TEST_F(Auth, BearerTokenWithRoles) {
  ASSERT_NO_FATAL_FAILURE(startExample("Auth"));
  const Response staff = ask(authGet("/auth-bearer-jwt", {}, {"Authorization: Bearer <token>"}));
  EXPECT_EQ(staff.status, 200) << staff.error;
  EXPECT_EQ(staff.body, "Hello, world!");
  EXPECT_TRUE(example().waitForText("User: Mathieu", 5s)) << example().out();
  EXPECT_TRUE(example().waitForText("Role: staff", 5s)) << example().out();
  EXPECT_EQ(ask(authGet("/auth-bearer-jwt", {}, {"Authorization: Bearer <another token>"})).status,
            403);
  EXPECT_EQ(ask(authGet("/auth-bearer-jwt", {}, {"Authorization: Bearer invalid-token"})).status,
            401);
  EXPECT_EQ(get("/auth-bearer-jwt").status, 401);
}

// Basic authentication is a server middleware; the catch-all (404) handler skips the
// server's middlewares and logs its requests instead.
class SkipServerMiddleware : public AuthExampleTest {};

TEST_F(SkipServerMiddleware, RootNeedsBasicAuthentication) {
  ASSERT_NO_FATAL_FAILURE(startExample("SkipServerMiddleware"));
  const Response challenge = get("/");
  EXPECT_EQ(challenge.status, 401) << challenge.error;
  EXPECT_EQ(challenge.header("www-authenticate"), R"(Basic realm="MyApp")");
  EXPECT_EQ(challenge.body, "Authentication failed");
  const Response ok = ask(authGet("/", {"-u", "admin:admin"}));
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body, "Hello, world!");
  EXPECT_EQ(ask(authGet("/", {"-u", "admin:nope"})).status, 401);
}

TEST_F(SkipServerMiddleware, NotFoundSkipsAuthenticationAndIsLogged) {
  ASSERT_NO_FATAL_FAILURE(startExample("SkipServerMiddleware"));
  const Response r = get("/foo", {"Foo: Bar"});
  EXPECT_EQ(r.status, 404) << r.error;
  EXPECT_EQ(r.body, "Not found");
  EXPECT_EQ(r.header("www-authenticate"), "");
  EXPECT_TRUE(example().waitForText("< HTTP/1.1 404 Not Found", 5s)) << example().out();
  const std::string &log = example().out();
  EXPECT_NE(log.find("* Connection from 127.0.0.1:"), std::string::npos) << log;
  EXPECT_TRUE(sketchtest::hasLine(log, "> GET /foo HTTP/1.1")) << log;
  EXPECT_TRUE(sketchtest::hasLine(log, "> Foo: Bar")) << log;
  // The protected route has no logging middleware.
  EXPECT_EQ(get("/").status, 401);
  example().pump(100ms);
  EXPECT_FALSE(sketchtest::hasLine(example().out(), "> GET / HTTP/1.1")) << example().out();
}

}  // namespace
}  // namespace webtest
