#pragma once

#include <curl/curl.h>

#include <utility>

namespace healthgap::probe {

// Initializes libcurl's global state exactly once per process; call before creating handles.
// Thread-safe (function-local static). Returns false if curl_global_init failed.
bool EnsureCurlGlobalInit();

namespace detail {

// Move-only owner of one libcurl handle type. Not thread-safe (like the handle it owns).
template <typename Handle, auto kFree>
class CurlOwner {
 public:
  CurlOwner() = default;
  explicit CurlOwner(Handle* handle) : handle_(handle) {}
  ~CurlOwner() { Reset(); }

  CurlOwner(const CurlOwner&) = delete;
  CurlOwner& operator=(const CurlOwner&) = delete;
  CurlOwner(CurlOwner&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CurlOwner& operator=(CurlOwner&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  Handle* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }
  Handle* release() { return std::exchange(handle_, nullptr); }
  void Reset(Handle* handle = nullptr) {
    if (handle_ != nullptr) kFree(handle_);
    handle_ = handle;
  }

 private:
  Handle* handle_ = nullptr;
};

inline void FreeEasy(CURL* easy) { curl_easy_cleanup(easy); }
inline void FreeMulti(CURLM* multi) { curl_multi_cleanup(multi); }
inline void FreeSlist(curl_slist* list) { curl_slist_free_all(list); }

}  // namespace detail

// Owns a CURL easy handle. Not thread-safe.
class CurlEasy : public detail::CurlOwner<CURL, detail::FreeEasy> {
 public:
  using CurlOwner::CurlOwner;
  static CurlEasy Create() {
    EnsureCurlGlobalInit();
    return CurlEasy(curl_easy_init());
  }
};

// Owns a CURLM multi handle. Not thread-safe except curl_multi_wakeup on get().
class CurlMulti : public detail::CurlOwner<CURLM, detail::FreeMulti> {
 public:
  using CurlOwner::CurlOwner;
  static CurlMulti Create() {
    EnsureCurlGlobalInit();
    return CurlMulti(curl_multi_init());
  }
};

// Owns a curl_slist (e.g. request headers). Not thread-safe.
class CurlSlist : public detail::CurlOwner<curl_slist, detail::FreeSlist> {
 public:
  using CurlOwner::CurlOwner;
  // Appends a copy of `line`; returns false on allocation failure (the list is kept).
  bool Append(const char* line) {
    curl_slist* appended = curl_slist_append(get(), line);
    if (appended == nullptr) return false;
    release();
    Reset(appended);
    return true;
  }
};

}  // namespace healthgap::probe
