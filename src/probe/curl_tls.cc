#include "probe/curl_tls.h"

#include <array>
#include <memory>

#include "common/strings.h"

namespace healthgap::probe::detail {
namespace {

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
  return ok;
}

}  // namespace healthgap::probe::detail
