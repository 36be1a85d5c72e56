#include "probe/curl_tls.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>

#include "common/strings.h"

namespace healthgap::probe::detail {
namespace {

using SharedObservation = std::shared_ptr<TlsObservation>;

// The SSL_CTX ex_data slot holding a heap SharedObservation, freed with the context.
int ObservationSlot() {
  static const int slot = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* held, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<SharedObservation*>(held);
      });
  return slot;
}

std::optional<double> UnixSeconds(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return std::nullopt;
  return static_cast<double>(timegm(&parts));
}

// The earliest NotAfter of `chain`; nullopt for an empty or unreadable one.
std::optional<double> EarliestExpiry(STACK_OF(X509) * chain) {
  std::optional<double> earliest;
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    const std::optional<double> expiry = UnixSeconds(X509_get0_notAfter(sk_X509_value(chain, i)));
    if (!expiry) return std::nullopt;
    earliest = earliest ? std::min(*earliest, *expiry) : *expiry;
  }
  return earliest;
}

std::optional<TlsVersion> VersionOf(const SSL* ssl) {
  switch (SSL_version(ssl)) {
    case TLS1_VERSION:
      return TlsVersion::kTls10;
    case TLS1_1_VERSION:
      return TlsVersion::kTls11;
    case TLS1_2_VERSION:
      return TlsVersion::kTls12;
    case TLS1_3_VERSION:
      return TlsVersion::kTls13;
    default:
      return std::nullopt;
  }
}

TlsInfo DescribeHandshake(const SSL* ssl) {
  TlsInfo info;
  info.version = VersionOf(ssl);
  // A client's peer chain starts with the server's own certificate.
  info.earliest_cert_expiry = EarliestExpiry(SSL_get_peer_cert_chain(ssl)).value_or(0);
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    info.last_chain_expiry = EarliestExpiry(SSL_get0_verified_chain(ssl));
  }
  return info;
}

void OnTlsEvent(const SSL* ssl, int where, int /*ret*/) {
  const auto* held = static_cast<const SharedObservation*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ObservationSlot()));
  if (held == nullptr || *held == nullptr) return;
  TlsObservation& observation = **held;
  // TLS 1.3 session tickets after the handshake raise these events again: keep the first.
  if ((where & SSL_CB_HANDSHAKE_START) != 0 && !observation.handshake_started) {
    observation.handshake_started = std::chrono::steady_clock::now();
  }
  if ((where & SSL_CB_HANDSHAKE_DONE) != 0 && !observation.info) {
    observation.info = DescribeHandshake(ssl);
  }
}

// CURLOPT_SSL_CTX_FUNCTION: curl 7.88 makes one SSL_CTX per connection and calls this with it.
CURLcode WatchHandshake(CURL*, void* ssl_ctx, void* user) {
  auto* context = static_cast<SSL_CTX*>(ssl_ctx);
  const int slot = ObservationSlot();
  delete static_cast<SharedObservation*>(SSL_CTX_get_ex_data(context, slot));
  SSL_CTX_set_ex_data(context, slot, new SharedObservation(*static_cast<SharedObservation*>(user)));
  SSL_CTX_set_info_callback(context, &OnTlsEvent);
  return CURLE_OK;
}

bool IsHttps(std::string_view url) {
  return url.size() > 8 && EqualsIgnoringCase(url.substr(0, 8), "https://");
}

bool HasHostHeader(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoringCase(name, "host")) return true;
  }
  return false;
}

bool UseServerName(CURL* handle, const HttpRequest& request, CurlTlsLists& lists,
                   CurlSlist& headers) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
    return false;
  }
  const auto get = [&](CURLUPart part, unsigned flags) {
    char* text = nullptr;
    std::string out;
    if (curl_url_get(url.get(), part, &text, flags) == CURLUE_OK && text) out = text;
    curl_free(text);
    return out;
  };
  if (get(CURLUPART_SCHEME, 0) != "https") return true;  // no TLS, no server name
  const std::string host = get(CURLUPART_HOST, 0);
  const std::string port = get(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  const std::string explicit_port = get(CURLUPART_PORT, 0);
  if (curl_url_set(url.get(), CURLUPART_HOST, request.tls.server_name.c_str(), 0) != CURLUE_OK) {
    return false;
  }
  lists.server_name_url = get(CURLUPART_URL, 0);
  const std::string connect_to = request.tls.server_name + ":" + port + ":" + host + ":" + port;
  bool ok = !lists.server_name_url.empty() && lists.connect_to.Append(connect_to.c_str());
  ok = ok && curl_easy_setopt(handle, CURLOPT_URL, lists.server_name_url.c_str()) == CURLE_OK;
  ok = ok && curl_easy_setopt(handle, CURLOPT_CONNECT_TO, lists.connect_to.get()) == CURLE_OK;
  if (!HasHostHeader(request)) {
    const std::string line = "Host: " + host + (explicit_port.empty() ? "" : ":" + explicit_port);
    ok = ok && headers.Append(line.c_str());
  }
  return ok;
}

}  // namespace

bool ConfigureTls(CURL* handle, const HttpRequest& request, CurlTlsLists& lists,
                  CurlSlist& headers) {
  const TlsOptions& tls = request.tls;
  bool ok = true;
  const auto set = [&ok](CURLcode code) { ok = ok && code == CURLE_OK; };
  if (!tls.ca_file.empty()) set(curl_easy_setopt(handle, CURLOPT_CAINFO, tls.ca_file.c_str()));
  if (!tls.cert_file.empty()) {
    set(curl_easy_setopt(handle, CURLOPT_SSLCERT, tls.cert_file.c_str()));
    set(curl_easy_setopt(handle, CURLOPT_SSLKEY, tls.key_file.c_str()));
  }
  if (tls.insecure_skip_verify) {
    set(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L));
    set(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L));
  }
  if (tls.min_version) {
    constexpr std::array<long, 4> kCurlVersions = {CURL_SSLVERSION_TLSv1_0, CURL_SSLVERSION_TLSv1_1,
                                                   CURL_SSLVERSION_TLSv1_2,
                                                   CURL_SSLVERSION_TLSv1_3};
    set(curl_easy_setopt(handle, CURLOPT_SSLVERSION,
                         kCurlVersions[static_cast<std::size_t>(*tls.min_version)]));
  }
  if (!tls.server_name.empty()) ok = ok && UseServerName(handle, request, lists, headers);

  // Plain http makes no handshake (a redirect to https configures its own hop).
  lists.observation.reset();
  if (!IsHttps(request.url)) return ok;
  lists.observation = std::make_shared<TlsObservation>();
  lists.observation->configured = std::chrono::steady_clock::now();
  // Not fatal when refused: a build on another TLS backend only loses the handshake details.
  if (curl_easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, &WatchHandshake) == CURLE_OK) {
    set(curl_easy_setopt(handle, CURLOPT_SSL_CTX_DATA, &lists.observation));
  }
  return ok;
}

long long TlsObservation::HandshakeStartMicros() const {
  if (!handshake_started) return 0;
  return std::chrono::duration_cast<std::chrono::microseconds>(*handshake_started - configured)
      .count();
}

}  // namespace healthgap::probe::detail
