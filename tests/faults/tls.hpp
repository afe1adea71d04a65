// tls.hpp — a throwaway TLS identity for the fault suite, made with OpenSSL's API at test time:
// a fresh P-256 key and a self-signed certificate (CA:TRUE, subjectAltName IP:127.0.0.1 and
// DNS:localhost, valid for one day). Nothing is generated ahead of time or kept in the tree.
#pragma once

#include <filesystem>
#include <memory>

namespace asyncload::faults {

// Whether this build has the TLS test server: OpenSSL is needed, and Debian has none for MinGW,
// so the Windows build has none (README "Windows"; its TLS cases are skipped there).
#if ASYNCLOAD_FAULTS_TLS
inline constexpr bool tls_server_built = true;
#else
inline constexpr bool tls_server_built = false;
#endif

class TlsIdentity {
public:
  // Writes the certificate (PEM) to `certificate_file`, which a client may then name as its
  // CA file (Options::ca_file) to trust this server.
  static std::shared_ptr<TlsIdentity> self_signed(const std::filesystem::path& certificate_file);
  ~TlsIdentity();
  TlsIdentity(const TlsIdentity&) = delete;
  TlsIdentity& operator=(const TlsIdentity&) = delete;

  void* context() const { return context_; }  // SSL_CTX* for a server
  const std::filesystem::path& certificate_file() const { return certificate_file_; }

private:
  TlsIdentity() = default;
  void* context_ = nullptr;
  std::filesystem::path certificate_file_;
};

}  // namespace asyncload::faults
