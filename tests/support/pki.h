#pragma once

// Test certificates, made fresh with the openssl CLI once per test binary run (private keys are
// never committed), in a temporary directory removed at exit:
//   ca.crt/.key           the server CA
//   server.crt/.key       signed by ca, for localhost and 127.0.0.1
//   vhost.crt/.key        signed by ca, for api.internal only (server_name tests)
//   client-ca.crt/.key    the client CA; client.crt/.key signed by it (mTLS)
//   rogue.crt/.key        self-signed, trusted by nobody
//   expired.crt/.key      signed by ca, for localhost and 127.0.0.1, valid only on 2020-01-01

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/subprocess.h"

namespace healthgap::testing {

class Pki {
 public:
  static const Pki& Get() {
    static const Pki pki;
    return pki;
  }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }
  // Empty when every certificate was made.
  const std::string& error() const { return error_; }

  // Copies a file next to the certificates, where its relative paths point.
  std::filesystem::path Copy(const std::filesystem::path& file) const {
    const std::filesystem::path copy = dir_ / file.filename();
    std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
    return copy;
  }
  std::filesystem::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

 private:
  Pki() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "healthgap-pki-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    const std::string script = R"(set -e
cd ")" + dir_.string() + R"("
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
ca() { key "$1"; openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 2 -subj "/CN=$1"; }
leaf() {
  key "$1"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -out "$1.crt" \
    -days 2 -extfile "$1.ext"
}
ca ca
ca client-ca
leaf server ca "subjectAltName=DNS:localhost,IP:127.0.0.1"
leaf vhost ca "subjectAltName=DNS:api.internal"
leaf client client-ca "extendedKeyUsage=clientAuth"
ca rogue
# openssl x509 (3.0) cannot backdate; openssl ca can.
key expired
openssl req -new -key expired.key -out expired.csr -subj "/CN=expired"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > expired.ext
mkdir ca-db && touch ca-db/index && echo 01 > ca-db/serial
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=ca-db/index\nnew_certs_dir=ca-db\nserial=ca-db/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' > ca.cnf
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
  -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.ext -notext
)";
    Subprocess run({"sh", "-c", script}, Subprocess::Stderr::kMergeIntoStdout);
    const std::string output = run.ReadAll(std::chrono::seconds(60));
    if (run.WaitForExitCode(std::chrono::seconds(10)) != 0) error_ = "openssl failed: " + output;
  }
  ~Pki() { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string error_;
};

}  // namespace healthgap::testing
