// lb_sources: the real balancers whose own view healthgap reads, and a target's lb_source.

#include "common/socket_address.h"
#include "config/field_readers.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

namespace {

LbSource ReadLbSource(const Reader& reader, const Entry& item) {
  const Fields fields = reader.OpenMap(item, {"name", "type", "address", "interval", "timeout"});
  LbSource source;
  const Entry* name = fields.Get("name");
  if (!name) reader.Fail(item.line, item.field + ".name", "required field is missing");
  source.name = reader.ReadString(*name);
  if (auto error = CheckName(source.name, "source"); !error.empty()) {
    reader.Fail(name->line, name->field, error);
  }
  const Entry* type = fields.Get("type");
  if (!type) reader.Fail(item.line, item.field + ".type", "required field is missing");
  if (const std::string text = reader.ReadString(*type); text != "haproxy") {
    reader.Fail(type->line, type->field,
                "unknown source type " + Quote(text) + ", expected haproxy");
  }
  const Entry* address = fields.Get("address");
  if (!address) reader.Fail(item.line, item.field + ".address", "required field is missing");
  source.address = reader.ReadString(*address);
  if (std::string error; !ParseSocketAddress(source.address, &error)) {
    reader.Fail(address->line, address->field, error);
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

std::vector<LbSource> ReadLbSources(const Reader& reader, const Entry& entry) {
  std::vector<LbSource> sources;
  strict_yaml::FirstLines first_lines;
  for (const Entry& item : reader.Items(entry, "a list of load balancer sources")) {
    LbSource source = ReadLbSource(reader, item);
    if (const std::optional<int> first = first_lines.Repeated(source.name, item.line)) {
      reader.Fail(item.line, item.field + ".name",
                  "duplicate source name " + Quote(source.name) + ", first defined at line " +
                      std::to_string(*first));
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

LbSourceRef ReadLbSourceRef(const Reader& reader, const Entry& entry,
                            const std::vector<LbSource>& sources) {
  const Fields fields = reader.OpenMap(entry, {"source", "backend", "server"});
  LbSourceRef ref;
  const Entry* source = fields.Get("source");
  if (!source) reader.Fail(entry.line, entry.field + ".source", "required field is missing");
  ref.source = reader.ReadString(*source);
  std::string known;
  bool found = false;
  for (const LbSource& candidate : sources) {
    found = found || candidate.name == ref.source;
    known += (known.empty() ? "" : ", ") + candidate.name;
  }
  if (!found) {
    reader.Fail(
        source->line, source->field,
        "unknown source " + Quote(ref.source) +
            (known.empty() ? "; lb_sources defines none" : "; lb_sources defines " + known));
  }
  if (const Entry* backend = fields.Get("backend")) ref.backend = reader.ReadString(*backend);
  if (const Entry* server = fields.Get("server")) ref.server = reader.ReadString(*server);
  return ref;
}

}  // namespace healthgap::config
