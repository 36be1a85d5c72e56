#pragma once

// HTTP versions and IP protocols as blackbox_exporter's http prober names them
// (valid_http_versions, preferred_ip_protocol) and exports them (probe_http_version,
// probe_ip_protocol).

#include <array>
#include <string_view>

#include "common/enum_names.h"

namespace healthgap {

enum class HttpVersion { kHttp10, kHttp11, kHttp2, kHttp3 };

inline constexpr std::array<EnumName<HttpVersion>, 4> kHttpVersionNames = {{
    {HttpVersion::kHttp10, "HTTP/1.0"},
    {HttpVersion::kHttp11, "HTTP/1.1"},
    {HttpVersion::kHttp2, "HTTP/2.0"},
    {HttpVersion::kHttp3, "HTTP/3.0"},
}};
static_assert(ListsValuesInOrder(kHttpVersionNames));

inline std::string_view ToString(HttpVersion version) { return NameOf(kHttpVersionNames, version); }

// probe_http_version's value: 1, 1.1, 2, 3.
inline double VersionNumber(HttpVersion version) {
  constexpr std::array<double, 4> kNumbers = {1.0, 1.1, 2.0, 3.0};
  return kNumbers[static_cast<std::size_t>(version)];
}

enum class IpProtocol { kIp4, kIp6 };

inline constexpr std::array<EnumName<IpProtocol>, 2> kIpProtocolNames = {{
    {IpProtocol::kIp4, "ip4"},
    {IpProtocol::kIp6, "ip6"},
}};
static_assert(ListsValuesInOrder(kIpProtocolNames));

inline std::string_view ToString(IpProtocol protocol) { return NameOf(kIpProtocolNames, protocol); }

}  // namespace healthgap
