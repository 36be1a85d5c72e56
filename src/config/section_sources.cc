// sources: what knows better than the emulation (a real balancer's view, real users' traffic),
// and a target's lb_source and traffic_source, each naming one of them.

#include "common/socket_address.h"
#include "config/field_readers.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

namespace {

// The keys each type takes beside name, type, interval and timeout.
KeySet TypeKeys(SourceType type) {
  switch (type) {
    case SourceType::kHaproxy:
      return {"address"};
    case SourceType::kPrometheus:
      return {"url", "target_label", "lb_query", "requests_query", "failures_query"};
    case SourceType::kNginxLog:
    case SourceType::kHaproxyLog:
      return {"path"};
  }
  return {};
}

std::string RequiredString(const Reader& reader, const Fields& fields, const Entry& item,
                           const char* key) {
  const Entry* entry = fields.Get(key);
  if (!entry) reader.Fail(item.line, item.field + "." + key, "required field is missing");
  std::string value = reader.ReadString(*entry);
  if (value.empty()) reader.Fail(entry->line, entry->field, "must not be empty");
  return value;
}

void ReadPrometheus(const Reader& reader, const Fields& fields, const Entry& item, Source& source) {
  const Entry* url = fields.Get("url");
  if (!url) reader.Fail(item.line, item.field + ".url", "required field is missing");
  auto base_url = NormalizeBaseUrl(reader.ReadString(*url));
  if (!base_url.value) reader.Fail(url->line, url->field, base_url.error);
  source.url = *base_url.value;
  if (const Entry* label = fields.Get("target_label")) {
    source.target_label = reader.ReadString(*label);
    if (auto error = CheckLabelName(source.target_label); !error.empty()) {
      reader.Fail(label->line, label->field, error);
    }
  }
  for (auto [key, query] : {std::pair{"lb_query", &source.lb_query},
                            std::pair{"requests_query", &source.requests_query},
                            std::pair{"failures_query", &source.failures_query}}) {
    if (fields.Get(key)) *query = RequiredString(reader, fields, item, key);
  }
  if (source.requests_query.empty() != source.failures_query.empty()) {
    const char* missing = source.requests_query.empty() ? "requests_query" : "failures_query";
    reader.Fail(item.line, item.field + "." + missing,
                "requests_query and failures_query go together: the error ratio needs both");
  }
  if (source.lb_query.empty() && source.requests_query.empty()) {
    reader.Fail(item.line, item.field + ".lb_query",
                "a prometheus source needs lb_query, or requests_query and failures_query");
  }
}

Source ReadSource(const Reader& reader, const Entry& item) {
  KeySet keys{"name", "type", "interval", "timeout"};
  for (const auto& entry : kSourceTypeNames) {
    const KeySet type_keys = TypeKeys(entry.value);  // alive through the loop below
    for (std::string_view key : type_keys.keys()) {
      if (!keys.Contains(key)) keys.Add(key);
    }
  }
  const Fields fields = reader.OpenMap(item, keys);
  Source source;
  source.name = RequiredString(reader, fields, item, "name");
  if (auto error = CheckName(source.name, "source"); !error.empty()) {
    reader.Fail(fields.Get("name")->line, fields.Get("name")->field, error);
  }
  const Entry* type = fields.Get("type");
  if (!type) reader.Fail(item.line, item.field + ".type", "required field is missing");
  const std::string type_name = reader.ReadString(*type);
  const std::optional<SourceType> parsed = ValueNamed(kSourceTypeNames, type_name);
  if (!parsed) {
    reader.Fail(type->line, type->field,
                "unknown source type " + Quote(type_name) + ", expected one of " +
                    JoinedNames(kSourceTypeNames));
  }
  source.type = *parsed;
  // A key of another type is a mistake worth naming, not a silent no-op.
  const KeySet own = TypeKeys(source.type);
  for (const auto& entry : kSourceTypeNames) {
    const KeySet type_keys = TypeKeys(entry.value);
    for (std::string_view key : type_keys.keys()) {
      const Entry* field = fields.Get(key);
      if (field && !own.Contains(key)) {
        reader.Fail(field->line, field->field,
                    "not a field of a source of type " + type_name + " (it belongs to " +
                        std::string(entry.name) + ")");
      }
    }
  }
  switch (source.type) {
    case SourceType::kHaproxy: {
      source.address = RequiredString(reader, fields, item, "address");
      if (std::string error; !ParseSocketAddress(source.address, &error)) {
        reader.Fail(fields.Get("address")->line, fields.Get("address")->field, error);
      }
      break;
    }
    case SourceType::kPrometheus:
      ReadPrometheus(reader, fields, item, source);
      break;
    case SourceType::kNginxLog:
    case SourceType::kHaproxyLog:
      source.path = RequiredString(reader, fields, item, "path");
      break;
  }
  if (const Entry* interval = fields.Get("interval")) {
    source.interval = ReadDuration(reader, *interval);
  }
  const Entry* timeout = fields.Get("timeout");
  if (timeout) source.timeout = ReadDuration(reader, *timeout);
  if (source.timeout > source.interval) {
    reader.Fail(timeout ? timeout->line : item.line, item.field + ".timeout",
                "timeout " + FormatDuration(source.timeout) + " exceeds interval " +
                    FormatDuration(source.interval) + ": one poll at a time");
  }
  return source;
}

}  // namespace

std::vector<Source> ReadSources(const Reader& reader, const Entry& entry) {
  std::vector<Source> sources;
  strict_yaml::FirstLines first_lines;
  for (const Entry& item : reader.Items(entry, "a list of sources")) {
    Source source = ReadSource(reader, item);
    if (const std::optional<int> first = first_lines.Repeated(source.name, item.line)) {
      reader.Fail(item.line, item.field + ".name",
                  "duplicate source name " + Quote(source.name) + ", first defined at line " +
                      std::to_string(*first));
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

namespace {

// The source `entry` names, which must give what `use` needs.
SourceRef ReadRef(const Reader& reader, const Entry& entry, const Fields& fields,
                  const std::vector<Source>& sources, SourceUse use) {
  SourceRef ref;
  const Entry* name = fields.Get("source");
  if (!name) reader.Fail(entry.line, entry.field + ".source", "required field is missing");
  ref.source = reader.ReadString(*name);
  std::string known;
  const Source* found = nullptr;
  for (const Source& candidate : sources) {
    if (candidate.name == ref.source) found = &candidate;
    known += (known.empty() ? "" : ", ") + candidate.name;
  }
  if (!found) {
    reader.Fail(name->line, name->field,
                "unknown source " + Quote(ref.source) +
                    (known.empty() ? "; sources defines none" : "; sources defines " + known));
  }
  if (use == SourceUse::kLbState && !found->GivesLbState()) {
    reader.Fail(name->line, name->field,
                "source " + Quote(ref.source) + " (" + std::string(ToString(found->type)) +
                    ") says nothing of a balancer's state: a haproxy source, or a prometheus "
                    "source with lb_query");
  }
  if (use == SourceUse::kTraffic && !found->GivesTraffic()) {
    reader.Fail(name->line, name->field,
                "source " + Quote(ref.source) +
                    " (prometheus) has no requests_query and failures_query to count traffic");
  }
  if (const Entry* backend = fields.Get("backend")) ref.backend = reader.ReadString(*backend);
  if (const Entry* server = fields.Get("server")) ref.server = reader.ReadString(*server);
  return ref;
}

}  // namespace

SourceRef ReadLbSourceRef(const Reader& reader, const Entry& entry,
                          const std::vector<Source>& sources) {
  const Fields fields = reader.OpenMap(entry, {"source", "backend", "server"});
  return ReadRef(reader, entry, fields, sources, SourceUse::kLbState);
}

TrafficSourceRef ReadTrafficSourceRef(const Reader& reader, const Entry& entry,
                                      const std::vector<Source>& sources) {
  const Fields fields = reader.OpenMap(entry, {"source", "backend", "server", "min_request_rate"});
  TrafficSourceRef ref;
  static_cast<SourceRef&>(ref) = ReadRef(reader, entry, fields, sources, SourceUse::kTraffic);
  if (const Entry* rate = fields.Get("min_request_rate")) {
    ref.min_request_rate = ReadNumber(reader, *rate, 0, 1e9);
  }
  return ref;
}

}  // namespace healthgap::config
