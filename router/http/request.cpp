#include "router/http/request.hpp"

#include <algorithm>

namespace acc::router::http {

namespace {

// RFC 9110 5.6.2 token characters.
bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// A byte no line of a head may hold: control characters (HTAB only in header values, CR only
// right before LF) and DEL; the request line is visible ASCII and spaces only.
bool bad_byte(char c, bool request_line) {
  const auto u = static_cast<unsigned char>(c);
  if (u == 0x7F || (u < 0x20 && u != '\t')) {
    return true;
  }
  return request_line && (u == '\t' || u >= 0x80);
}

// `line` without its LF (complete or not); a CR is allowed only as its last byte (CRLF).
bool has_bad_byte(std::string_view line, bool request_line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\r' && i + 1 == line.size()) {
      continue;
    }
    if (bad_byte(line[i], request_line)) {
      return true;
    }
  }
  return false;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

ParseError error(uint16_t status, std::string reason) {
  return ParseError{status, std::move(reason)};
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 3). Syntax first (400),
// then the version (505), then the method (405), so the most basic problem is the one reported.
std::variant<Request, ParseError> parse_request_line(std::string_view line) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return error(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) {
    return error(400, "malformed request line");
  }
  const bool version_syntax = version.size() == 8 && version.starts_with("HTTP/") &&
                              version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
                              version[7] >= '0' && version[7] <= '9';
  if (!version_syntax) {
    return error(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return error(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  Request r;
  if (method == "GET") {
    r.method = Method::Get;
  } else if (method == "HEAD") {
    r.method = Method::Head;
  } else {
    return error(405, "only GET and HEAD are allowed");
  }
  if (target.front() != '/') {
    return error(400, "the request target must be a path");
  }
  r.target = std::string(target);
  r.path = std::string(target.substr(0, target.find('?')));
  r.minor_version = version[7] - '0';
  return r;
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 5). Updates what the head says about
// a body and Host; returns an error to answer, if any.
struct HeadFacts {
  std::size_t hosts = 0;
};
std::variant<std::monostate, ParseError> parse_field_line(std::string_view line, HeadFacts& facts) {
  if (line.front() == ' ' || line.front() == '\t') {
    return error(400, "obsolete line folding is not accepted");
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return error(400, "malformed header field");
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (iequals(name, "Content-Length")) {
    if (value.empty() ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return error(400, "malformed Content-Length");
    }
    if (value.find_first_not_of('0') != std::string_view::npos) {
      return error(413, "request bodies are not accepted");
    }
  } else if (iequals(name, "Transfer-Encoding")) {
    return error(400, "Transfer-Encoding is not accepted: requests have no body");
  } else if (iequals(name, "Host")) {
    ++facts.hosts;
  }
  return std::monostate{};
}

}  // namespace

ParseResult parse_request_head(std::string_view received, const Limits& limits) noexcept {
  Request request;
  HeadFacts facts;
  std::size_t pos = 0;
  for (bool first = true;; first = false) {
    const auto lf = received.find('\n', pos);
    if (lf == std::string_view::npos) {
      // An incomplete line: report what is already wrong with it, else wait for more.
      std::string_view partial = received.substr(pos);
      if (has_bad_byte(partial, first)) {
        return error(400, first ? "malformed request line" : "malformed header field");
      }
      if (partial.ends_with('\r')) {
        partial.remove_suffix(1);  // its LF may be in the next read: the CR is no part of the line
      }
      if (first && partial.size() > limits.max_request_line_bytes) {
        return error(414, "request line too long");
      }
      if (!first && !partial.empty() && partial != "\r" &&
          request.header_lines >= limits.max_header_lines) {
        return error(431, "too many header fields");
      }
      if (received.size() >= limits.max_head_bytes) {
        return error(431, "request head too large");
      }
      return NeedMore{};
    }
    std::string_view line = received.substr(pos, lf - pos);
    if (has_bad_byte(line, first)) {
      return error(400, first ? "malformed request line" : "malformed header field");
    }
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    pos = lf + 1;
    if (first && line.size() > limits.max_request_line_bytes) {
      return error(414, "request line too long");
    }
    if (pos > limits.max_head_bytes) {
      return error(431, "request head too large");
    }
    if (first) {
      auto parsed = parse_request_line(line);
      if (auto* e = std::get_if<ParseError>(&parsed)) {
        return std::move(*e);
      }
      request = std::move(std::get<Request>(parsed));
      continue;
    }
    if (line.empty()) {
      break;
    }
    if (++request.header_lines > limits.max_header_lines) {
      return error(431, "too many header fields");
    }
    auto field = parse_field_line(line, facts);
    if (auto* e = std::get_if<ParseError>(&field)) {
      return std::move(*e);
    }
  }
  if (facts.hosts > 1 || (request.minor_version == 1 && facts.hosts == 0)) {
    return error(400, "HTTP/1.1 needs exactly one Host header");
  }
  request.head_bytes = pos;
  return request;
}

}  // namespace acc::router::http
