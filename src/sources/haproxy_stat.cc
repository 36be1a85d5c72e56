#include "sources/haproxy_stat.h"

#include <array>
#include <charconv>

#include "common/enum_names.h"

namespace healthgap::sources {
namespace {

constexpr std::array<EnumName<HaproxyServerState>, 8> kStateNames = {{
    {HaproxyServerState::kUp, "up"},
    {HaproxyServerState::kGoingDown, "going_down"},
    {HaproxyServerState::kDown, "down"},
    {HaproxyServerState::kGoingUp, "going_up"},
    {HaproxyServerState::kNoCheck, "no_check"},
    {HaproxyServerState::kDraining, "draining"},
    {HaproxyServerState::kMaintenance, "maintenance"},
    {HaproxyServerState::kUnknown, "unknown"},
}};
static_assert(ListsValuesInOrder(kStateNames));

// Splits one CSV line on commas (HAProxy quotes nothing in `show stat`), at most `limit` fields.
std::vector<std::string_view> Fields(std::string_view line, std::size_t limit) {
  std::vector<std::string_view> fields;
  while (fields.size() < limit) {
    const auto comma = line.find(',');
    fields.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields;
}

template <typename T>
std::optional<T> Number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Column positions by name, from the header line.
struct Columns {
  static constexpr std::size_t kMissing = static_cast<std::size_t>(-1);
  std::size_t proxy = kMissing, server = kMissing, type = kMissing, address = kMissing,
              status = kMissing, check_status = kMissing, check_code = kMissing, lastchg = kMissing,
              chkfail = kMissing, stot = kMissing, hrsp_5xx = kMissing, eresp = kMissing,
              econ = kMissing;
};

Columns ColumnsOf(const std::vector<std::string_view>& header) {
  Columns columns;
  const std::array<std::pair<std::string_view, std::size_t*>, 13> names = {{
      {"pxname", &columns.proxy},
      {"svname", &columns.server},
      {"type", &columns.type},
      {"addr", &columns.address},
      {"status", &columns.status},
      {"check_status", &columns.check_status},
      {"check_code", &columns.check_code},
      {"lastchg", &columns.lastchg},
      {"chkfail", &columns.chkfail},
      {"stot", &columns.stot},
      {"hrsp_5xx", &columns.hrsp_5xx},
      {"eresp", &columns.eresp},
      {"econ", &columns.econ},
  }};
  for (std::size_t i = 0; i < header.size(); ++i) {
    for (const auto& [name, position] : names) {
      if (header[i] == name && *position == Columns::kMissing) *position = i;
    }
  }
  return columns;
}

}  // namespace

std::string_view ToString(HaproxyServerState state) { return NameOf(kStateNames, state); }

HaproxyServerState ParseServerState(std::string_view status) {
  const std::string_view word = status.substr(0, status.find(' '));
  const bool counting = word.size() < status.size();  // "UP 1/3", "DOWN 1/2"
  if (word == "UP") return counting ? HaproxyServerState::kGoingDown : HaproxyServerState::kUp;
  if (word == "DOWN") return counting ? HaproxyServerState::kGoingUp : HaproxyServerState::kDown;
  if (status == "no check") return HaproxyServerState::kNoCheck;
  if (word == "NOLB" || word == "DRAIN") return HaproxyServerState::kDraining;
  if (word == "MAINT") return HaproxyServerState::kMaintenance;
  return HaproxyServerState::kUnknown;
}

bool InRotation(HaproxyServerState state) {
  return state == HaproxyServerState::kUp || state == HaproxyServerState::kGoingDown ||
         state == HaproxyServerState::kNoCheck;
}

ShowStat ParseShowStat(std::string_view answer, const ShowStatLimits& limits) {
  ShowStat out;
  if (answer.size() > limits.max_bytes) {
    out.error = "answer of " + std::to_string(answer.size()) + " bytes exceeds " +
                std::to_string(limits.max_bytes);
    return out;
  }
  if (!answer.starts_with("# ")) {
    out.error = "not a stat table (no \"# pxname,...\" header)";
    return out;
  }
  constexpr std::size_t kMaxFields = 200;  // 2.6 has about 100 columns
  std::string_view rest = answer.substr(2);
  const auto header_end = rest.find('\n');
  const Columns columns = ColumnsOf(Fields(rest.substr(0, header_end), kMaxFields));
  if (columns.proxy == Columns::kMissing || columns.server == Columns::kMissing ||
      columns.status == Columns::kMissing) {
    out.error = "stat table without pxname, svname or status";
    return out;
  }
  rest = header_end == std::string_view::npos ? std::string_view() : rest.substr(header_end + 1);
  while (!rest.empty()) {
    const auto line_end = rest.find('\n');
    const std::string_view line = rest.substr(0, line_end);
    rest = line_end == std::string_view::npos ? std::string_view() : rest.substr(line_end + 1);
    const std::vector<std::string_view> fields = Fields(line, kMaxFields);
    auto field = [&](std::size_t column) -> std::string_view {
      if (column == Columns::kMissing || column >= fields.size()) return {};
      return fields[column].substr(0, limits.max_field_bytes);
    };
    auto count = [&](std::size_t column) {
      return Number<std::uint64_t>(field(column)).value_or(0);
    };
    // type 2 is a server; without the column, FRONTEND and BACKEND rows name themselves.
    const std::string_view type = field(columns.type);
    const std::string_view server = field(columns.server);
    if (server.empty() ||
        (columns.type != Columns::kMissing ? type != "2"
                                           : server == "FRONTEND" || server == "BACKEND")) {
      continue;
    }
    if (out.servers.size() >= limits.max_servers) {
      out.error = "more than " + std::to_string(limits.max_servers) + " servers";
      return out;
    }
    HaproxyServerStat& stat = out.servers.emplace_back();
    stat.proxy = std::string(field(columns.proxy));
    stat.server = std::string(server);
    stat.address = std::string(field(columns.address));
    stat.status = std::string(field(columns.status));
    stat.state = ParseServerState(stat.status);
    stat.check_status = std::string(field(columns.check_status));
    stat.check_code = Number<int>(field(columns.check_code));
    stat.seconds_since_change = Number<std::uint64_t>(field(columns.lastchg));
    stat.failed_checks = count(columns.chkfail);
    stat.sessions_total = count(columns.stot);
    stat.responses_5xx = count(columns.hrsp_5xx);
    stat.response_errors = count(columns.eresp);
    stat.connection_errors = count(columns.econ);
  }
  return out;
}

}  // namespace healthgap::sources
