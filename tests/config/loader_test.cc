#include "config/loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace healthgap::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const std::string kTestdata = std::string(HEALTHGAP_SOURCE_DIR) + "/tests/config/testdata/";

// One file per validation rule: testdata/invalid-NAME.yml must fail with exactly
// "<path as passed>" + expected_after_path.
struct InvalidCase {
  std::string name;
  std::string expected_after_path;
};

const std::vector<InvalidCase>& InvalidCases() {
  static const std::vector<InvalidCase>
      cases =
          {
              {"body-size-large",
               R"(:2: defaults.max_body_bytes: must be between 1KiB and 1GiB, got 2GiB)"},
              {"body-size-small",
               R"(:4: targets[0].max_body_bytes: must be between 1KiB and 1GiB, got 512)"},
              {"body-size-unit",
               R"(:4: targets[0].max_body_bytes: invalid size "64KB": expected bytes or a number with KiB, MiB or GiB, e.g. 64KiB)"},
              {"defaults-timeout-exceeds-interval",
               R"(:4: defaults.sample.timeout: timeout 15s exceeds interval 10s; a request must time out before the next one is due)"},
              {"duplicate-derived-sample",
               R"(:6: targets[0].samples[1].name: duplicate sample name "api_data" (derived from path "/api/data"), first used at line 5; set a unique name)"},
              {"duplicate-key",
               R"(:7: targets[0].samples[0].interval: duplicate key "interval", first set at line 6)"},
              {"duplicate-sample",
               R"(:7: targets[0].samples[1].name: duplicate sample name "data", first used at line 5)"},
              {"duplicate-target",
               R"(:6: targets[1].name: duplicate target name "checkout", first defined at line 2)"},
              {"duration-no-unit",
               R"(:5: targets[0].health.interval: invalid duration "10": missing unit, e.g. 10s)"},
              {"duration-unit-order",
               R"(:6: targets[0].samples[0].interval: invalid duration "30s1m": expected e.g. 500ms, 10s, 2m or 1m30s)"},
              {"duration-zero",
               R"(:3: defaults.evaluation.window: invalid duration "0s": must be greater than 0)"},
              {"duration",
               R"(:6: targets[0].samples[0].interval: invalid duration "5 seconds": expected e.g. 500ms, 10s, 2m or 1m30s)"},
              {"empty-file", R"(: configuration is empty, expected a map with a "targets" list)"},
              {"empty-samples", R"(:4: targets[0].samples: must list at least one API sample)"},
              {"empty-targets", R"(:1: targets: must list at least one target)"},
              {"error-ratio-above-one",
               R"(:7: targets[0].evaluation.max_error_ratio: must be between 0 and 1, got 1.5)"},
              {"error-ratio-percent",
               R"(:3: defaults.evaluation.max_error_ratio: expected a number, got "20%")"},
              {"header-duplicate",
               R"(:8: targets[0].samples[0].headers.accept: duplicate key "accept", first set at line 7)"},
              {"header-name",
               R"(:7: targets[0].samples[0].headers.Content Type: invalid header name "Content Type")"},
              {"health-path-no-slash",
               R"(:3: defaults.health.path: path "healthz" must start with "/")"},
              {"health-timeout-exceeds-interval",
               R"(:6: targets[0].health.timeout: timeout 6s exceeds interval 5s; a request must time out before the next one is due)"},
              {"healthy-threshold-zero",
               R"(:5: targets[0].health.healthy_threshold: must be at least 1, got 0)"},
              {"label-name-dunder",
               R"(:5: targets[0].labels.__address__: invalid label name "__address__", names starting with "__" are reserved for Prometheus)"},
              {"label-name-reserved",
               R"(:5: targets[0].labels.instance: label name "instance" is reserved, healthgap sets it on its own series)"},
              {"label-name",
               R"(:6: targets[0].labels.1env: invalid label name "1env", must match [a-zA-Z_][a-zA-Z0-9_]*)"},
              {"latency-budget-exceeds-timeout",
               R"(:7: targets[0].samples[0].latency_budget: latency_budget 2s500ms exceeds timeout 2s; requests would time out before they could count as slow)"},
              {"merge-key",
               R"(:9: targets[0].samples[0].<<: unknown key "<<" (YAML merge keys are not supported); expected one of name, path, body, method, expected_status, interval, timeout, latency_budget, keep_alive, headers, fail_if_body_matches_regexp, fail_if_body_not_matches_regexp, fail_if_header_matches, fail_if_header_not_matches, json_conditions, follow_redirects, max_redirects, compression, valid_http_versions)"},
              {"method-lowercase",
               R"(:5: targets[0].health.method: unsupported method "get", expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)"},
              {"method",
               R"(:6: targets[0].samples[0].method: unsupported method "FETCH", expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)"},
              {"min-samples-zero",
               R"(:7: targets[0].evaluation.min_samples: must be at least 1, got 0)"},
              {"missing-name", R"(:2: targets[0].name: required field is missing)"},
              {"missing-sample-path",
               R"(:5: targets[0].samples[0].path: required field is missing)"},
              {"missing-samples",
               R"(:2: targets[0].samples: required field is missing; list at least one API sample)"},
              {"missing-targets", R"(:1: targets: required field is missing)"},
              {"missing-url", R"(:2: targets[0].url: required field is missing)"},
              {"multiple-documents", R"(:7: found 2 YAML documents, expected exactly one)"},
              {"path-no-slash",
               R"(:5: targets[0].samples[0].path: path "api/data" must start with "/")"},
              {"sample-interval-below-default-timeout",
               R"(:6: targets[0].samples[0].interval: interval 2s is shorter than timeout 5s (built-in default); a request must time out before the next one is due)"},
              {"sample-name-chars",
               R"(:5: targets[0].samples[0].name: invalid sample name "get/data", allowed characters are A-Z a-z 0-9 _ . : -)"},
              {"sample-timeout-exceeds-defaults-interval",
               R"(:9: targets[0].samples[0].timeout: timeout 15s exceeds interval 10s (from defaults.sample.interval, line 3); a request must time out before the next one is due)"},
              {"status-class",
               R"(:6: targets[0].samples[0].expected_status: invalid status class "6xx": expected 1xx to 5xx)"},
              {"status-code-range",
               R"(:6: targets[0].samples[0].expected_status[1]: status code 600 is outside 100-599)"},
              {"status-empty-list",
               R"(:6: targets[0].samples[0].expected_status: must list at least one status pattern)"},
              {"status-pattern",
               R"(:5: targets[0].health.expected_status: invalid status pattern "ok": expected a code (200), a class (2xx) or a range (200-399))"},
              {"status-range-reversed",
               R"(:3: defaults.health.expected_status[0]: invalid status range "399-200": 399 is greater than 200)"},
              {"syntax-indent",
               R"(:3: invalid YAML: mapping values are not allowed in this context (column 9))"},
              {"not-utf8", R"(:1: not UTF-8 text: byte 0x89 at column 1 is not valid UTF-8)"},
              {"alias-expansion",
               R"(:7: more than 4000000 YAML nodes (aliases count as the nodes they repeat))"},
              {"nesting", R"(:1: nesting deeper than 64 levels of lists and maps)"},
              {"comma",
               R"(:1: invalid YAML: did not find expected node content (column 1; while parsing a block node that starts at line 1))"},
              {"syntax",
               R"(:5: invalid YAML: did not find expected ',' or ']' (column 1; while parsing a flow sequence that starts at line 4))"},
              {"target-name-chars",
               R"(:2: targets[0].name: invalid target name "checkout service", allowed characters are A-Z a-z 0-9 _ . : -)"},
              {"target-name-empty", R"(:2: targets[0].name: target name must not be empty)"},
              {"timeout-below-defaults-latency-budget",
               R"(:9: targets[0].samples[0].timeout: timeout 500ms is shorter than latency_budget 1s (from defaults.sample.latency_budget, line 3); requests would time out before they could count as slow)"},
              {"type-labels-list", R"(:4: targets[0].labels: expected a map, got a list)"},
              {"type-path-null",
               R"(:5: targets[0].samples[0].path: expected a string, got nothing)"},
              {"type-samples-map",
               R"(:4: targets[0].samples: expected a list of samples, got a map)"},
              {"type-threshold-quoted",
               R"(:5: targets[0].health.unhealthy_threshold: expected an integer, got the quoted string "3")"},
              {"type-threshold-string",
               R"(:5: targets[0].health.healthy_threshold: expected an integer, got "two")"},
              {"type-top-level-list",
               R"(:1: expected a map with a "targets" list at the top level, got a list)"},
              {"unhealthy-threshold-negative",
               R"(:3: defaults.health.unhealthy_threshold: must be at least 1, got -1)"},
              {"http-max-redirects-large",
               R"(:6: targets[0].samples[0].max_redirects: must be at most 20, got 50)"},
              {"http-compression-unknown",
               R"(:6: targets[0].health.compression: unknown compression "zip", expected one of gzip, deflate, br, identity)"},
              {"http-version-unknown",
               R"(:6: targets[0].samples[0].valid_http_versions[1]: unknown HTTP version "HTTP/2", expected one of HTTP/1.0, HTTP/1.1, HTTP/2.0, HTTP/3.0)"},
              {"http-versions-empty",
               R"(:3: defaults.sample.valid_http_versions: must list at least one version)"},
              {"http-follow-redirects-string",
               R"(:5: targets[0].health.follow_redirects: expected true or false, got the quoted string "yes")"},
              {"proxy-url-scheme",
               R"(:4: targets[0].proxy_url: invalid proxy URL "127.0.0.1:8888", expected http://, https:// or socks5:// and a host, without credentials)"},
              {"proxy-url-credentials",
               R"(:2: defaults.proxy_url: invalid proxy URL "http://user:pw@proxy:3128", expected http://, https:// or socks5:// and a host, without credentials)"},
              {"ip-protocol-unknown",
               R"(:4: targets[0].preferred_ip_protocol: unknown IP protocol "ipv4", expected one of ip4, ip6)"},
              {"ip-protocol-fallback-string",
               R"(:5: targets[0].ip_protocol_fallback: expected true or false, got "sometimes")"},
              {"json-condition-operator",
               R"(:6: targets[0].samples[0].json_conditions[1]: invalid JSON condition: expected an operator (== != < <= > >=) at column 10)"},
              {"unknown-key-defaults",
               R"(:4: defaults.probe: unknown key "probe"; expected one of health, sample, evaluation, max_body_bytes, auth, lb, tls_config, proxy_url, preferred_ip_protocol, ip_protocol_fallback)"},
              {"source-unknown",
               R"(:8: targets[0].lb_source.source: unknown source "egde"; sources defines edge)"},
              {"sources-address",
               R"(:4: sources[0].address: socket address "haproxy.internal:9999" must be unix:/PATH or a numeric IP address and port (no DNS for a control socket))"},
              {"sources-type",
               R"(:3: sources[0].type: unknown source type "f5", expected one of haproxy, prometheus, nginx_log, haproxy_log)"},
              {"sources-duplicate",
               R"(:5: sources[1].name: duplicate source name "edge", first defined at line 2)"},
              {"source-foreign-field",
               R"(:5: sources[0].address: not a field of a source of type nginx_log (it belongs to haproxy))"},
              {"source-prometheus-half",
               R"(:2: sources[0].failures_query: requests_query and failures_query go together: the error ratio needs both)"},
              {"lb-source-log",
               R"(:8: targets[0].lb_source.source: source "edge-log" (nginx_log) says nothing of a balancer's state: a haproxy source, or a prometheus source with lb_query)"},
              {"traffic-source-rate",
               R"(:8: targets[0].traffic_source.min_request_rate: must be between 0 and 1e+09, got -1)"},
              {"fast-interval-without-haproxy",
               R"(:7: targets[0].health.fast_interval: HAProxy's fastinter and downinter: only for lb: haproxy or haproxy-tcp, whose next check starts an interval after the last one ends (lb is aws-alb))"},
              {"unknown-key-health",
               R"(:6: targets[0].health.intervall: unknown key "intervall"; expected one of role, path, method, headers, body, expected_status, interval, timeout, fast_interval, down_interval, healthy_threshold, unhealthy_threshold, type, port, tls, send, expect, service, expected_grpc_codes, fail_if_body_matches_regexp, fail_if_body_not_matches_regexp, fail_if_header_matches, fail_if_header_not_matches, json_conditions, follow_redirects, max_redirects, compression, valid_http_versions)"},
              {"unknown-key-sample",
               R"(:6: targets[0].samples[0].expected_code: unknown key "expected_code"; expected one of name, path, body, method, expected_status, interval, timeout, latency_budget, keep_alive, headers, fail_if_body_matches_regexp, fail_if_body_not_matches_regexp, fail_if_header_matches, fail_if_header_not_matches, json_conditions, follow_redirects, max_redirects, compression, valid_http_versions)"},
              {"unknown-key-top",
               R"(:6: scrape_interval: unknown key "scrape_interval"; expected one of defaults, targets, modules, probe, file_sd_configs, sources)"},
              {"url-credentials",
               R"(:3: targets[0].url: invalid URL "http://admin:secret@10.0.1.1:8080": must not contain credentials; set them in the target's auth)"},
              {"url-fragment",
               R"(:3: targets[0].url: invalid URL "http://10.0.1.1:8080/app#top": must not contain a fragment)"},
              {"url-no-host",
               R"(:3: targets[0].url: invalid URL "http://:8080/app": missing host)"},
              {"url-no-scheme",
               R"(:3: targets[0].url: invalid URL "10.0.1.1:8080": missing scheme, expected http:// or https://)"},
              {"url-port",
               R"(:3: targets[0].url: invalid URL "http://10.0.1.1:80800": invalid port "80800", expected 1-65535)"},
              {"url-query",
               R"(:3: targets[0].url: invalid URL "http://10.0.1.1:8080/app?debug=1": must not contain a query; put query strings in sample paths)"},
              {"url-scheme",
               R"(:3: targets[0].url: invalid URL "ftp://10.0.1.1": scheme "ftp" is not supported, expected http or https)"},
              {"window-min-samples-defaults",
               R"(:5: targets[0].evaluation.window: window 20s (from defaults.evaluation.window, line 3) holds at most 2 API samples (api_data every 10s: 2) but min_samples is 5 (built-in default), so the verdict would stay unknown; widen the window, sample more often or lower min_samples)"},
              {"window-min-samples",
               R"(:10: targets[0].evaluation.window: window 1m holds at most 3 API samples (api_data every 30s: 2, api_orders every 1m: 1) but min_samples is 5, so the verdict would stay unknown; widen the window, sample more often or lower min_samples)"},
              {"auth-basic-no-password",
               R"(:3: defaults.auth.basic_auth.password: required field is missing; set password or password_file)"},
              {"auth-basic-password-and-file",
               R"(:9: targets[0].auth.basic_auth.password_file: set either password or password_file, not both)"},
              {"auth-basic-username-colon",
               R"(:6: targets[0].auth.basic_auth.username: must not contain ":", basic auth uses it to separate the password)"},
              {"auth-empty",
               R"(:5: targets[0].auth: set one of bearer_token, bearer_token_file or basic_auth)"},
              {"auth-token-empty", R"(:5: targets[0].auth.bearer_token: secret is empty)"},
              {"condition-regex",
               R"(:6: targets[0].samples[0].fail_if_body_matches_regexp[1]: invalid regular expression: missing ): (unclosed)"},
              {"condition-header-missing",
               R"(:6: targets[0].health.fail_if_header_matches[0].header: required field is missing)"},
              {"tls-cert-without-key",
               R"(:5: targets[0].tls_config.key_file: required when cert_file is set)"},
              {"tls-min-version",
               R"(:5: targets[0].tls_config.min_version: unknown TLS version "TLS1.2", expected one of TLS10, TLS11, TLS12, TLS13)"},
              {"tls-unknown-key",
               R"(:5: targets[0].tls_config.ca: unknown key "ca"; expected one of ca_file, cert_file, key_file, server_name, insecure_skip_verify, min_version)"},
              {"tls-server-name",
               R"(:5: targets[0].tls_config.server_name: invalid server name "api internal", expected a host name)"},
              // {testdata} stands for the testdata directory: files resolve against the config's.
              {"tls-ca-missing",
               R"(:3: defaults.tls_config.ca_file: cannot read "{testdata}tls/missing.pem": No such file or directory)"},
              {"tls-ca-not-pem",
               R"(:5: targets[0].tls_config.ca_file: "{testdata}tls/not-pem.txt" holds no PEM CERTIFICATE block)"},
              {"auth-two-kinds",
               R"(:7: targets[0].auth.basic_auth: set only one of bearer_token, bearer_token_file or basic_auth; bearer_token is already set at line 6)"},
              {"file-sd-empty-files",
               R"(:2: file_sd_configs[0].files: must list at least one file)"},
              {"file-sd-extension",
               R"(:2: file_sd_configs[0].files[0]: path "targets.txt" must end in .json, .yml or .yaml)"},
              {"file-sd-glob-in-directory",
               R"(:2: file_sd_configs[0].files[0]: path "targets/*/api.yml" has a glob in a directory; globs are allowed in the file name only)"},
              {"file-sd-missing-files",
               R"(:2: file_sd_configs[0].files: required field is missing)"},
              {"file-sd-unknown-module",
               R"(:3: file_sd_configs[0].module: unknown module "api"; defined modules: default)"},
              {"keep-alive-yes",
               R"(:6: targets[0].samples[0].keep_alive: expected true or false, got "yes")"},
              {"module-missing-samples",
               R"(:2: modules.api.samples: required field is missing; list at least one API sample)"},
              {"module-name-chars",
               R"(:2: modules.my module: invalid module name "my module", allowed characters are A-Z a-z 0-9 _ . : -)"},
              {"module-rounds-too-many", R"(:4: modules.api.rounds: must be at most 100, got 101)"},
              {"module-rounds-zero", R"(:4: modules.api.rounds: must be at least 1, got 0)"},
              {"module-unknown-key",
               R"(:3: modules.api.url: unknown key "url"; expected one of health, health_checks, lb, samples, evaluation, max_body_bytes, auth, tls_config, proxy_url, preferred_ip_protocol, ip_protocol_fallback, rounds)"},
              {"modules-empty",
               R"(:1: modules: must define at least one module; leave the key out to get the built-in module "default")"},
              {"probe-cidr-host-bits",
               R"(:3: probe.allow[0].cidr: invalid CIDR "10.1.2.3/8": address has bits set beyond the prefix length)"},
              {"probe-cidr-invalid",
               R"(:3: probe.allow[0].cidr: invalid CIDR "10.0.0.0/33": prefix length must be 0-32)"},
              {"probe-host-everything",
               R"(:3: probe.allow[0].host: host pattern "*" matches every host; list the domains /probe may reach)"},
              {"probe-rule-two-kinds",
               R"(:5: probe.allow[0]: set exactly one of url_prefix, host or cidr in each rule)"},
              {"probe-url-prefix-credentials",
               R"(:3: probe.allow[0].url_prefix: invalid URL "https://user:pw@api.internal/": must not contain credentials; set them in the target's auth)"},
              // Health check types (tcp, grpc): each key applies to the types it can judge.
              {"health-type-unknown",
               R"(:5: targets[0].health.type: invalid type "udp", expected one of http, tcp, grpc)"},
              {"tcp-expect-regex",
               R"(:7: targets[0].health.expect: invalid regular expression: no argument for repetition operator: +)"},
              {"tcp-expected-status",
               R"(:6: targets[0].health.expected_status: does not apply to a tcp health check (type tcp at line 5); a tcp check passes when it connects (and the reply matches expect))"},
              {"tcp-fail-if-body",
               R"(:6: targets[0].health.fail_if_body_matches_regexp: does not apply to a tcp health check (type tcp at line 5))"},
              {"tcp-follow-redirects",
               R"(:6: targets[0].health.follow_redirects: does not apply to a tcp health check (type tcp at line 5))"},
              {"tcp-path",
               R"(:6: targets[0].health.path: does not apply to a tcp health check (type tcp at line 5); a tcp check connects to the target's host and port)"},
              {"tcp-port-range",
               R"(:6: targets[0].health.port: must be a port number between 1 and 65535, got "70000")"},
              {"tcp-proxy",
               R"(:4: targets[0].proxy_url: a tcp health check connects directly, as the load balancer does: proxy_url applies to http checks and samples only; set it on those targets alone)"},
              {"tcp-service",
               R"(:6: targets[0].health.service: does not apply to a tcp health check (type tcp at line 5))"},
              {"tcp-tls-not-bool",
               R"(:6: targets[0].health.tls: expected true or false, got the quoted string "yes")"},
              {"grpc-codes-junk",
               R"(:6: targets[0].health.expected_grpc_codes[1]: invalid gRPC code pattern "OK": expected a code (12), a range (0-5) or a list ("0,12"))"},
              {"grpc-codes-range",
               R"(:6: targets[0].health.expected_grpc_codes: gRPC code 100 is outside 0-99)"},
              {"grpc-codes-reversed",
               R"(:6: targets[0].health.expected_grpc_codes: range "5-2" is reversed)"},
              {"grpc-expected-status",
               R"(:6: targets[0].health.expected_status: does not apply to a grpc health check (type grpc at line 5); a grpc check passes on OK and SERVING, or on expected_grpc_codes)"},
              {"grpc-method",
               R"(:6: targets[0].health.method: does not apply to a grpc health check (type grpc at line 5); a grpc check calls the method its path names)"},
              {"grpc-min-version",
               R"(:4: targets[0].tls_config.min_version: a grpc health check cannot enforce min_version (gRPC 1.51 has no such option); leave it out for this target or check it over http)"},
              {"grpc-send",
               R"(:6: targets[0].health.send: does not apply to a grpc health check (type grpc at line 5))"},
              {"http-port",
               R"(:6: targets[0].health.port: does not apply to an http health check (type http (built-in default)); an http check's port is in the target's URL)"},
              {"http-expect",
               R"(:5: targets[0].health.expect: does not apply to an http health check (type http (built-in default)); set fail_if_body_not_matches_regexp instead)"},
              {"http-expected-grpc-codes",
               R"(:5: targets[0].health.expected_grpc_codes: does not apply to an http health check (type http (built-in default)); set expected_status instead)"},
              {"preset-tcp-expected-status",
               R"(:6: targets[0].health.expected_status: does not apply to a tcp health check (type tcp from lb: aws-nlb at line 4); a tcp check passes when it connects (and the reply matches expect))"},
              {"defaults-type-tcp-path",
               R"(:8: targets[0].health.path: does not apply to a tcp health check (type tcp from defaults.health at line 3); a tcp check connects to the target's host and port)"},
              {"defaults-tcp-expected-status",
               R"(:4: defaults.health.expected_status: does not apply to a tcp health check (type tcp at line 3); a tcp check passes when it connects (and the reply matches expect))"},
              {"health-checks-grpc-body",
               R"(:10: targets[0].health_checks[1].body: does not apply to a grpc health check (type grpc at line 9); a grpc check sends its service)"},
          };
  return cases;
}

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const InvalidCase& invalid, std::ostream* out) { *out << invalid.name; }

class InvalidConfigTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidConfigTest, FailsWithExactMessage) {
  const std::string path = kTestdata + "invalid-" + GetParam().name + ".yml";
  const LoadResult result = LoadFile(path);
  EXPECT_FALSE(result.config.has_value());
  ASSERT_TRUE(result.error.has_value());
  std::string expected = GetParam().expected_after_path;
  if (const auto at = expected.find("{testdata}"); at != std::string::npos) {
    expected.replace(at, std::string_view("{testdata}").size(), kTestdata);
  }
  EXPECT_EQ(result.error->Format(), path + expected);
  EXPECT_EQ(result.error->file, path);
}

INSTANTIATE_TEST_SUITE_P(Rules, InvalidConfigTest, testing::ValuesIn(InvalidCases()),
                         [](const testing::TestParamInfo<InvalidCase>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// A testdata file nobody asserts on is a rule nobody checks.
TEST(InvalidConfigFilesTest, EveryFileHasACaseAndEveryCaseAFile) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with("invalid-")) files.insert(file);
  }
  std::set<std::string> cases;
  for (const auto& c : InvalidCases()) cases.insert("invalid-" + c.name + ".yml");
  EXPECT_EQ(files, cases);
}

// docs/configuration.md quotes errors as `cfg.yml:...`; each must be what a rule really prints.
TEST(InvalidConfigFilesTest, DocumentedErrorsAreTheRealOnes) {
  std::ifstream doc(std::string(HEALTHGAP_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(doc.good());
  std::stringstream text;
  text << doc.rdbuf();
  std::set<std::string> real;
  for (const auto& c : InvalidCases()) real.insert(c.expected_after_path);
  real.insert(": cannot read file: No such file or directory");  // LoadFileTest below
  real.insert(": cannot read file: not a regular file");         // LoadFileTest below
  real.insert(": cannot read file: larger than 16 MiB");         // LoadFileTest below
  const std::string marker = "`cfg.yml";
  int documented = 0;
  const std::string body = text.str();
  for (auto pos = body.find(marker); pos != std::string::npos; pos = body.find(marker, pos)) {
    pos += marker.size();
    const auto end = body.find('`', pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_TRUE(real.contains(body.substr(pos, end - pos))) << body.substr(pos, end - pos);
    ++documented;
  }
  EXPECT_GT(documented, 40);
}

TEST(LoadFileTest, TlsConfigIsInheritedWholeAndResolvesFilesAgainstTheConfig) {
  const LoadResult result = LoadFile(kTestdata + "valid-tls.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  const std::vector<Target>& targets = result.config->targets;
  ASSERT_EQ(targets.size(), 3u);
  // defaults.tls_config applies where a target sets none...
  EXPECT_EQ(targets[0].tls.ca_file, kTestdata + "tls/ca.pem");
  EXPECT_FALSE(targets[0].tls.insecure_skip_verify);
  // ...and a target's own replaces it whole, as auth does: no CA from the defaults.
  EXPECT_EQ(targets[1].tls, (TlsConfig{.ca_file = "",
                                       .cert_file = kTestdata + "tls/client.pem",
                                       .key_file = kTestdata + "tls/client-key.pem",
                                       .server_name = "api.internal",
                                       .insecure_skip_verify = false,
                                       .min_version = TlsVersion::kTls13}));
  EXPECT_TRUE(targets[2].tls.insecure_skip_verify);
  EXPECT_EQ(targets[2].tls.ca_file, "");
}

TEST(LoadStringTest, HttpAndConnectionSettingsAreInheritedFieldByField) {
  const LoadResult result = LoadString(R"(defaults:
  proxy_url: http://127.0.0.1:3128
  preferred_ip_protocol: ip6
  sample: {compression: gzip, max_redirects: 3}
  health: {valid_http_versions: [HTTP/1.1]}
targets:
  - name: a
    url: http://127.0.0.1:8080
    ip_protocol_fallback: false
    health: {follow_redirects: true}
    samples: [{path: /x, compression: identity}, {path: /y, follow_redirects: false}]
  - name: b
    url: http://127.0.0.1:8081
    proxy_url: socks5://127.0.0.1:1080
    preferred_ip_protocol: ip4
    samples: [{path: /z}]
)",
                                       "http.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  const Target& a = result.config->targets[0];
  EXPECT_EQ(a.connection, (ConnectionSettings{.proxy_url = "http://127.0.0.1:3128",
                                              .preferred_ip_protocol = IpProtocol::kIp6,
                                              .ip_protocol_fallback = false}));
  EXPECT_EQ(a.health.http, (HttpSettings{.follow_redirects = true,
                                         .max_redirects = 5,
                                         .compression = "",
                                         .valid_http_versions = {HttpVersion::kHttp11}}));
  EXPECT_EQ(a.samples[0].http, (HttpSettings{.follow_redirects = true,
                                             .max_redirects = 3,
                                             .compression = "",
                                             .valid_http_versions = {}}));
  EXPECT_FALSE(a.samples[1].http.follow_redirects);
  EXPECT_EQ(a.samples[1].http.compression, "gzip");
  const Target& b = result.config->targets[1];
  EXPECT_EQ(b.connection.proxy_url, "socks5://127.0.0.1:1080");
  EXPECT_EQ(b.connection.preferred_ip_protocol, IpProtocol::kIp4);
  EXPECT_TRUE(b.connection.ip_protocol_fallback);
  EXPECT_FALSE(b.health.http.follow_redirects);  // a load balancer's default
}

TEST(LoadFileTest, HealthChecksSendHeadersAndABodyOwnHeadersReplacingDefaultsInAnyCase) {
  const LoadResult result = LoadFile(kTestdata + "valid-health-headers.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  const HealthCheck& health = result.config->targets[0].health;
  EXPECT_EQ(health.method, "POST");
  EXPECT_EQ(health.body, R"({"deep": true})");
  EXPECT_EQ(health.headers, (std::vector<std::pair<std::string, std::string>>{
                                {"X-Probe", "healthgap"}, {"host", "api.internal"}}));
}

TEST(LoadFileTest, ConditionsAreCompiledAndInheritedListByList) {
  const LoadResult result = LoadFile(kTestdata + "valid-conditions.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  const Target& shop = result.config->targets[0];
  ASSERT_EQ(shop.health.conditions.fail_if_header_matches.size(), 1u);
  EXPECT_EQ(shop.health.conditions.fail_if_header_matches[0].header, "X-Cache");
  EXPECT_EQ(shop.health.conditions.fail_if_header_matches[0].regexp.pattern(), "(?i)hit");
  EXPECT_TRUE(shop.health.conditions.fail_if_header_matches[0].regexp.Search("HIT from edge"));
  EXPECT_EQ(shop.health.conditions.fail_if_body_not_matches[0].pattern(), R"("status":\s*"UP")");
  // defaults.sample's list reaches both samples; the second adds a header condition.
  for (const ApiSample& sample : shop.samples) {
    ASSERT_EQ(sample.conditions.fail_if_body_matches.size(), 1u) << sample.name;
    EXPECT_EQ(sample.conditions.fail_if_body_matches[0].pattern(), R"("error")");
  }
  ASSERT_EQ(shop.samples[1].conditions.fail_if_header_not_matches.size(), 1u);
  EXPECT_TRUE(shop.samples[1].conditions.fail_if_header_not_matches[0].allow_missing);
  // Patterns compare by their text: reloading the same file changes nothing.
  EXPECT_EQ(*result.config, *LoadFile(kTestdata + "valid-conditions.yml").config);
}

TEST(LoadStringTest, AGentleSampleIntervalLoadsWithTheDefaultEvaluation) {
  const LoadResult result = LoadString(
      "targets:\n  - name: t\n    url: http://10.0.0.1\n"
      "    samples: [{path: /a, interval: 1m}, {path: /b, interval: 30s}]\n",
      "gentle.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  // min_samples (5) of the most frequent sample: 5 x 30s, more than the built-in 2m.
  EXPECT_EQ(result.config->targets[0].evaluation.window, std::chrono::minutes(2) + seconds(30));
  const LoadResult frequent = LoadString(
      "targets:\n  - name: t\n    url: http://10.0.0.1\n    samples: [{path: /a}]\n", "f.yml");
  ASSERT_TRUE(frequent.config) << frequent.error->Format();
  EXPECT_EQ(frequent.config->targets[0].evaluation.window, std::chrono::minutes(2));
}

// examples/production.yml, with its two files pointed at ones the test has.
TEST(LoadStringTest, TheProductionExampleLoads) {
  std::ifstream file(std::string(HEALTHGAP_SOURCE_DIR) + "/examples/production.yml");
  std::stringstream text;
  text << file.rdbuf();
  std::string yaml = text.str();
  const std::string token = ::testing::TempDir() + "/healthgap-production-token";
  std::ofstream(token) << "t0ken\n";
  const auto replace = [&yaml](const std::string& from, const std::string& to) {
    yaml.replace(yaml.find(from), from.size(), to);
  };
  replace("/etc/healthgap/internal-ca.pem", kTestdata + "tls/ca.pem");
  replace("/run/secrets/healthgap-token", token);
  const LoadResult result = LoadString(yaml, "production.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  const Target& checkout = result.config->targets[0];
  EXPECT_EQ(checkout.samples[0].interval, std::chrono::minutes(1));
  EXPECT_EQ(checkout.evaluation.window, std::chrono::minutes(5));
  EXPECT_EQ(checkout.samples[1].conditions.fail_if_body_matches.size(), 1u);
}

TEST(ConfigErrorTest, FormatLeavesOutUnknownParts) {
  EXPECT_EQ((ConfigError{"a.yml", 3, "targets[0].url", "bad"}).Format(),
            "a.yml:3: targets[0].url: bad");
  EXPECT_EQ((ConfigError{"a.yml", 0, "", "cannot read file: x"}).Format(),
            "a.yml: cannot read file: x");
  EXPECT_EQ((ConfigError{"<embedded>", 7, "", "invalid YAML: y"}).Format(),
            "<embedded>:7: invalid YAML: y");
}

TEST(LoadFileTest, MissingFileNamesTheFile) {
  const std::string path = kTestdata + "does-not-exist.yml";
  const LoadResult result = LoadFile(path);
  EXPECT_FALSE(result.config.has_value());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->Format(), path + ": cannot read file: No such file or directory");
}

TEST(LoadFileTest, DirectoryIsAnError) {
  const LoadResult result = LoadFile(kTestdata);
  EXPECT_FALSE(result.config.has_value());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->Format(), kTestdata + ": cannot read file: Is a directory");
}

TEST(LoadFileTest, FifoIsNotReadAndDoesNotBlock) {
  const std::string fifo = ::testing::TempDir() + "/healthgap-fifo-" + std::to_string(getpid());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const LoadResult result = LoadFile(fifo);  // a blocking open would wait for a writer forever
  unlink(fifo.c_str());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->Format(), fifo + ": cannot read file: not a regular file");
}

TEST(LoadFileTest, FileOverTheLimitIsNotLoaded) {
  const std::string path = ::testing::TempDir() + "/healthgap-big-" + std::to_string(getpid());
  {
    std::ofstream big(path, std::ios::binary);
    const std::string line = "# " + std::string(1022, 'x') + "\n";
    for (std::size_t written = 0; written <= (16u << 20); written += line.size()) big << line;
  }
  const LoadResult result = LoadFile(path);
  unlink(path.c_str());
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->Format(), path + ": cannot read file: larger than 16 MiB");
}

TEST(LoadFileTest, MinimalFileGetsEveryBuiltInDefault) {
  const std::string path = kTestdata + "valid-minimal.yml";
  const LoadResult result = LoadFile(path);
  ASSERT_TRUE(result.config.has_value()) << result.error->Format();
  EXPECT_FALSE(result.error.has_value());
  const Config& config = *result.config;
  EXPECT_EQ(config.source, path);
  ASSERT_EQ(config.targets.size(), 1u);
  const Target& target = config.targets[0];
  EXPECT_EQ(target.name, "checkout");
  EXPECT_EQ(target.base_url, "http://127.0.0.1:8080");  // trailing slash dropped
  EXPECT_EQ(target.UrlFor(target.health.path), "http://127.0.0.1:8080/health");
  EXPECT_TRUE(target.labels.empty());
  EXPECT_EQ(target.health, HealthCheck{});
  EXPECT_EQ(target.health.expected_status.ranges, (std::vector<StatusRange>{{200, 399}}));
  EXPECT_EQ(target.evaluation, Evaluation{});
  EXPECT_EQ(target.max_body_bytes, 1u << 20);
  ASSERT_EQ(target.samples.size(), 1u);
  const ApiSample& sample = target.samples[0];
  EXPECT_EQ(sample.name, "api_data");
  EXPECT_EQ(sample.path, "/api/data");
  EXPECT_EQ(sample.method, "GET");
  EXPECT_TRUE(sample.headers.empty());
  EXPECT_EQ(sample.body, "");
  EXPECT_EQ(sample.expected_status.ranges, (std::vector<StatusRange>{{200, 299}}));
  EXPECT_FALSE(sample.latency_budget.has_value());
  EXPECT_EQ(sample.interval, seconds(5));
  EXPECT_EQ(sample.timeout, seconds(5));
  EXPECT_TRUE(sample.keep_alive);
}

TEST(LoadFileTest, DefaultsApplyAndTargetsOverrideFieldByField) {
  const LoadResult result = LoadFile(kTestdata + "valid-overrides.yml");
  ASSERT_TRUE(result.config.has_value()) << result.error->Format();
  const auto& targets = result.config->targets;
  ASSERT_EQ(targets.size(), 2u);

  // Everything from defaults.
  const Target& inherits = targets[0];
  EXPECT_EQ(inherits.base_url, "https://inherits.example.com:8443/app");
  EXPECT_EQ(inherits.UrlFor("/healthz"), "https://inherits.example.com:8443/app/healthz");
  HealthCheck expected_health;
  expected_health.path = "/healthz";
  expected_health.method = "HEAD";
  expected_health.expected_status = StatusMatcher{{{200, 399}}};
  expected_health.interval = seconds(15);
  expected_health.timeout = seconds(3);
  expected_health.healthy_threshold = 3;
  expected_health.unhealthy_threshold = 4;
  EXPECT_EQ(inherits.health, expected_health);
  ASSERT_EQ(inherits.samples.size(), 1u);
  const ApiSample& inherited = inherits.samples[0];
  EXPECT_EQ(inherited.method, "POST");
  EXPECT_EQ(inherited.expected_status.ranges, (std::vector<StatusRange>{{200, 299}}));
  EXPECT_EQ(inherited.interval, seconds(10));
  EXPECT_EQ(inherited.timeout, seconds(4));
  EXPECT_EQ(inherited.latency_budget, seconds(1));
  EXPECT_FALSE(inherited.keep_alive);
  EXPECT_EQ(inherited.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer demo"},
                                                              {"Accept", "application/json"}}));
  EXPECT_EQ(inherits.evaluation, (Evaluation{minutes(5), 0.25, 10}));
  EXPECT_EQ(inherits.max_body_bytes, 256u * 1024);

  // Overrides win field by field; unset fields still come from defaults.
  const Target& overrides = targets[1];
  EXPECT_EQ(overrides.labels,
            (std::map<std::string, std::string>{{"env", "prod"}, {"team", "payments"}}));
  EXPECT_EQ(overrides.health.path, "/health");
  EXPECT_EQ(overrides.health.unhealthy_threshold, 2);
  EXPECT_EQ(overrides.health.method, "HEAD");
  EXPECT_EQ(overrides.health.interval, seconds(15));
  EXPECT_EQ(overrides.health.healthy_threshold, 3);
  ASSERT_EQ(overrides.samples.size(), 2u);

  const ApiSample& search = overrides.samples[0];
  EXPECT_EQ(search.name, "search");
  EXPECT_EQ(search.path, "/api/search?q=shoes");
  EXPECT_EQ(search.method, "GET");
  EXPECT_EQ(search.expected_status.ranges,
            (std::vector<StatusRange>{{200, 200}, {204, 204}, {300, 399}}));
  EXPECT_EQ(search.latency_budget, Millis(500));
  EXPECT_EQ(search.timeout, seconds(2));
  EXPECT_EQ(search.interval, seconds(5));
  EXPECT_TRUE(search.keep_alive);
  // Sample headers replace defaults of the same name in any case; other defaults remain.
  EXPECT_EQ(search.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer demo"},
                                                              {"accept", "text/html"},
                                                              {"X-Request-Source", "healthgap"}}));

  const ApiSample& orders = overrides.samples[1];
  EXPECT_EQ(orders.name, "api_orders");
  EXPECT_EQ(orders.body, R"({"q":1})");
  EXPECT_EQ(orders.method, "POST");
  EXPECT_EQ(orders.timeout, seconds(4));
  EXPECT_FALSE(orders.keep_alive);

  EXPECT_EQ(overrides.evaluation, (Evaluation{minutes(5), 0.0, 1}));
  EXPECT_EQ(overrides.max_body_bytes, 1024u);
}

TEST(LoadFileTest, AnnotatedExampleLoads) {
  const std::string path = std::string(HEALTHGAP_SOURCE_DIR) + "/examples/healthgap.yml";
  const LoadResult result = LoadFile(path);
  ASSERT_TRUE(result.config.has_value()) << result.error->Format();
  EXPECT_FALSE(result.config->targets.empty());
}

TEST(LoadStringTest, UsesTheSourceNameInErrorsAndConfig) {
  const LoadResult bad = LoadString("targets: 3\n", "<embedded>");
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_EQ(bad.error->Format(), "<embedded>:1: targets: expected a list of targets, got \"3\"");

  const LoadResult good =
      LoadString("targets: [{name: a, url: 'http://h', samples: [{path: /}]}]\n", "<embedded>");
  ASSERT_TRUE(good.config.has_value()) << good.error->Format();
  EXPECT_EQ(good.config->source, "<embedded>");
  EXPECT_EQ(good.config->targets[0].samples[0].name, "root");
}

TEST(LoadStringTest, ManyTargetsAreFine) {
  std::string yaml = "targets:\n";
  constexpr int kTargets = 10'001;
  for (int i = 0; i < kTargets; ++i) {
    yaml += "  - {name: t" + std::to_string(i) +
            ", url: 'http://10.0.0.1:" + std::to_string(1000 + i % 60000) +
            "', samples: [{path: /api}]}\n";
  }
  const LoadResult result = LoadString(yaml, "<many>");
  ASSERT_TRUE(result.config.has_value()) << result.error->Format();
  ASSERT_EQ(result.config->targets.size(), static_cast<std::size_t>(kTargets));
  EXPECT_EQ(result.config->targets.back().name, "t10000");
}

TEST(LoadStringTest, SameConfigComparesEqualSoReloadsCanSkipWork) {
  const std::string yaml = "targets: [{name: a, url: 'http://h', samples: [{path: /x}]}]\n";
  EXPECT_EQ(LoadString(yaml, "x").config, LoadString(yaml, "x").config);
  EXPECT_NE(
      LoadString(yaml, "x").config,
      LoadString("targets: [{name: a, url: 'http://h', samples: [{path: /y}]}]\n", "x").config);
}

// Whatever the input, the loader returns an error value instead of throwing or crashing.
TEST(LoadStringTest, HostileInputIsAnErrorNotAnException) {
  const std::vector<std::string> inputs = {
      std::string(100'000, '['),
      std::string("targets:\n  - \0\x01\x02", 14),
      "\t\ttargets: x",
      "&a [*a]",
      "targets: *undefined",
      "!!binary targets: x",
      "? [complex, key]\n: value\n",
      "targets: [{name: a, url: 'http://h', samples: [{path: /}], labels: {? [x]: y}}]",
  };
  for (const auto& input : inputs) {
    LoadResult result;
    EXPECT_NO_THROW(result = LoadString(input, "<hostile>"));
    EXPECT_FALSE(result.config.has_value()) << input.substr(0, 60);
    EXPECT_TRUE(result.error.has_value()) << input.substr(0, 60);
  }
}

}  // namespace
}  // namespace healthgap::config
