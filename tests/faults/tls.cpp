#include "faults/tls.hpp"

#if ASYNCLOAD_FAULTS_TLS

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace asyncload::faults {
namespace {

[[noreturn]] void fail(const std::string& what) {
  char reason[256] = "no OpenSSL error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, reason, sizeof reason);
  throw std::runtime_error("TLS test identity: " + what + ": " + reason);
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) fail("extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

std::shared_ptr<TlsIdentity> TlsIdentity::self_signed(const std::filesystem::path& certificate_file) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) fail("key generation");
  X509* cert = X509_new();
  if (!cert) fail("X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 60 * 60);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("asyncload fault test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  add_extension(cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, NID_subject_key_identifier, "hash");
  add_extension(cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  if (X509_sign(cert, key, EVP_sha256()) == 0) fail("signing");

  FILE* out = std::fopen(certificate_file.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + certificate_file.string());
  const bool written = PEM_write_X509(out, cert) == 1;
  std::fclose(out);
  if (!written) fail("writing the certificate");

  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) fail("SSL_CTX_new");
  if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
    fail("installing the certificate");
  X509_free(cert);
  EVP_PKEY_free(key);

  std::shared_ptr<TlsIdentity> identity(new TlsIdentity());
  identity->context_ = ctx;
  identity->certificate_file_ = certificate_file;
  return identity;
}

TlsIdentity::~TlsIdentity() { SSL_CTX_free(static_cast<SSL_CTX*>(context_)); }

}  // namespace asyncload::faults

#else  // no OpenSSL for this target (MinGW: Debian has none): no TLS test server

#include <stdexcept>

namespace asyncload::faults {

std::shared_ptr<TlsIdentity> TlsIdentity::self_signed(const std::filesystem::path&) {
  throw std::logic_error("built without OpenSSL: no TLS test server");
}
TlsIdentity::~TlsIdentity() = default;

}  // namespace asyncload::faults

#endif
