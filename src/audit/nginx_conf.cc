#include "audit/nginx_conf.h"

#include <charconv>
#include <map>
#include <optional>

namespace healthgap::audit {
namespace {

// A directive: its name and arguments, its line, and its block's directives.
struct Directive {
  std::string name;
  std::vector<std::string> args;
  int line = 0;
  std::vector<Directive> block;
};

struct Token {
  std::string text;
  int line = 0;
  bool special = false;  // ; { }
};

// nginx's tokens: words, quoted strings, `;`, `{`, `}`; `#` comments to the end of the line.
std::vector<Token> Tokenize(std::string_view text, std::string* error) {
  std::vector<Token> tokens;
  int line = 1;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ';' || c == '{' || c == '}') {
      tokens.push_back({std::string(1, c), line, true});
      ++i;
    } else if (c == '"' || c == '\'') {
      const int start = line;
      std::string word;
      for (++i; i < text.size() && text[i] != c; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        if (text[i] == '\n') ++line;
        word += text[i];
      }
      if (i >= text.size()) {
        *error = "line " + std::to_string(start) + ": unterminated quoted string";
        return {};
      }
      ++i;
      tokens.push_back({std::move(word), start, false});
    } else {
      std::string word;
      while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
             text[i] != '\r' && text[i] != ';' && text[i] != '{' && text[i] != '}' &&
             text[i] != '#') {
        word += text[i++];
      }
      tokens.push_back({std::move(word), line, false});
    }
    if (tokens.size() > 2'000'000) {
      *error = "more than 2,000,000 tokens";
      return {};
    }
  }
  return tokens;
}

// Directives from tokens[*at] to the matching `}` (or the end, at depth 0).
bool Parse(const std::vector<Token>& tokens, std::size_t* at, int depth,
           std::vector<Directive>* out, std::string* error) {
  if (depth > 32) {
    *error = "blocks nested deeper than 32";
    return false;
  }
  while (*at < tokens.size()) {
    const Token& first = tokens[*at];
    if (first.special && first.text == "}") {
      if (depth == 0) {
        *error = "line " + std::to_string(first.line) + ": unexpected \"}\"";
        return false;
      }
      ++*at;
      return true;
    }
    if (first.special) {
      *error = "line " + std::to_string(first.line) + ": unexpected \"" + first.text + "\"";
      return false;
    }
    Directive directive{.name = first.text, .args = {}, .line = first.line, .block = {}};
    for (++*at; *at < tokens.size() && !tokens[*at].special; ++*at) {
      directive.args.push_back(tokens[*at].text);
    }
    if (*at >= tokens.size()) {
      *error = "line " + std::to_string(directive.line) + ": \"" + directive.name +
               "\" is not terminated by \";\"";
      return false;
    }
    const std::string& end = tokens[*at].text;
    ++*at;
    if (end == "{") {
      if (!Parse(tokens, at, depth + 1, &directive.block, error)) return false;
    } else if (end != ";") {
      *error = "line " + std::to_string(directive.line) + ": unexpected \"}\"";
      return false;
    }
    out->push_back(std::move(directive));
  }
  if (depth > 0) {
    *error = "unexpected end of file, expecting \"}\"";
    return false;
  }
  return true;
}

// nginx's time: "10s", "500ms", "1m", "1h", or seconds ("30").
std::optional<Millis> Time(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  const int value = *ParseInteger(text.substr(0, digits));
  const std::string_view unit = text.substr(digits);
  if (unit == "ms") return Millis(value);
  if (unit.empty() || unit == "s") return Millis(value * 1000LL);
  if (unit == "m") return Millis(value * 60'000LL);
  if (unit == "h") return Millis(value * 3'600'000LL);
  return std::nullopt;
}

// `key=value` arguments.
std::map<std::string, std::string> Params(const std::vector<std::string>& args) {
  std::map<std::string, std::string> params;
  for (const std::string& arg : args) {
    const std::size_t eq = arg.find('=');
    params[arg.substr(0, eq)] = eq == std::string::npos ? "" : arg.substr(eq + 1);
  }
  return params;
}

// `match NAME { status 200-399; ... }` blocks: the statuses each accepts.
std::map<std::string, StatusMatcher> Matches(const std::vector<Directive>& http) {
  std::map<std::string, StatusMatcher> matches;
  for (const Directive& d : http) {
    if (d.name != "match" || d.args.size() != 1) continue;
    StatusMatcher matcher{{{200, 399}}};
    for (const Directive& rule : d.block) {
      if (rule.name != "status" || rule.args.empty()) continue;
      matcher.ranges.clear();
      for (const std::string& arg : rule.args) {
        const std::size_t dash = arg.find('-');
        const auto low = ParseInteger(std::string_view(arg).substr(0, dash));
        const auto high =
            dash == std::string::npos ? low : ParseInteger(std::string_view(arg).substr(dash + 1));
        if (low && high) matcher.ranges.push_back({*low, *high});
      }
    }
    matches[d.args[0]] = matcher;
  }
  return matches;
}

// The upstream a location proxies to: `proxy_pass http://NAME[/...]` (or grpc_pass).
std::string Upstream(const Directive& location) {
  for (const Directive& d : location.block) {
    if ((d.name == "proxy_pass" || d.name == "grpc_pass") && d.args.size() == 1) {
      std::string target = d.args[0];
      const std::size_t scheme = target.find("://");
      if (scheme != std::string::npos) target = target.substr(scheme + 3);
      return target.substr(0, target.find('/'));
    }
  }
  return "";
}

// Every `health_check` in the locations under `block`, by the upstream they check.
void HealthChecks(const std::vector<Directive>& block,
                  std::map<std::string, const Directive*>* checks) {
  for (const Directive& d : block) {
    if (d.name == "location") {
      for (const Directive& inner : d.block) {
        if (inner.name == "health_check") {
          const std::string upstream = Upstream(d);
          if (!upstream.empty()) (*checks)[upstream] = &inner;
        }
      }
    }
    if (!d.block.empty()) HealthChecks(d.block, checks);
  }
}

std::optional<std::string> ReadUpstreams(const std::vector<Directive>& context,
                                         const std::string& file, std::vector<Pool>* pools) {
  std::map<std::string, const Directive*> checks;
  HealthChecks(context, &checks);
  const std::map<std::string, StatusMatcher> matches = Matches(context);
  for (const Directive& upstream : context) {
    if (upstream.name != "upstream" || upstream.args.size() != 1) continue;
    Pool pool;
    pool.balancer = Balancer::kNginx;
    pool.file = file;
    pool.kind = "upstream";
    pool.name = upstream.args[0];
    pool.line = upstream.line;
    pool.names = {.interval = "interval",
                  .unhealthy_threshold = "fails",
                  .healthy_threshold = "passes",
                  .timeout = "proxy_connect_timeout",
                  .matcher = "match"};
    pool.check.kind = CheckKind::kPassive;
    bool first = true;
    for (const Directive& server : upstream.block) {
      if (server.name != "server" || server.args.empty()) continue;
      pool.servers.push_back({.name = server.args[0],
                              .address = server.args[0],
                              .line = server.line,
                              .checked = true});
      const auto params = Params(server.args);
      if (!first) continue;  // the first server's settings stand for the pool's
      first = false;
      if (auto it = params.find("max_fails"); it != params.end()) {
        const auto value = ParseInteger(it->second);
        if (!value || *value < 0) {
          return "line " + std::to_string(server.line) + ": invalid max_fails \"" + it->second +
                 "\"";
        }
        pool.max_fails = *value;
      }
      if (auto it = params.find("fail_timeout"); it != params.end()) {
        const auto value = Time(it->second);
        if (!value) {
          return "line " + std::to_string(server.line) + ": invalid fail_timeout \"" + it->second +
                 "\"";
        }
        pool.fail_timeout = *value;
      }
    }
    if (auto it = checks.find(pool.name); it != checks.end()) {
      const Directive& check = *it->second;
      const auto params = Params(check.args);
      Check& active = pool.check;
      active.kind = CheckKind::kHttp;
      active.line = check.line;
      active.path = params.count("uri") ? params.at("uri") : "/";
      active.interval = Millis(5000);
      active.timeout = Millis(60'000);  // proxy_connect_timeout and proxy_read_timeout: 60s
      active.unhealthy_threshold = 1;
      active.healthy_threshold = 1;
      active.accepted = StatusMatcher{{{200, 399}}};
      if (auto p = params.find("interval"); p != params.end()) {
        if (auto value = Time(p->second)) active.interval = *value;
      }
      if (auto p = params.find("fails"); p != params.end()) {
        if (auto value = ParseInteger(p->second)) active.unhealthy_threshold = *value;
      }
      if (auto p = params.find("passes"); p != params.end()) {
        if (auto value = ParseInteger(p->second)) active.healthy_threshold = *value;
      }
      if (auto p = params.find("match"); p != params.end()) {
        if (auto m = matches.find(p->second); m != matches.end()) {
          active.accepted = m->second;
          active.matcher_set = true;
        }
      }
    }
    pools->push_back(std::move(pool));
  }
  return std::nullopt;
}

}  // namespace

ParsedPools ParseNginxConfig(std::string_view text, const std::string& file) {
  ParsedPools out;
  std::string error;
  const std::vector<Token> tokens = Tokenize(text, &error);
  std::vector<Directive> root;
  std::size_t at = 0;
  if (error.empty() && !Parse(tokens, &at, 0, &root, &error)) {
    out.error = error;
    return out;
  }
  if (!error.empty()) {
    out.error = error;
    return out;
  }
  // Upstreams live in `http` and `stream`; a file that is itself included there has them at
  // its top level.
  std::vector<const std::vector<Directive>*> contexts{&root};
  for (const Directive& d : root) {
    if ((d.name == "http" || d.name == "stream") && !d.block.empty()) contexts.push_back(&d.block);
  }
  for (const auto* context : contexts) {
    if (auto failed = ReadUpstreams(*context, file, &out.pools)) {
      out.error = *failed;
      out.pools.clear();
      return out;
    }
  }
  return out;
}

}  // namespace healthgap::audit
