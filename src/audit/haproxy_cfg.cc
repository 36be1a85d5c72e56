#include "audit/haproxy_cfg.h"

#include <charconv>
#include <optional>

#include "common/strings.h"

namespace healthgap::audit {
namespace {

// Words of a config line, with HAProxy's quoting ('...', "...") and `#` comments; a bounded
// number of them (a line is someone's config, not ours).
std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size() && words.size() < 256; ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (c == '#') break;
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// Server settings a `default-server` line or a server line sets.
struct ServerSettings {
  std::optional<bool> check;
  std::optional<Millis> inter, fastinter, downinter;
  std::optional<int> rise, fall, port;
};

// What a `defaults` section passes on, and what a backend adds to it.
struct Settings {
  std::string mode = "tcp";
  bool httpchk = false;
  int httpchk_line = 0;
  std::string method = "OPTIONS";  // `option httpchk` alone sends OPTIONS /
  std::string path = "/";
  std::optional<StatusMatcher> expect;
  int expect_line = 0;
  std::optional<Millis> timeout_check, timeout_connect;
  ServerSettings server;
};

// A line's server settings from word `from` on; unknown words are skipped (they do not change
// the check), a bad value is an error.
std::string ReadServerSettings(const std::vector<std::string>& words, std::size_t from,
                               ServerSettings& settings) {
  for (std::size_t i = from; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "check") {
      settings.check = true;
      continue;
    }
    if (word == "no-check") {
      settings.check = false;
      continue;
    }
    const bool timed = word == "inter" || word == "fastinter" || word == "downinter";
    const bool counted = word == "rise" || word == "fall" || word == "port";
    if (!timed && !counted) continue;
    if (i + 1 >= words.size()) return "`" + word + "` needs a value";
    const std::string& value = words[++i];
    if (timed) {
      const std::optional<Millis> time = ParseHaproxyTime(value);
      if (!time) return "`" + word + " " + value + "`: not an HAProxy time";
      (word == "inter"       ? settings.inter
       : word == "fastinter" ? settings.fastinter
                             : settings.downinter) = time;
    } else {
      const std::optional<int> number = ParseInteger(value);
      if (!number || *number < 0) return "`" + word + " " + value + "`: not a count";
      (word == "rise" ? settings.rise : word == "fall" ? settings.fall : settings.port) = number;
    }
  }
  return "";
}

void Overlay(ServerSettings& base, const ServerSettings& over) {
  if (over.check) base.check = over.check;
  if (over.inter) base.inter = over.inter;
  if (over.fastinter) base.fastinter = over.fastinter;
  if (over.downinter) base.downinter = over.downinter;
  if (over.rise) base.rise = over.rise;
  if (over.fall) base.fall = over.fall;
  if (over.port) base.port = over.port;
}

// `http-check expect [!] status <codes>`: "200", "200-399", "200,204,301-302".
std::optional<StatusMatcher> ExpectStatus(const std::vector<std::string>& words) {
  std::size_t i = 2;
  if (i < words.size() && words[i] == "!") return std::nullopt;  // negated: not a status list
  if (i + 1 >= words.size() || words[i] != "status") return std::nullopt;
  StatusMatcher matcher;
  matcher.ranges.clear();
  for (std::string_view codes = words[i + 1]; !codes.empty();) {
    const std::size_t comma = codes.find(',');
    const std::string_view item = codes.substr(0, comma);
    const std::size_t dash = item.find('-');
    const auto low = ParseInteger(item.substr(0, dash));
    const auto high = dash == std::string_view::npos ? low : ParseInteger(item.substr(dash + 1));
    if (!low || !high) return std::nullopt;
    matcher.ranges.push_back({*low, *high});
    if (comma == std::string_view::npos) break;
    codes.remove_prefix(comma + 1);
  }
  return matcher;
}

Pool MakePool(const std::string& file, const std::string& kind, const std::string& name, int line,
              const Settings& settings) {
  Pool pool;
  pool.balancer = Balancer::kHaproxy;
  pool.file = file;
  pool.kind = kind;
  pool.name = name;
  pool.line = line;
  pool.names = {.interval = "inter",
                .unhealthy_threshold = "fall",
                .healthy_threshold = "rise",
                .timeout = "timeout check",
                .matcher = "http-check expect"};
  const ServerSettings& s = settings.server;
  Check& check = pool.check;
  check.interval = s.inter.value_or(Millis(2000));
  check.fast_interval = s.fastinter.value_or(check.interval);
  check.down_interval = s.downinter.value_or(check.interval);
  check.healthy_threshold = s.rise.value_or(2);
  check.unhealthy_threshold = s.fall.value_or(3);
  check.port = s.port.value_or(0);
  // With `timeout check`: connect within min(timeout connect, inter), then read within it;
  // without: inter is the whole check's timeout.
  check.timeout =
      settings.timeout_check
          ? std::min(settings.timeout_connect.value_or(check.interval), check.interval) +
                *settings.timeout_check
          : check.interval;
  check.timeout_set = settings.timeout_check;
  if (settings.httpchk) {
    check.kind = CheckKind::kHttp;
    check.method = settings.method;
    check.path = settings.path;
    check.line = settings.httpchk_line;
    check.matcher_set = settings.expect.has_value();
    check.accepted = settings.expect.value_or(StatusMatcher{{{200, 399}}});
  } else {
    check.kind = CheckKind::kTcp;
  }
  return pool;
}

}  // namespace

std::optional<Millis> ParseHaproxyTime(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  const long long value = *ParseInteger(text.substr(0, digits));
  const std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return Millis(value);
  if (unit == "us") return Millis(value / 1000);
  if (unit == "s") return Millis(value * 1000);
  if (unit == "m") return Millis(value * 60'000);
  if (unit == "h") return Millis(value * 3'600'000);
  if (unit == "d") return Millis(value * 86'400'000);
  return std::nullopt;
}

namespace {

bool IsSectionKeyword(std::string_view word) {
  for (std::string_view keyword :
       {"global", "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist",
        "mailers", "program", "http-errors", "cache", "ring"}) {
    if (word == keyword) return true;
  }
  return false;
}

// Reads one config line into the section's settings (and the pool's servers); "" or why not.
std::string ReadLine(const std::vector<std::string>& words, int line, Settings& current, Pool* pool,
                     std::vector<ServerSettings>* servers) {
  const std::string& keyword = words[0];
  if (keyword == "mode" && words.size() >= 2) current.mode = words[1];
  if (keyword == "option" && words.size() >= 2 && words[1] == "httpchk") {
    current.httpchk = true;
    current.httpchk_line = line;
    if (words.size() == 3) {
      current.path = words[2];  // `option httpchk <uri>`: still OPTIONS
    } else if (words.size() >= 4) {
      current.method = words[2];
      current.path = words[3];
    }
  }
  if (keyword == "http-check" && words.size() >= 2 && words[1] == "send") {
    for (std::size_t i = 2; i + 1 < words.size(); ++i) {
      if (words[i] == "meth") current.method = words[i + 1];
      if (words[i] == "uri") current.path = words[i + 1];
    }
  }
  if (keyword == "http-check" && words.size() >= 2 && words[1] == "expect") {
    current.expect_line = line;
    // A status list is what healthgap can follow; rstatus and string matchers are stricter
    // than "any 2xx or 3xx": read as 200 with the matcher set.
    current.expect = ExpectStatus(words).value_or(StatusMatcher{{{200, 200}}});
  }
  if (keyword == "timeout" && words.size() >= 3 && (words[1] == "check" || words[1] == "connect")) {
    const std::optional<Millis> time = ParseHaproxyTime(words[2]);
    if (!time) return "`timeout " + words[1] + " " + words[2] + "`: not an HAProxy time";
    (words[1] == "check" ? current.timeout_check : current.timeout_connect) = time;
  }
  if (keyword == "default-server") return ReadServerSettings(words, 1, current.server);
  if (keyword == "server" && pool) {
    if (words.size() < 3) return "`server` needs a name and an address";
    ServerSettings own;
    if (auto error = ReadServerSettings(words, 3, own); !error.empty()) return error;
    if (pool->servers.size() >= 10'000) return "more than 10,000 servers in a backend";
    pool->servers.push_back({.name = words[1], .address = words[2], .line = line});
    servers->push_back(own);
  }
  return "";
}

// The pool as its section's settings and servers make it: each server's own settings over
// default-server's; the first checked server's stand for the pool's check.
void Finish(Pool& pool, Settings settings, const std::vector<ServerSettings>& servers) {
  const std::size_t first_checked = [&] {
    for (std::size_t i = 0; i < servers.size(); ++i) {
      ServerSettings merged = settings.server;
      Overlay(merged, servers[i]);
      if (merged.check.value_or(false)) return i;
    }
    return servers.size();
  }();
  std::vector<Server> kept = std::move(pool.servers);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    ServerSettings merged = settings.server;
    Overlay(merged, servers[i]);
    kept[i].checked = merged.check.value_or(false);
  }
  if (first_checked < servers.size()) Overlay(settings.server, servers[first_checked]);
  const Pool made = MakePool(pool.file, pool.kind, pool.name, pool.line, settings);
  pool = made;
  pool.servers = std::move(kept);
}

}  // namespace

HaproxyConfig ParseHaproxyConfig(std::string_view text, const std::string& file) {
  HaproxyConfig out;
  Settings defaults;
  Settings current;
  std::string section;
  std::optional<std::size_t> pool;  // index into out.pools of the section being read
  std::vector<ServerSettings> servers;
  const auto close_section = [&] {
    if (pool) Finish(out.pools[*pool], current, servers);
    if (section == "defaults") defaults = current;
    pool.reset();
    servers.clear();
  };
  int line_number = 0;
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t newline = std::min(text.find('\n', from), text.size());
    const std::string_view line = text.substr(from, newline - from);
    from = newline + 1;
    if (++line_number > 1'000'000) {
      HaproxyConfig failed;
      failed.error = "more than 1,000,000 lines";
      return failed;
    }
    const std::vector<std::string> words = Words(line);
    if (words.empty()) continue;
    std::string error;
    if (IsSectionKeyword(words[0])) {
      close_section();
      section = words[0];
      current = section == "defaults" ? Settings{} : defaults;
      if (section == "backend" || section == "listen") {
        if (words.size() < 2) {
          error = "`" + section + "` needs a name";
        } else if (out.pools.size() >= 4096) {
          error = "more than 4,096 backends";
        } else {
          pool = out.pools.size();
          Pool& opened = out.pools.emplace_back();
          opened.file = file;
          opened.kind = section;
          opened.name = words[1];
          opened.line = line_number;
        }
      }
    } else if (section.empty()) {
      error = "`" + words[0] + "` before any section: not an HAProxy config";
    } else if (section == "global") {
      if (words[0] == "stats" && words.size() >= 3 && words[1] == "socket") {
        out.stats_socket = words[2];
      }
    } else if (section == "defaults" || section == "backend" || section == "listen") {
      error = ReadLine(words, line_number, current, pool ? &out.pools[*pool] : nullptr, &servers);
    }
    if (!error.empty()) {
      HaproxyConfig failed;
      failed.error = "line " + std::to_string(line_number) + ": " + error;
      return failed;
    }
  }
  close_section();
  if (section.empty()) {
    out.error = "no section (global, defaults, backend, ...): not an HAProxy config";
  }
  return out;
}

}  // namespace healthgap::audit
