// libFuzzer target for the metrics endpoint's HTTP request-head parser. Besides "no crash, no
// sanitizer report", it checks that the parser agrees with itself when the same bytes arrive in
// pieces: a head that parses must have needed more at every shorter prefix (otherwise the server,
// reading it in several reads, would refuse a valid request), and parses the same on its own.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "router/http/request.hpp"
#include "router/http/response.hpp"

namespace {

using namespace acc::router::http;

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

void check_result(std::string_view input, const ParseResult& result, const Limits& limits) {
  if (const auto* e = std::get_if<ParseError>(&result)) {
    check(e->status == 400 || e->status == 405 || e->status == 413 || e->status == 414 ||
          e->status == 431 || e->status == 505);
    check(!e->reason.empty());
    check(reason_phrase(e->status) != "Error");
    (void)serialize({e->status, "text/plain", e->reason});
    return;
  }
  if (std::holds_alternative<NeedMore>(result)) {
    check(input.size() < limits.max_head_bytes);
    return;
  }
  const auto& r = std::get<Request>(result);
  check(r.head_bytes > 0 && r.head_bytes <= input.size() && r.head_bytes <= limits.max_head_bytes);
  check(r.header_lines <= limits.max_header_lines);
  check(!r.target.empty() && r.target.front() == '/' && r.target.starts_with(r.path));
  check(r.minor_version == 0 || r.minor_version == 1);

  const std::string_view head = input.substr(0, r.head_bytes);
  const auto alone = parse_request_head(head, limits);
  const auto* same = std::get_if<Request>(&alone);
  check(same != nullptr && same->target == r.target && same->head_bytes == r.head_bytes &&
        same->method == r.method && same->header_lines == r.header_lines);
  for (const std::size_t cut :
       {r.head_bytes - 1, r.head_bytes / 2,
        input.empty() ? 0 : static_cast<uint8_t>(input[0]) % r.head_bytes}) {
    check(std::holds_alternative<NeedMore>(parse_request_head(head.substr(0, cut), limits)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Limits defaults;
  check_result(input, parse_request_head(input, defaults), defaults);
  // Small limits reach every limit with short inputs.
  const Limits small{.max_head_bytes = 96, .max_header_lines = 3, .max_request_line_bytes = 32};
  check_result(input, parse_request_head(input, small), small);
  return 0;
}
