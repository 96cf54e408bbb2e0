// Responses of the metrics endpoint (router/http/response.hpp): framing and HEAD.
#include "router/http/response.hpp"

#include <gtest/gtest.h>

namespace acc::router::http {
namespace {

TEST(HttpResponse, SerializesStatusHeadersAndBody) {
  const std::string out = serialize({200, "text/plain; version=0.0.4", "abc\n"});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 4\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\nabc\n");
}

TEST(HttpResponse, HeadGetsTheHeadersOfGetWithoutTheBody) {
  const std::string out = serialize({503, "text/plain", "not ready\n"}, /*head_only=*/true);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
}

TEST(HttpResponse, MethodNotAllowedSaysWhatIs) {
  EXPECT_NE(serialize({405, "text/plain", ""}).find("Allow: GET, HEAD\r\n"), std::string::npos);
}

TEST(HttpResponse, EveryStatusWeSendHasItsReasonPhrase) {
  for (const uint16_t s : {200, 400, 404, 405, 408, 413, 414, 431, 500, 503, 505}) {
    EXPECT_NE(reason_phrase(s), "Error") << s;
  }
}

}  // namespace
}  // namespace acc::router::http
