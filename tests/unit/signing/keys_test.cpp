#include "signing/keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "signing/signature_document.hpp"
#include "support/test_support.hpp"

namespace dfota::signing {
namespace {

namespace fs = std::filesystem;
const ByteSpan kMessage = as_bytes("{\"format\": \"dfota-package\"}\n");

class BothKeyTypes : public ::testing::TestWithParam<KeyType> {};

TEST_P(BothKeyTypes, SignsAndVerifiesAndRefusesAnyChange) {
  auto key = generate_key(GetParam());
  ASSERT_TRUE(key) << key.error().message();
  auto signature = key->sign(kMessage);
  ASSERT_TRUE(signature);
  const PublicKey pub = key->public_key();
  EXPECT_TRUE(pub.verifies(kMessage, *signature));

  Bytes changed(kMessage.begin(), kMessage.end());
  changed[3] ^= 1;
  EXPECT_FALSE(pub.verifies(changed, *signature));
  Bytes bad_signature = *signature;
  bad_signature[bad_signature.size() / 2] ^= 0x40;
  EXPECT_FALSE(pub.verifies(kMessage, bad_signature));
  EXPECT_FALSE(pub.verifies(kMessage, ByteSpan{}));

  auto other = generate_key(GetParam());
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->public_key().verifies(kMessage, *signature));
  EXPECT_NE(other->public_key().fingerprint(), pub.fingerprint());
}

TEST_P(BothKeyTypes, PemRoundTripKeepsTypeAndFingerprint) {
  auto key = generate_key(GetParam());
  ASSERT_TRUE(key);
  auto reread = parse_private_key(key->pem());
  ASSERT_TRUE(reread) << reread.error().message();
  EXPECT_EQ(reread->type(), GetParam());
  auto pub = parse_public_key(key->public_key().pem());
  ASSERT_TRUE(pub) << pub.error().message();
  EXPECT_EQ(pub->fingerprint(), key->public_key().fingerprint());
  EXPECT_EQ(reread->public_key().fingerprint(), key->public_key().fingerprint());
  EXPECT_EQ(pub->fingerprint().rfind("SHA256:", 0), 0u);
  EXPECT_EQ(pub->fingerprint().size(), 7u + 64u);
  // A signature by the re-read key verifies with the original public key.
  auto signature = reread->sign(kMessage);
  ASSERT_TRUE(signature);
  EXPECT_TRUE(key->public_key().verifies(kMessage, *signature));
}

TEST_P(BothKeyTypes, SignatureDocumentRoundTrips) {
  auto key = generate_key(GetParam());
  ASSERT_TRUE(key);
  auto document = sign_document(*key, kMessage);
  ASSERT_TRUE(document);
  const std::string text = to_text(*document);
  auto parsed = parse_signature_document(as_bytes(text));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->algorithm, GetParam());
  EXPECT_EQ(parsed->key_fingerprint, key->public_key().fingerprint());
  EXPECT_EQ(parsed->signature, document->signature);
  auto verified = verify_document(*parsed, kMessage, {key->public_key()});
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->fingerprint(), key->public_key().fingerprint());
}

INSTANTIATE_TEST_SUITE_P(Keys, BothKeyTypes, ::testing::Values(KeyType::ed25519, KeyType::ecdsa_p256),
                         [](const auto& param_info) {
                           return param_info.param == KeyType::ed25519 ? "ed25519" : "ecdsa";
                         });

TEST(Keys, Ed25519SignaturesAreDeterministic) {
  auto key = generate_key(KeyType::ed25519);
  ASSERT_TRUE(key);
  EXPECT_EQ(*key->sign(kMessage), *key->sign(kMessage));
}

TEST(Keys, RefusesWhatIsNotAUsableKey) {
  EXPECT_TRUE(parse_public_key("hello").error().is(SigningErrc::key_invalid));
  EXPECT_TRUE(parse_private_key("").error().is(SigningErrc::key_invalid));
  auto key = generate_key(KeyType::ed25519);
  ASSERT_TRUE(key);
  // A private key given as a public one: a message that says so.
  auto swapped = parse_public_key(key->pem());
  ASSERT_FALSE(swapped);
  EXPECT_NE(swapped.error().message().find("private key"), std::string::npos);
  EXPECT_EQ(swapped.error().message().find("BEGIN"), std::string::npos) << "never echoes key material";

  // An RSA key is a PEM key of a type we do not sign with.
  const auto rsa = R"(-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAK2AY6i0QN/Y21XVFUDbrtOv2kKvMSWp
rEGebVKoKlzCpJlEk/vx2WTbmnOoO2RyVtLAQnv2Bv7Jnlf0Q5Xn2C8CAwEAAQ==
-----END PUBLIC KEY-----
)";
  auto refused = parse_public_key(rsa);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(SigningErrc::unsupported_key)) << refused.error().message();
  // ECDSA on another curve than P-256.
  const auto p384 = R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEaH72PvOgf4aph2hqNnGLUYEEV6mvkuZn
ghyPuivpmpgLzaMeYJy4g/Kp/5IjFwc70gcee/4687GzDSAC18JTXkLBadzx3oM0
z9ZaGl2CMcZQgorjwO7kHLjUedm+bc1K
-----END PUBLIC KEY-----
)";
  auto curve = parse_public_key(p384);
  ASSERT_FALSE(curve);
  EXPECT_TRUE(curve.error().is(SigningErrc::unsupported_key)) << curve.error().message();
}

TEST(Keys, KeyPairFilesHaveSafeModesAndAreNeverOverwritten) {
  test::ScratchDir dir;
  auto key = generate_key(KeyType::ed25519);
  ASSERT_TRUE(key);
  const auto priv = dir.path() / "k.pem";
  const auto pub = dir.path() / "k.pub";
  ASSERT_TRUE(write_key_pair(*key, priv, pub));
  struct stat st {};
  ASSERT_EQ(::stat(priv.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(readable_by_others(priv));
  ASSERT_EQ(::stat(pub.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_TRUE(readable_by_others(pub));

  auto loaded = load_private_key(priv);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(load_public_key(pub)->fingerprint(), loaded->public_key().fingerprint());

  const std::string before = test::read_text(priv);
  auto again = generate_key(KeyType::ed25519);
  auto refused = write_key_pair(*again, priv, dir.path() / "new.pub");
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(CoreErrc::already_exists));
  EXPECT_EQ(test::read_text(priv), before);
  EXPECT_FALSE(fs::exists(dir.path() / "new.pub")) << "a failed keygen leaves nothing behind";
  // The public file in the way: the private key is not written either.
  EXPECT_FALSE(write_key_pair(*again, dir.path() / "other.pem", pub));
  EXPECT_FALSE(fs::exists(dir.path() / "other.pem"));
}

TEST(Keys, LoadingNamesThePathNeverTheContents) {
  test::ScratchDir dir;
  test::write_text(dir.path() / "junk.pem", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n");
  auto junk = load_private_key(dir.path() / "junk.pem");
  ASSERT_FALSE(junk);
  EXPECT_TRUE(junk.error().is(SigningErrc::key_invalid));
  EXPECT_NE(junk.error().message().find("junk.pem"), std::string::npos);
  EXPECT_EQ(junk.error().message().find("not base64"), std::string::npos);
  auto missing = load_public_key(dir.path() / "missing.pub");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(SigningErrc::key_unreadable));
  test::write_file(dir.path() / "huge.pem", Bytes(1 << 20, 'A'));
  EXPECT_TRUE(load_private_key(dir.path() / "huge.pem").error().is(SigningErrc::key_invalid));
}

TEST(SignatureDocument, MalformedDocumentsAreRefused) {
  auto key = generate_key(KeyType::ed25519);
  ASSERT_TRUE(key);
  auto good = sign_document(*key, kMessage);
  ASSERT_TRUE(good);
  const std::string fp = key->public_key().fingerprint();
  const std::vector<std::string> bad{
      "",
      "[]",
      "{}",
      "not json",
      R"({"format":"other","version":1,"algorithm":"ed25519","key":")" + fp + R"(","signature":"AAAA"})",
      R"({"format":"dfota-signature","version":2,"algorithm":"ed25519","key":")" + fp + R"(","signature":"AAAA"})",
      R"({"format":"dfota-signature","version":1,"algorithm":"rsa","key":")" + fp + R"(","signature":"AAAA"})",
      R"({"format":"dfota-signature","version":1,"algorithm":"ed25519","key":"SHA256:zz","signature":"AAAA"})",
      R"({"format":"dfota-signature","version":1,"algorithm":"ed25519","key":")" + fp + R"(","signature":"@@@@"})",
      R"({"format":"dfota-signature","version":1,"algorithm":"ed25519","key":")" + fp + R"(","signature":""})",
      R"({"format":"dfota-signature","version":1,"algorithm":"ed25519","key":")" + fp + R"(","signature":7})",
      std::string(kMaxSignatureDocumentSize + 1, ' '),
  };
  for (const auto& text : bad) {
    auto parsed = parse_signature_document(as_bytes(text));
    ASSERT_FALSE(parsed) << text.substr(0, 80);
    EXPECT_TRUE(parsed.error().is(SigningErrc::signature_invalid)) << parsed.error().message();
  }
}

TEST(SignatureDocument, VerificationNamesUntrustedAndChangedCases) {
  auto key = generate_key(KeyType::ed25519);
  auto other = generate_key(KeyType::ecdsa_p256);
  ASSERT_TRUE(key && other);
  auto document = sign_document(*key, kMessage);
  ASSERT_TRUE(document);
  EXPECT_TRUE(verify_document(*document, kMessage, {other->public_key()}).error().is(SigningErrc::untrusted_key));
  EXPECT_TRUE(verify_document(*document, kMessage, {}).error().is(SigningErrc::untrusted_key));
  // Any one of several trusted keys may match.
  EXPECT_TRUE(verify_document(*document, kMessage, {other->public_key(), key->public_key()}));
  Bytes changed(kMessage.begin(), kMessage.end());
  changed.push_back(' ');
  EXPECT_TRUE(verify_document(*document, changed, {key->public_key()}).error().is(SigningErrc::bad_signature));
  // A document that claims the trusted key but was signed by another.
  auto forged = sign_document(*other, kMessage);
  forged->key_fingerprint = key->public_key().fingerprint();
  forged->algorithm = KeyType::ed25519;
  EXPECT_TRUE(verify_document(*forged, kMessage, {key->public_key()}).error().is(SigningErrc::bad_signature));
}

} // namespace
} // namespace dfota::signing
