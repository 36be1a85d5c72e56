#pragma once

// Every metric name healthgap exports, in one place. docs/metrics.md documents each one; the
// rules in rules/ and the dashboards in dashboards/ use exactly these names.
namespace healthgap::metrics::names {

// Health check, blackbox_exporter-compatible meaning (last health probe of the target).
inline constexpr char kProbeSuccess[] = "probe_success";
inline constexpr char kProbeDurationSeconds[] = "probe_duration_seconds";
inline constexpr char kProbeHttpStatusCode[] = "probe_http_status_code";
inline constexpr char kProbeHttpDurationSeconds[] = "probe_http_duration_seconds";  // {phase}
// TLS of the last health probe, only after a completed handshake (unix seconds).
inline constexpr char kProbeSslEarliestCertExpiry[] = "probe_ssl_earliest_cert_expiry";
inline constexpr char kProbeSslLastChainExpiry[] = "probe_ssl_last_chain_expiry_timestamp_seconds";
inline constexpr char kProbeTlsVersionInfo[] = "probe_tls_version_info";  // {version}
inline constexpr char kProbeHttpVersion[] = "probe_http_version";         // 1, 1.1, 2, 3
inline constexpr char kProbeIpProtocol[] = "probe_ip_protocol";           // 4 or 6

// Health check history.
inline constexpr char kHealthProbesTotal[] = "healthgap_health_probes_total";
// {reason}
inline constexpr char kHealthProbeFailuresTotal[] = "healthgap_health_probe_failures_total";
// histogram
inline constexpr char kHealthProbeDurationSeconds[] = "healthgap_health_probe_duration_seconds";

// The LB view: 1 while the emulated load balancer keeps the target in rotation.
inline constexpr char kLbHealthy[] = "healthgap_lb_healthy";
inline constexpr char kLbState[] = "healthgap_lb_state";  // {state}, one-hot
// The real balancer's view (a target's lb_source), and whether the emulation agrees. {source}
inline constexpr char kLbSourceHealthy[] = "healthgap_lb_source_healthy";
inline constexpr char kLbEmulationDrift[] = "healthgap_lb_emulation_drift";

// Which source decided each side of the verdict. {view="lb|api",source="emulated|synthetic|
// haproxy|prometheus|nginx_log|haproxy_log"}
inline constexpr char kViewSource[] = "healthgap_view_source";
// Real users' traffic (a target's traffic_source). {source}
inline constexpr char kTrafficRequestsTotal[] = "healthgap_traffic_requests_total";
inline constexpr char kTrafficFailuresTotal[] = "healthgap_traffic_failures_total";
inline constexpr char kTrafficRequestRate[] = "healthgap_traffic_request_rate";
inline constexpr char kTrafficErrorRatio[] = "healthgap_traffic_error_ratio";

// The user view: API samples.
inline constexpr char kApiRequestsTotal[] = "healthgap_api_requests_total";  // {sample}
// {sample,reason}
inline constexpr char kApiRequestFailuresTotal[] = "healthgap_api_request_failures_total";
// {sample} histogram
inline constexpr char kApiRequestDurationSeconds[] = "healthgap_api_request_duration_seconds";
inline constexpr char kApiErrorRatio[] = "healthgap_api_error_ratio";  // sliding window
inline constexpr char kApiWindowSamples[] = "healthgap_api_window_samples";
// What the user view's current state rests on: samples since it last changed, and their
// failure share with its interval. {bound: estimate|lower|upper}
inline constexpr char kApiEvidenceSamples[] = "healthgap_api_evidence_samples";
inline constexpr char kApiEvidenceErrorRatio[] = "healthgap_api_evidence_error_ratio";
// The last TLS handshake of each sample, as the probe_ssl_* families (unix seconds). {sample}
inline constexpr char kApiSslEarliestCertExpiry[] =
    "healthgap_api_ssl_earliest_cert_expiry_timestamp_seconds";
inline constexpr char kApiSslLastChainExpiry[] =
    "healthgap_api_ssl_last_chain_expiry_timestamp_seconds";
inline constexpr char kApiTlsVersionInfo[] = "healthgap_api_tls_version_info";  // {sample,version}

// The verdict: one-hot over all verdict values.
inline constexpr char kVerdict[] = "healthgap_verdict";  // {verdict}
// Always 1, on the current verdict and its bounded cause: for alert descriptions.
inline constexpr char kVerdictInfo[] = "healthgap_verdict_info";  // {verdict,cause}

// Per health check; `check` is its role (readiness|liveness).
// {check,lb,primary,url}
inline constexpr char kHealthCheckInfo[] = "healthgap_health_check_info";
inline constexpr char kHealthCheckSuccess[] = "healthgap_health_check_success";       // {check}
inline constexpr char kHealthCheckLbHealthy[] = "healthgap_health_check_lb_healthy";  // {check}
// Deep health bodies: one-hot over pass|warn|fail per reported component (at most 32 per check).
// {check,component,status}
inline constexpr char kHealthComponentStatus[] = "healthgap_health_component_status";
inline constexpr char kHealthComponentsDropped[] = "healthgap_health_components_dropped";
// Cached health: 0/1 per check, and which evidence kinds are present.
inline constexpr char kHealthCached[] = "healthgap_health_cached";  // {check}
// {check,kind="age_header|cache_control|date_stuck|body_frozen"}
inline constexpr char kHealthCacheEvidence[] = "healthgap_health_cache_evidence";
// Detached health: API p50 latency / primary health p50 latency.
inline constexpr char kHealthApiLatencyRatio[] = "healthgap_health_api_latency_ratio";

// Exporter self-metrics.
inline constexpr char kProbesSentTotal[] = "healthgap_probes_sent_total";  // {kind="health|api"}
inline constexpr char kProbesSkippedTotal[] = "healthgap_probes_skipped_total";  // {reason}
// Polls of the sources. {source}, {source,result}
inline constexpr char kSourceUp[] = "healthgap_source_up";
inline constexpr char kSourcePollsTotal[] = "healthgap_source_polls_total";
inline constexpr char kProbesInFlight[] = "healthgap_probes_in_flight";
inline constexpr char kSchedulingLagSeconds[] = "healthgap_scheduling_lag_seconds";  // histogram
inline constexpr char kProbeRequestsTotal[] = "healthgap_probe_requests_total";      // {result}
inline constexpr char kTargets[] = "healthgap_targets";
inline constexpr char kBuildInfo[] = "healthgap_build_info";  // {version}
inline constexpr char kConfigLastReloadSuccessful[] = "healthgap_config_last_reload_successful";
inline constexpr char kConfigLastReloadSuccessTimestampSeconds[] =
    "healthgap_config_last_reload_success_timestamp_seconds";

}  // namespace healthgap::metrics::names
