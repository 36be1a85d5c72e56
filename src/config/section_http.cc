// How requests are sent (follow_redirects, max_redirects, compression, valid_http_versions, per
// health check and sample) and how targets are connected to (proxy_url, preferred_ip_protocol,
// ip_protocol_fallback, per target, module and defaults): blackbox_exporter's names.

#include <array>

#include "config/field_readers.h"
#include "config/sections.h"

namespace healthgap::config {
namespace {

constexpr int kMostRedirects = 20;

int ReadMaxRedirects(const Reader& reader, const Entry& entry) {
  const int count = reader.ReadCount(entry);
  if (count > kMostRedirects) {
    reader.Fail(
        entry.line, entry.field,
        "must be at most " + std::to_string(kMostRedirects) + ", got " + std::to_string(count));
  }
  return count;
}

// The encodings libcurl decodes; "identity" is blackbox_exporter's name for none.
std::string ReadCompression(const Reader& reader, const Entry& entry) {
  const std::string text = reader.ReadString(entry);
  if (text == "identity") return "";
  if (text == "gzip" || text == "deflate" || text == "br") return text;
  reader.Fail(
      entry.line, entry.field,
      "unknown compression " + Quote(text) + ", expected one of gzip, deflate, br, identity");
}

std::vector<HttpVersion> ReadHttpVersions(const Reader& reader, const Entry& entry) {
  std::vector<HttpVersion> versions;
  for (const Entry& item : reader.Items(entry, "a list of HTTP versions")) {
    const std::string text = reader.ReadString(item);
    const std::optional<HttpVersion> version = ValueNamed(kHttpVersionNames, text);
    if (!version) {
      reader.Fail(item.line, item.field,
                  "unknown HTTP version " + Quote(text) + ", expected one of " +
                      JoinedNames(kHttpVersionNames));
    }
    versions.push_back(*version);
  }
  if (versions.empty()) reader.Fail(entry.line, entry.field, "must list at least one version");
  return versions;
}

std::string ReadProxyUrl(const Reader& reader, const Entry& entry) {
  const std::string text = reader.ReadString(entry);
  for (std::string_view scheme : {"http://", "https://", "socks5://", "socks5h://"}) {
    if (!text.starts_with(scheme)) continue;
    const std::string_view rest = std::string_view(text).substr(scheme.size());
    const std::string_view authority = rest.substr(0, rest.find('/'));
    if (authority.empty() || authority.find('@') != std::string_view::npos) break;
    return text;
  }
  reader.Fail(entry.line, entry.field,
              "invalid proxy URL " + Quote(text) +
                  ", expected http://, https:// or socks5:// and a host, without credentials");
}

IpProtocol ReadIpProtocol(const Reader& reader, const Entry& entry) {
  const std::string text = reader.ReadString(entry);
  const std::optional<IpProtocol> protocol = ValueNamed(kIpProtocolNames, text);
  if (!protocol) {
    reader.Fail(entry.line, entry.field,
                "unknown IP protocol " + Quote(text) + ", expected one of " +
                    JoinedNames(kIpProtocolNames));
  }
  return *protocol;
}

using H = HttpLayer;
// Sized by its rules, so a table cannot hold an empty one.
const auto kHttpFields = std::to_array<FieldRule<H>>({
    {"follow_redirects", SetMember<H, &H::follow_redirects, ReadBool>},
    {"max_redirects", SetMember<H, &H::max_redirects, ReadMaxRedirects>},
    {"compression", SetMember<H, &H::compression, ReadCompression>},
    {"valid_http_versions", SetMember<H, &H::valid_http_versions, ReadHttpVersions>},
});

using C = ConnectionLayer;
const auto kConnectionFields = std::to_array<FieldRule<C>>({
    {"proxy_url", SetMember<C, &C::proxy_url, ReadProxyUrl>},
    {"preferred_ip_protocol", SetMember<C, &C::preferred_ip_protocol, ReadIpProtocol>},
    {"ip_protocol_fallback", SetMember<C, &C::ip_protocol_fallback, ReadBool>},
});

}  // namespace

KeySet HttpKeys() { return KeysOf(kHttpFields); }

HttpLayer ReadHttpLayer(const Reader& reader, const Fields& fields, Level level) {
  HttpLayer layer;
  ReadFields(reader, fields, kHttpFields, level, layer);
  return layer;
}

KeySet ConnectionKeys() { return KeysOf(kConnectionFields); }

ConnectionLayer ReadConnectionLayer(const Reader& reader, const Fields& fields, Level level) {
  ConnectionLayer layer;
  ReadFields(reader, fields, kConnectionFields, level, layer);
  return layer;
}

}  // namespace healthgap::config
