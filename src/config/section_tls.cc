// tls_config: TLS to the target, with blackbox_exporter's keys.

#include <algorithm>
#include <cctype>

#include "config/field_readers.h"
#include "config/loader.h"
#include "config/sections.h"

namespace healthgap::config {
namespace {

// A PEM file the handshake will read, resolved against the config file: readable now, and
// holding a block of `kind` ("CERTIFICATE", "PRIVATE KEY"), so a wrong path or a swapped file
// fails at load time with its field, not at the first probe with curl's words.
std::string ReadPemFile(const Reader& reader, const Entry& entry, std::string_view kind) {
  const std::string path = reader.ResolvePath(reader.ReadString(entry));
  if (path.empty()) reader.Fail(entry.line, entry.field, "must not be empty");
  std::string error;
  const std::optional<std::string> text = ReadTextFile(path, &error);
  if (!text) reader.Fail(entry.line, entry.field, "cannot read " + Quote(path) + ": " + error);
  if (text->find(std::string(kind) + "-----") == std::string::npos) {
    reader.Fail(entry.line, entry.field,
                Quote(path) + " holds no PEM " + std::string(kind) + " block");
  }
  return path;
}

bool IsHostName(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

}  // namespace

Setting<TlsConfig> ReadTlsConfig(const Reader& reader, const Entry& entry, Level level) {
  const Fields fields = reader.OpenMap(entry, {"ca_file", "cert_file", "key_file", "server_name",
                                               "insecure_skip_verify", "min_version"});
  TlsConfig tls;
  if (const Entry* ca = fields.Get("ca_file"))
    tls.ca_file = ReadPemFile(reader, *ca, "CERTIFICATE");
  const Entry* cert = fields.Get("cert_file");
  const Entry* key = fields.Get("key_file");
  if (cert && !key) {
    reader.Fail(cert->line, entry.field + ".key_file", "required when cert_file is set");
  }
  if (key && !cert) {
    reader.Fail(key->line, entry.field + ".cert_file", "required when key_file is set");
  }
  if (cert) {
    tls.cert_file = ReadPemFile(reader, *cert, "CERTIFICATE");
    tls.key_file = ReadPemFile(reader, *key, "PRIVATE KEY");
  }
  if (const Entry* name = fields.Get("server_name")) {
    tls.server_name = reader.ReadString(*name);
    if (!IsHostName(tls.server_name)) {
      reader.Fail(name->line, name->field,
                  "invalid server name " + Quote(tls.server_name) + ", expected a host name");
    }
  }
  if (const Entry* insecure = fields.Get("insecure_skip_verify")) {
    tls.insecure_skip_verify = reader.ReadBool(*insecure);
  }
  if (const Entry* version = fields.Get("min_version")) {
    const std::string text = reader.ReadString(*version);
    tls.min_version = ValueNamed(kTlsVersionNames, text);
    if (!tls.min_version) {
      reader.Fail(version->line, version->field,
                  "unknown TLS version " + Quote(text) + ", expected one of " +
                      JoinedNames(kTlsVersionNames));
    }
  }
  return SetAt(entry, std::move(tls), level);
}

}  // namespace healthgap::config
