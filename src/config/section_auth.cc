// auth: credentials sent with every request of a target; secret files read at load time.

#include "config/auth.h"
#include "config/loader.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

namespace {

Secret ReadSecretValue(const Reader& reader, const Entry& entry) {
  std::string text = reader.ReadString(entry);
  if (std::string why = CheckSecretText(text); !why.empty()) {
    reader.Fail(entry.line, entry.field, "secret " + why);  // never quotes the secret
  }
  return Secret(std::move(text));
}

// Read at load time, so a reload picks up a rotated secret.
Secret ReadSecretFile(const Reader& reader, const Entry& entry) {
  std::string error;
  std::optional<Secret> secret =
      config::ReadSecretFile(reader.ResolvePath(reader.ReadString(entry)), &error);
  if (!secret) reader.Fail(entry.line, entry.field, error);
  return std::move(*secret);
}

BasicAuth ReadBasicAuth(const Reader& reader, const Entry& entry) {
  const Fields basic = reader.OpenMap(entry, {"username", "password", "password_file"});
  const Entry* username = basic.Get("username");
  if (!username) reader.Fail(entry.line, entry.field + ".username", "required field is missing");
  BasicAuth basic_auth;
  basic_auth.username = reader.ReadString(*username);
  if (basic_auth.username.find(':') != std::string::npos) {
    reader.Fail(username->line, username->field,
                "must not contain \":\", basic auth uses it to separate the password");
  }
  if (auto error = CheckHeader("Authorization", basic_auth.username); !error.empty()) {
    reader.Fail(username->line, username->field, "username contains CR, LF or NUL");
  }
  const Entry* password = basic.Get("password");
  const Entry* password_file = basic.Get("password_file");
  if (password && password_file) {
    reader.Fail(password_file->line, password_file->field,
                "set either password or password_file, not both");
  }
  if (!password && !password_file) {
    reader.Fail(entry.line, entry.field + ".password",
                "required field is missing; set password or password_file");
  }
  basic_auth.password =
      password ? ReadSecretValue(reader, *password) : ReadSecretFile(reader, *password_file);
  return basic_auth;
}

}  // namespace

Setting<TargetAuth> ReadAuth(const Reader& reader, const Entry& entry, Level level) {
  const Fields fields = reader.OpenMap(entry, {"bearer_token", "bearer_token_file", "basic_auth"});
  if (fields.entries.empty()) {
    reader.Fail(entry.line, entry.field,
                "set one of bearer_token, bearer_token_file or basic_auth");
  }
  if (fields.entries.size() > 1) {
    const Entry& first = fields.entries[0];
    const Entry& second = fields.entries[1];
    reader.Fail(second.line, second.field,
                "set only one of bearer_token, bearer_token_file or basic_auth; " + first.key +
                    " is already set at line " + std::to_string(first.line));
  }
  TargetAuth auth;
  const Entry& kind = fields.entries[0];
  if (kind.key == "bearer_token") auth.bearer_token = ReadSecretValue(reader, kind);
  if (kind.key == "bearer_token_file") auth.bearer_token = ReadSecretFile(reader, kind);
  if (kind.key == "basic_auth") auth.basic_auth = ReadBasicAuth(reader, kind);
  return SetAt(entry, std::move(auth), level);
}

}  // namespace healthgap::config
