#pragma once
// Sans-I/O parser for the head of one HTTP/1.x request (the metrics and health endpoint, issue
// 6). It sees only bytes: the server feeds it everything received so far and acts on the result,
// so every limit and error is unit-tested and fuzzed without a socket (tests/fuzz/http_request).
// Bytes from a peer never throw: the result is a value, and an error carries the HTTP status to
// answer before closing. Only GET and HEAD without a body are accepted; the server answers one
// request per connection, so anything after the head (pipelined requests, junk) is ignored.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace acc::router::http {

struct Limits {
  std::size_t max_head_bytes = 8 * 1024;          // request line + headers + blank line
  std::size_t max_header_lines = 64;              // header fields, not counting the request line
  std::size_t max_request_line_bytes = 2 * 1024;  // without its line ending
};

enum class Method { Get, Head };

struct Request {
  Method method = Method::Get;
  std::string target;     // origin-form as sent, e.g. "/metrics?x=1"
  std::string path;       // target up to '?'
  int minor_version = 1;  // HTTP/1.0 or HTTP/1.1
  std::size_t header_lines = 0;
  std::size_t head_bytes = 0;  // bytes of the head, blank line included; the rest is ignored
};

// The head has not ended yet and nothing seen so far is wrong: read more.
struct NeedMore {};

// Answer `status` (400, 405, 413, 414, 431 or 505) with `reason` as the body, then close.
struct ParseError {
  uint16_t status = 400;
  std::string reason;  // one line, never echoing the peer's bytes
};

using ParseResult = std::variant<NeedMore, Request, ParseError>;

// Parses the request head at the start of `received` (everything read so far on the
// connection). Cost is linear in `received`, which the limits bound. A bad byte is reported as
// soon as it arrives, so binary junk (TLS, DICOM) is answered at once instead of at the timeout.
[[nodiscard]] ParseResult parse_request_head(std::string_view received,
                                             const Limits& limits = {}) noexcept;

}  // namespace acc::router::http
