// The metrics endpoint's request-head parser (router/http/request.hpp): every limit and error
// status, heads split across reads at every byte, and what follows a head (pipelined junk).
#include "router/http/request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace acc::router::http {
namespace {

Request parsed(const ParseResult& r) {
  EXPECT_TRUE(std::holds_alternative<Request>(r))
      << (std::holds_alternative<ParseError>(r) ? std::get<ParseError>(r).reason : "need more");
  return std::holds_alternative<Request>(r) ? std::get<Request>(r) : Request{};
}

uint16_t status_of(const ParseResult& r) {
  if (const auto* e = std::get_if<ParseError>(&r)) {
    return e->status;
  }
  return std::holds_alternative<Request>(r) ? 200 : 0;  // 0: need more
}

bool need_more(const ParseResult& r) {
  return std::holds_alternative<NeedMore>(r);
}

const std::string kGet = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9110\r\nAccept: */*\r\n\r\n";

TEST(HttpRequest, ParsesAGetRequest) {
  const Request r = parsed(parse_request_head(kGet));
  EXPECT_EQ(r.method, Method::Get);
  EXPECT_EQ(r.target, "/metrics");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(r.minor_version, 1);
  EXPECT_EQ(r.header_lines, 2u);
  EXPECT_EQ(r.head_bytes, kGet.size());
}

TEST(HttpRequest, ParsesHeadAndHttp10WithoutHost) {
  const Request r = parsed(parse_request_head("HEAD /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(r.method, Method::Head);
  EXPECT_EQ(r.minor_version, 0);
  EXPECT_EQ(r.header_lines, 0u);
}

TEST(HttpRequest, PathStopsAtTheQuery) {
  const Request r = parsed(parse_request_head("GET /status?pretty=1 HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(r.target, "/status?pretty=1");
  EXPECT_EQ(r.path, "/status");
}

TEST(HttpRequest, AcceptsBareLfLineEndingsAndOptionalWhitespace) {
  const Request r = parsed(parse_request_head("GET / HTTP/1.1\nHost:x\nX-A: \t v \t\n\n"));
  EXPECT_EQ(r.header_lines, 2u);
}

TEST(HttpRequest, ContentLengthZeroIsNoBody) {
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n")), 200);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\ncontent-length: 000\r\n\r\n")), 200);
}

TEST(HttpRequest, EveryPrefixNeedsMoreAndTheWholeParses) {
  for (std::size_t n = 0; n < kGet.size(); ++n) {
    EXPECT_TRUE(need_more(parse_request_head(kGet.substr(0, n)))) << "prefix of " << n;
  }
  EXPECT_EQ(status_of(parse_request_head(kGet)), 200);
}

TEST(HttpRequest, BytesAfterTheHeadAreNotPartOfIt) {
  // One request per connection: a pipelined second request, or junk, is left unread.
  const std::string pipelined = kGet + "GET /status HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(parsed(parse_request_head(pipelined)).head_bytes, kGet.size());
  const std::string junk = kGet + std::string("\x00\xff\x16\x03junk", 8);
  EXPECT_EQ(parsed(parse_request_head(junk)).head_bytes, kGet.size());
}

TEST(HttpRequest, MalformedRequestLinesAre400) {
  for (const std::string line :
       {"GET\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 x\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1\r\n\r\n", "GET / http/1.1\r\n\r\n",
        "GET / HTTP/1.10\r\n\r\n", "GET metrics HTTP/1.0\r\n\r\n", "GET * HTTP/1.0\r\n\r\n",
        "GET http://x/metrics HTTP/1.0\r\n\r\n", "\r\nGET / HTTP/1.0\r\n\r\n",
        " GET / HTTP/1.0\r\n\r\n", "GET /\tx HTTP/1.0\r\n\r\n", "GET /\xc3\xa9 HTTP/1.0\r\n\r\n"}) {
    EXPECT_EQ(status_of(parse_request_head(line)), 400) << line;
  }
}

TEST(HttpRequest, BinaryJunkIsRefusedAtItsFirstBadByte) {
  // A TLS ClientHello or a DICOM A-ASSOCIATE-RQ: answered at once, not after the timeout.
  EXPECT_EQ(status_of(parse_request_head(std::string("\x16\x03\x01\x02\x00", 5))), 400);
  EXPECT_EQ(status_of(parse_request_head(std::string("\x01\x00\x00\x00", 4))), 400);
  EXPECT_EQ(status_of(parse_request_head("GET /metr\x7f")), 400);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\nX: a\x01")), 400);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.1\rX")), 400);  // bare CR
}

TEST(HttpRequest, OtherMethodsAre405) {
  for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS", "get", "BREW"}) {
    EXPECT_EQ(status_of(parse_request_head(method + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n")), 405)
        << method;
  }
}

TEST(HttpRequest, OtherVersionsAre505) {
  for (const std::string v : {"HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0"}) {
    EXPECT_EQ(status_of(parse_request_head("GET / " + v + "\r\nHost: x\r\n\r\n")), 505) << v;
  }
  // The version is judged before the method.
  EXPECT_EQ(status_of(parse_request_head("POST / HTTP/2.0\r\n\r\n")), 505);
}

TEST(HttpRequest, RequestLineLimitIs414) {
  const Limits limits;
  const std::string longest =
      "GET /" + std::string(limits.max_request_line_bytes - 14, 'a') + " HTTP/1.0";
  ASSERT_EQ(longest.size(), limits.max_request_line_bytes);
  EXPECT_EQ(status_of(parse_request_head(longest + "\r\n\r\n")), 200);
  const std::string too_long = "GET /" + std::string(limits.max_request_line_bytes, 'a');
  EXPECT_EQ(status_of(parse_request_head(too_long + " HTTP/1.0\r\n\r\n")), 414);
  // Without waiting for the line to end.
  EXPECT_EQ(status_of(parse_request_head(too_long)), 414);
  EXPECT_TRUE(need_more(parse_request_head(too_long.substr(0, limits.max_request_line_bytes))));
  // The longest line whose CR arrived in one read and its LF in the next (found by the fuzzer:
  // the CR was counted as part of the line, refusing a valid request with 414).
  EXPECT_TRUE(need_more(parse_request_head(longest + "\r")));
}

TEST(HttpRequest, HeaderLineLimitIs431) {
  const Limits limits;
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (std::size_t i = 1; i < limits.max_header_lines; ++i) {
    head += "X-" + std::to_string(i) + ": y\r\n";
  }
  EXPECT_EQ(status_of(parse_request_head(head + "\r\n")), 200);
  EXPECT_EQ(status_of(parse_request_head(head + "X-Last: y\r\n\r\n")), 431);
  // A 65th line is refused as soon as it starts.
  EXPECT_EQ(status_of(parse_request_head(head + "X")), 431);
  EXPECT_TRUE(need_more(parse_request_head(head + "\r")));
}

TEST(HttpRequest, HeadSizeLimitIs431) {
  const Limits limits;
  const std::string start = "GET / HTTP/1.0\r\nX-Big: ";
  const std::string end = "\r\n\r\n";
  const std::string exact =
      start + std::string(limits.max_head_bytes - start.size() - end.size(), 'v') + end;
  ASSERT_EQ(exact.size(), limits.max_head_bytes);
  EXPECT_EQ(status_of(parse_request_head(exact)), 200);
  const std::string over = start + std::string(limits.max_head_bytes, 'v');
  EXPECT_EQ(status_of(parse_request_head(over + end)), 431);
  EXPECT_EQ(status_of(parse_request_head(over)), 431);  // before the line ends
  EXPECT_EQ(status_of(parse_request_head(std::string_view(over).substr(0, limits.max_head_bytes))),
            431);
  EXPECT_TRUE(
      need_more(parse_request_head(std::string_view(over).substr(0, limits.max_head_bytes - 1))));
  // 20 KiB of headers in many lines: the line limit or the size limit, 431 either way.
  std::string many = "GET / HTTP/1.0\r\n";
  while (many.size() < 20 * 1024) {
    many += "X-Padding: " + std::string(200, 'p') + "\r\n";
  }
  EXPECT_EQ(status_of(parse_request_head(many)), 431);
}

TEST(HttpRequest, LimitsAreConfigurable) {
  const Limits small{.max_head_bytes = 64, .max_header_lines = 1, .max_request_line_bytes = 20};
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nA: b\r\n\r\n", small)), 200);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nA: b\r\nC: d\r\n\r\n", small)), 431);
  EXPECT_EQ(status_of(parse_request_head("GET /123456789 HTTP/1.0\r\n\r\n", small)), 414);
}

TEST(HttpRequest, BodiesAreRefused) {
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello")), 413);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n")), 400);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nContent-Length: 1 2\r\n\r\n")), 400);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nContent-Length:\r\n\r\n")), 400);
  EXPECT_EQ(status_of(parse_request_head(
                "GET / HTTP/1.0\r\nContent-Length: 99999999999999999999999999\r\n\r\n")),
            413);
  EXPECT_EQ(status_of(parse_request_head(
                "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")),
            400);
}

TEST(HttpRequest, MalformedHeaderFieldsAre400) {
  for (const std::string field : {"NoColon", ": empty-name", "Bad Name: x", "Name : x",
                                  " folded: x", "\tfolded: x", "Na\"me: x"}) {
    EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\n" + field + "\r\n\r\n")), 400)
        << field;
  }
  // obs-text in a value is allowed (RFC 9110 5.5); control bytes are not.
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nX: caf\xc3\xa9\r\n\r\n")), 200);
  std::string nul = "GET / HTTP/1.0\r\nX: a";
  nul += '\0';
  nul += "b\r\n\r\n";
  EXPECT_EQ(status_of(parse_request_head(nul)), 400);
}

TEST(HttpRequest, Http11NeedsExactlyOneHost) {
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n")), 400);
  EXPECT_EQ(status_of(parse_request_head("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")), 400);
}

TEST(HttpRequest, ErrorsNeverEchoThePeersBytes) {
  const auto r = parse_request_head("GET /<script>alert(1)</script> HTTP/9.9\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).reason.find("script"), std::string::npos);
}

}  // namespace
}  // namespace acc::router::http
