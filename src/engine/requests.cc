#include "engine/requests.h"

#include "config/auth.h"

namespace healthgap::engine {

namespace {

void AddAuth(const config::Target& target, probe::HttpRequest& request) {
  for (auto& header : config::AuthHeaders(target.auth)) request.headers.push_back(header);
}

}  // namespace

probe::HttpRequest HealthRequest(const config::Target& target, const config::HealthCheck& check) {
  probe::HttpRequest request;
  request.method = check.method;
  request.url = target.base_url + check.path;
  request.timeout = check.timeout;
  request.max_body_bytes = target.max_body_bytes;
  request.reuse_connection = false;
  request.max_redirects = 0;
  AddAuth(target, request);
  return request;
}

probe::HttpRequest SampleRequest(const config::Target& target, const config::ApiSample& sample) {
  probe::HttpRequest request;
  request.method = sample.method;
  request.url = target.base_url + sample.path;
  request.headers = sample.headers;
  request.body = sample.body;
  request.timeout = sample.timeout;
  request.max_body_bytes = target.max_body_bytes;
  request.keep_response = false;  // a sample is judged by its status and timing
  request.reuse_connection = sample.keep_alive;
  AddAuth(target, request);
  return request;
}

}  // namespace healthgap::engine
