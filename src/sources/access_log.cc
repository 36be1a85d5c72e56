#include "sources/access_log.h"

#include <charconv>
#include <optional>

namespace healthgap::sources {
namespace {

// The value of `key=` in a line of space-separated key=value pairs, quoted or bare; nullopt
// when the key is not there.
std::optional<std::string_view> ValueOf(std::string_view line, std::string_view key) {
  std::size_t from = 0;
  while (from < line.size()) {
    const std::size_t at = line.find(key, from);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t value_at = at + key.size();
    const bool starts_field = at == 0 || line[at - 1] == ' ';
    if (starts_field && value_at < line.size() && line[value_at] == '=') {
      std::string_view rest = line.substr(value_at + 1);
      if (rest.starts_with('"')) {
        rest.remove_prefix(1);
        return rest.substr(0, rest.find('"'));
      }
      return rest.substr(0, rest.find(' '));
    }
    from = at + 1;
  }
  return std::nullopt;
}

std::optional<int> Status(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A status that tells a user's request failed: 5xx, or none (-1, "-": no response at all).
bool Failed(std::optional<int> status) { return !status || *status < 100 || *status >= 500; }

// nginx's lists: ", " between attempts, " : " between internal redirects; both are attempts.
std::vector<std::string_view> Attempts(std::string_view list) {
  std::vector<std::string_view> items;
  constexpr std::size_t kMaxAttempts = 64;  // a line is another program's: bounded
  while (!list.empty() && items.size() < kMaxAttempts) {
    const std::size_t comma = list.find(", ");
    const std::size_t colon = list.find(" : ");
    const std::size_t end = std::min(comma, colon);
    items.push_back(list.substr(0, end));
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + (end == comma ? 2 : 3));
  }
  return items;
}

std::vector<UpstreamAttempt> ParseNginx(std::string_view line) {
  std::vector<UpstreamAttempt> attempts;
  const auto addresses = ValueOf(line, "upstream_addr");
  const auto statuses = ValueOf(line, "upstream_status");
  if (!addresses || !statuses || *addresses == "-") return attempts;
  const std::vector<std::string_view> address_list = Attempts(*addresses);
  const std::vector<std::string_view> status_list = Attempts(*statuses);
  for (std::size_t i = 0; i < address_list.size(); ++i) {
    if (address_list[i].empty() || address_list[i] == "-") continue;
    UpstreamAttempt attempt;
    attempt.address = std::string(address_list[i]);
    attempt.server = attempt.address;
    attempt.failed = Failed(i < status_list.size() ? Status(status_list[i]) : std::nullopt);
    attempts.push_back(std::move(attempt));
  }
  return attempts;
}

std::vector<UpstreamAttempt> ParseHaproxy(std::string_view line) {
  std::vector<UpstreamAttempt> attempts;
  const auto backend = ValueOf(line, "backend");
  const auto server = ValueOf(line, "server");
  const auto status = ValueOf(line, "status");
  if (!backend || !server || !status || server->empty() || *server == "<NOSRV>") {
    return attempts;
  }
  UpstreamAttempt attempt;
  attempt.backend = std::string(*backend);
  attempt.server = std::string(*server);
  if (const auto address = ValueOf(line, "addr")) attempt.address = std::string(*address);
  attempt.failed = Failed(Status(*status));
  attempts.push_back(std::move(attempt));
  return attempts;
}

}  // namespace

std::vector<UpstreamAttempt> ParseAccessLogLine(std::string_view line, LogFormat format) {
  return format == LogFormat::kNginx ? ParseNginx(line) : ParseHaproxy(line);
}

}  // namespace healthgap::sources
