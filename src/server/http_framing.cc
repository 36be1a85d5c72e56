#include "server/http_framing.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include "common/strings.h"

namespace healthgap::server {
namespace {

// The line starting at `from` without its CR LF (or LF), and where the next one starts;
// nullopt while no LF has arrived.
struct Line {
  std::string_view text;
  std::size_t next = 0;
};
std::optional<Line> LineAt(std::string_view buffered, std::size_t from) {
  const std::size_t newline = buffered.find('\n', from);
  if (newline == std::string_view::npos) return std::nullopt;
  std::string_view text = buffered.substr(from, newline - from);
  if (text.ends_with('\r')) text.remove_suffix(1);
  return Line{text, newline + 1};
}

std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

Framing Reject(int status, std::string reason) {
  Framing framing;
  framing.state = Framing::State::kReject;
  framing.status = status;
  framing.reason = std::move(reason);
  return framing;
}

// The chunked body starting at `from`: complete (its end in *end), incomplete, or rejected.
Framing FrameChunkedBody(std::string_view buffered, std::size_t from, const FramingLimits& limits,
                         std::size_t* end) {
  std::size_t at = from;
  std::uint64_t body = 0;
  const auto too_large = [&] {
    return Reject(413,
                  "request body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  };
  while (true) {
    const auto size_line = LineAt(buffered, at);
    if (!size_line) {
      // A size line is a few hex digits and perhaps extensions; more is not a request.
      return buffered.size() - at > 1024 ? Reject(400, "invalid chunk size line") : Framing{};
    }
    const std::string_view digits = Trim(size_line->text.substr(0, size_line->text.find(';')));
    if (digits.empty() || digits.size() > 8 ||
        !std::all_of(digits.begin(), digits.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
      return Reject(400, "invalid chunk size line");
    }
    const std::uint64_t size = std::stoull(std::string(digits), nullptr, 16);
    body += size;
    if (body > limits.max_body_bytes) return too_large();
    if (size == 0) {
      // Trailer fields, then the empty line that ends the message.
      std::size_t trailer = size_line->next;
      while (true) {
        const auto line = LineAt(buffered, trailer);
        if (!line) {
          return buffered.size() - trailer > limits.max_head_bytes
                     ? Reject(431, "trailer fields too large")
                     : Framing{};
        }
        trailer = line->next;
        if (line->text.empty()) {
          *end = trailer;
          Framing complete;
          complete.state = Framing::State::kComplete;
          return complete;
        }
      }
    }
    const std::size_t data = size_line->next;
    if (buffered.size() < data + size + 1) return Framing{};
    const auto after = LineAt(buffered, data + size);
    if (!after) return Framing{};
    if (!after->text.empty()) return Reject(400, "chunk data longer than its size");
    at = after->next;
  }
}

}  // namespace

void IgnoreAcceptEncoding(std::string& buffered) {
  const std::string_view text = buffered;
  std::size_t at = 0;
  bool request_line = true;
  while (const auto line = LineAt(text, at)) {
    at = line->next;
    if (line->text.empty()) return;  // the end of the head
    if (std::exchange(request_line, false)) continue;
    const std::size_t colon = line->text.find(':');
    if (colon == std::string_view::npos ||
        !EqualsIgnoringCase(line->text.substr(0, colon), "Accept-Encoding")) {
      continue;
    }
    const std::size_t value_start =
        static_cast<std::size_t>(line->text.data() - text.data()) + colon + 1;
    buffered.replace(value_start, line->text.size() - colon - 1, line->text.size() - colon - 1,
                     ' ');
  }
}

Framing FrameRequest(std::string_view buffered, const FramingLimits& limits) {
  const auto head_too_large = [&] {
    return Reject(431,
                  "request head larger than " + std::to_string(limits.max_head_bytes) + " bytes");
  };
  std::optional<std::uint64_t> content_length;
  bool transfer_encoding = false;
  bool chunked = false;
  bool expects_continue = false;
  std::size_t at = 0;
  bool request_line = true;
  while (true) {
    const auto line = LineAt(buffered, at);
    if (!line) return buffered.size() > limits.max_head_bytes ? head_too_large() : Framing{};
    if (line->next > limits.max_head_bytes) return head_too_large();
    at = line->next;
    if (line->text.empty()) break;  // the end of the head (httplib judges a missing request line)
    if (std::exchange(request_line, false)) continue;
    const std::size_t colon = line->text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Reject(400, "malformed header line");
    }
    const std::string_view name = line->text.substr(0, colon);
    if (name.back() == ' ' || name.back() == '\t') {
      return Reject(400, "whitespace between a header name and its colon");
    }
    const std::string_view value = Trim(line->text.substr(colon + 1));
    if (EqualsIgnoringCase(name, "Content-Length")) {
      const auto length = ParseDecimal(value);
      if (!length) return Reject(400, "invalid Content-Length");
      if (content_length && *content_length != *length) {
        return Reject(400, "conflicting Content-Length headers");
      }
      content_length = length;
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      // Only "chunked", once: any other coding or a list of them is not ours to decode.
      chunked = !transfer_encoding && EqualsIgnoringCase(value, "chunked");
      transfer_encoding = true;
    } else if (EqualsIgnoringCase(name, "Expect")) {
      expects_continue = EqualsIgnoringCase(value, "100-continue");
    }
  }
  const std::size_t head_end = at;
  if (transfer_encoding && content_length) {
    return Reject(400, "Content-Length together with Transfer-Encoding");
  }
  if (transfer_encoding && !chunked) return Reject(501, "Transfer-Encoding other than chunked");

  Framing framing;
  framing.head_complete = true;
  if (chunked) {
    std::size_t end = 0;
    framing = FrameChunkedBody(buffered, head_end, limits, &end);
    framing.head_complete = true;
    if (framing.state == Framing::State::kComplete) framing.length = end;
  } else {
    const std::uint64_t length = content_length.value_or(0);
    if (length > limits.max_body_bytes) {
      return Reject(413,
                    "request body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (buffered.size() >= head_end + length) {
      framing.state = Framing::State::kComplete;
      framing.length = head_end + static_cast<std::size_t>(length);
    }
  }
  framing.expects_continue = framing.state == Framing::State::kIncomplete && expects_continue &&
                             buffered.size() == head_end;
  return framing;
}

std::string RejectionResponse(int status, std::string_view reason) {
  std::string_view text = "Bad Request";
  if (status == 413) text = "Content Too Large";
  if (status == 431) text = "Request Header Fields Too Large";
  if (status == 501) text = "Not Implemented";
  const std::string body = std::string(reason) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(text) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace healthgap::server
