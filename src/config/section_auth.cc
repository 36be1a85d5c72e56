// auth: credentials sent with every request of a target; secret files read at load time.

#include "config/loader.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

namespace {

// A secret's text; the messages never quote it.
Secret CheckSecret(const Reader& reader, const Entry& entry, std::string text,
                   const std::string& origin) {
  if (text.empty()) reader.Fail(entry.line, entry.field, origin + "is empty");
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    reader.Fail(entry.line, entry.field, origin + "contains CR, LF or NUL");
  }
  return Secret(std::move(text));
}

Secret ReadSecretValue(const Reader& reader, const Entry& entry) {
  return CheckSecret(reader, entry, reader.ReadString(entry), "secret ");
}

// Read at load time, so a reload picks up a rotated secret; one trailing newline is trimmed.
Secret ReadSecretFile(const Reader& reader, const Entry& entry) {
  const std::string path = reader.ResolvePath(reader.ReadString(entry));
  std::string error;
  std::optional<std::string> text = ReadTextFile(path, &error);
  if (!text) {
    reader.Fail(entry.line, entry.field, "cannot read secret file " + Quote(path) + ": " + error);
  }
  if (text->ends_with('\n')) text->pop_back();
  if (text->ends_with('\r')) text->pop_back();
  return CheckSecret(reader, entry, std::move(*text), "secret file " + Quote(path) + " ");
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
