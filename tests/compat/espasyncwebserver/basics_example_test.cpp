// ESPAsyncWebServer examples: routes, parameters and redirects (Params, Redirect).
#include "web_example_fixture.h"

namespace webtest {
namespace {

class Params : public WebExampleTest {};

TEST_F(Params, QueryParameterIsReadAndThePageServed) {
  ASSERT_NO_FATAL_FAILURE(startExample("Params"));
  const Response r = get("/?who=Bob");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_NE(r.body.find("POST Request with Multiple Parameters"), std::string::npos);
  EXPECT_TRUE(example().waitForText("Who? Bob", 5s)) << example().out();
}

TEST_F(Params, FormBodyParametersAnswer) {
  ASSERT_NO_FATAL_FAILURE(startExample("Params"));
  Request req;
  req.method = "POST";
  req.headers = {"Content-Type: application/x-www-form-urlencoded"};
  req.body = "who=Carl&param=value";
  const Response r = http(req);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "Hello Carl!");
  EXPECT_TRUE(example().waitForText("PARAM[1]: param = value", 5s)) << example().out();
  req.body = "nothing=here";
  EXPECT_EQ(http(req).body, "Hello No message sent!");
}

TEST_F(Params, EmptyParameterNameIsSafe) {
  ASSERT_NO_FATAL_FAILURE(startExample("Params"));
  const Response r = get("/params?=value");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "OK");
  EXPECT_TRUE(example().waitForText("/params: 0 parameter(s)", 5s)) << example().out();
}

class Redirect : public WebExampleTest {};

TEST_F(Redirect, RootRedirectsToTheTextFile) {
  ASSERT_NO_FATAL_FAILURE(startExample("Redirect"));
  const Response r = get("/");
  ASSERT_EQ(r.status, 302) << r.error;
  EXPECT_EQ(r.header("location"), "/index.txt");
  const Response followed = http(Request{"GET", "/", {}, "", {"-L"}});
  EXPECT_EQ(followed.status, 200) << followed.error;
  EXPECT_EQ(followed.body, "Hello, world!");
}

}  // namespace
}  // namespace webtest
