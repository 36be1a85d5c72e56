#include "app/audit.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/text_table.h"
#include "audit/audit.h"
#include "audit/findings.h"

namespace healthgap::app {
namespace {

constexpr std::size_t kMaxFileBytes = 16 << 20;

std::string Seconds(audit::Millis duration) {
  char text[32];
  const double seconds = static_cast<double>(duration.count()) / 1000;
  std::snprintf(text, sizeof text, seconds < 1 ? "%.2fs" : "%.1fs", seconds);
  return text;
}

std::string CheckText(const audit::Pool& pool) {
  const audit::Check& check = pool.check;
  switch (check.kind) {
    case audit::CheckKind::kNone:
      return "none";
    case audit::CheckKind::kPassive:
      return "passive (max_fails=" + std::to_string(pool.max_fails) + ")";
    case audit::CheckKind::kTcp:
      return "tcp";
    case audit::CheckKind::kGrpc:
      return "grpc";
    case audit::CheckKind::kExec:
      return "exec";
    case audit::CheckKind::kHttp:
      break;
  }
  return "http " + check.method + " " + check.path + " " + audit::RangesText(check.accepted);
}

bool Read(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  text->assign(std::istreambuf_iterator<char>(in), {});
  if (text->size() > kMaxFileBytes) {
    *error = path + ": larger than 16 MiB";
    return false;
  }
  return true;
}

}  // namespace

int RunAudit(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  if (options.files.empty()) {
    err << "healthgap audit: name at least one balancer config\n";
    return kAuditBadInput;
  }
  std::vector<audit::AuditedFile> files;
  for (const std::string& path : options.files) {
    std::string text, error;
    if (!Read(path, &text, &error)) {
      err << "healthgap audit: " << error << "\n";
      return kAuditBadInput;
    }
    audit::AuditedFile file = audit::AuditText(text, path);
    if (!file.error.empty()) {
      err << "healthgap audit: " << path << ": " << file.error << "\n";
      return kAuditBadInput;
    }
    files.push_back(std::move(file));
  }
  std::vector<audit::Finding> findings;
  nlohmann::json pools = nlohmann::json::array();
  std::ostringstream rps;
  rps << options.rps;
  std::vector<std::vector<std::string>> table{{"POOL", "CHECK", "OUT (worst)", "BACK",
                                               "SENT TO A BROKEN SERVER AT " + rps.str() + " RPS",
                                               "WHERE"}};
  for (const audit::AuditedFile& file : files) {
    for (const audit::Pool& pool : file.pools) {
      const audit::Timing timing = audit::TimingOf(pool, options.rps);
      for (audit::Finding& finding : audit::FindingsFor(pool)) findings.push_back(finding);
      const std::string where = pool.file + ":" + std::to_string(pool.line);
      std::ostringstream failed;
      failed << std::fixed << std::setprecision(0) << timing.failed_requests;
      table.push_back(
          {pool.kind + " " + pool.name, CheckText(pool),
           timing.never_out ? "never" : Seconds(timing.out),
           timing.never_out ? "-" : Seconds(timing.back),
           timing.never_out ? "all, for as long as it is broken" : failed.str() + " requests",
           where});
      pools.push_back({{"balancer", audit::ToString(pool.balancer)},
                       {"file", pool.file},
                       {"line", pool.line},
                       {"kind", pool.kind},
                       {"name", pool.name},
                       {"check", CheckText(pool)},
                       {"never_out", timing.never_out},
                       {"out_seconds", static_cast<double>(timing.out.count()) / 1000},
                       {"back_seconds", static_cast<double>(timing.back.count()) / 1000},
                       {"requests_per_server", timing.requests_per_server},
                       {"failed_requests", timing.failed_requests},
                       {"how", timing.how}});
    }
  }
  const bool serious = std::any_of(findings.begin(), findings.end(), [](const auto& f) {
    return f.severity != audit::Severity::kInfo;
  });
  if (options.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const audit::Finding& f : findings) {
      list.push_back({{"severity", audit::ToString(f.severity)},
                      {"rule", f.rule},
                      {"file", f.file},
                      {"line", f.line},
                      {"pool", f.pool},
                      {"message", f.message},
                      {"fix", f.fix}});
    }
    out << nlohmann::json{{"rps", options.rps}, {"pools", pools}, {"findings", list}}.dump(2)
        << "\n";
  } else {
    PrintTable(table, out);
    out << "\n";
    if (findings.empty()) out << "No findings.\n";
    for (const audit::Finding& f : findings) {
      out << f.file << ":" << f.line << ": " << audit::ToString(f.severity) << " [" << f.rule
          << "] " << f.pool << ": " << f.message << "\n    fix: " << f.fix << "\n";
    }
  }
  if (!options.emit_config.empty()) {
    const std::string yaml = audit::EmitConfig(files);
    if (yaml.empty()) {
      err << "healthgap audit: --emit-config: no pool has an active health check to reproduce "
             "(passive checks and unchecked servers have nothing to probe)\n";
    } else if (options.emit_config == "-") {
      out << yaml;
    } else if (!(std::ofstream(options.emit_config) << yaml)) {
      err << "healthgap audit: cannot write " << options.emit_config << "\n";
      return kAuditBadInput;
    }
  }
  return serious ? kAuditFindings : kAuditClean;
}

}  // namespace healthgap::app
