#pragma once

// TLS protocol versions, as blackbox_exporter's tls_config.min_version names them.

#include <array>
#include <cstddef>
#include <string_view>

#include "common/enum_names.h"

namespace healthgap {

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

inline constexpr std::array<EnumName<TlsVersion>, 4> kTlsVersionNames = {{
    {TlsVersion::kTls10, "TLS10"},
    {TlsVersion::kTls11, "TLS11"},
    {TlsVersion::kTls12, "TLS12"},
    {TlsVersion::kTls13, "TLS13"},
}};
static_assert(ListsValuesInOrder(kTlsVersionNames));

inline std::string_view ToString(TlsVersion version) { return NameOf(kTlsVersionNames, version); }

// As blackbox_exporter's probe_tls_version_info{version} writes it.
inline std::string_view VersionLabel(TlsVersion version) {
  constexpr std::array<std::string_view, 4> kLabels = {"TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"};
  return kLabels[static_cast<std::size_t>(version)];
}

}  // namespace healthgap
