// `dfota keygen` and `dfota sign`, and the key options the other verbs share.
#include "cli/command.hpp"
#include "package/package_signature.hpp"
#include "signing/keys.hpp"

namespace dfota::cli {

Expected<signing::PrivateKey> load_signing_key(const std::string& path, std::ostream& err) {
  auto key = signing::load_private_key(path);
  // Only a private key is worth a warning about who can read it.
  if (key && signing::readable_by_others(path))
    err << "dfota: warning: private key " << printable(path) << " is readable by other users (chmod 600 "
        << printable(path) << ")\n";
  return key;
}

Expected<std::vector<signing::PublicKey>> load_trusted_keys(const std::vector<std::string>& paths) {
  std::vector<signing::PublicKey> keys;
  for (const auto& path : paths) {
    auto key = signing::load_public_key(path);
    if (!key) return key.error();
    keys.push_back(std::move(*key));
  }
  return keys;
}

void add_pubkey_option(CLI::App* sub, std::vector<std::string>& paths) {
  sub->add_option("--pubkey", paths,
                  "Trusted public key (PEM; repeatable, any one may match): refuse a package that is not signed\n"
                  "by one of them before doing anything else");
}

namespace {

class KeygenCommand final : public Command {
public:
  explicit KeygenCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("keygen", "Create a key pair for signing packages");
    sub->add_option("--private", private_, "Private key file to create (PEM, mode 0600; never overwritten)")
        ->required();
    sub->add_option("--public", public_, "Public key file to create (PEM), for --pubkey")->required();
    sub->add_option("--type", type_, "ed25519 (default) or ecdsa-p256")
        ->check(CLI::IsMember({"ed25519", "ecdsa-p256"}))
        ->default_val("ed25519");
    sub->footer("Keep the private key on the build machine (or in your HSM); give the public key to\n"
                "everyone who validates, applies or uploads.\n\nExample:\n"
                "  dfota keygen --private release.key --public release.pub\n"
                "  dfota build --from fw/v1 --to fw/v2 -o update.zip --sign-key release.key\n"
                "  dfota validate update.zip --profile ec2x --pubkey release.pub");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (names_same_file(public_, private_)) return refuse_output_over(err, "--public", "the --private file");
    if (int code = check_outputs(err, {{"--private", private_}, {"--public", public_}}); code != kOk) return code;
    auto type = signing::key_type_from_string(type_);
    if (!type) return report(err, type.error());
    auto key = signing::generate_key(*type);
    if (!key) return report(err, key.error());
    if (auto ok = signing::write_key_pair(*key, private_, public_); !ok) return report(err, ok.error());
    out << "wrote " << private_ << " (private, mode 0600) and " << public_ << " (public): " << signing::to_string(*type)
        << " key " << key->public_key().fingerprint() << '\n';
    return kOk;
  }

private:
  std::string private_, public_, type_;
};

class SignCommand final : public Command {
public:
  explicit SignCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("sign", "Sign a package (built here or elsewhere) with a private key");
    sub->add_option("package", package_, "Package to sign")->required();
    sub->add_option("--key", key_, "Private key (PEM) from dfota keygen")->required();
    sub->add_option("-o,--output", output_, "Write the signed package here (default: sign the package in place)");
    add_force_flag(sub, force_);
    sub->footer("The signature covers the exact manifest bytes; the manifest covers every payload by SHA-256.\n"
                "An existing signature is replaced.\n\nExample:\n"
                "  dfota sign update.zip --key release.key");
  }

  int run(std::ostream& out, std::ostream& err) override {
    const std::string output = output_.empty() ? package_ : output_;
    if (names_same_file(output, key_)) return refuse_output_over(err, "-o", "the --key file");
    if (int code = check_outputs(err, {{"-o", output_}}); code != kOk) return code;
    if (!names_same_file(output, package_)) {
      if (int code = refuse_existing_output(err, "-o", output_, force_); code != kOk) return code;
    }
    auto key = load_signing_key(key_, err);
    if (!key) return report(err, key.error());
    auto signature = package::sign_package(package_, *key, output);
    if (!signature) return report(err, signature.error());
    out << "signed " << output << ": " << signing::to_string(signature->algorithm) << " key "
        << signature->key_fingerprint << '\n';
    return kOk;
  }

private:
  std::string package_, key_, output_;
  bool force_ = false;
};

} // namespace

std::unique_ptr<Command> make_keygen_command(CLI::App& app) { return std::make_unique<KeygenCommand>(app); }
std::unique_ptr<Command> make_sign_command(CLI::App& app) { return std::make_unique<SignCommand>(app); }

} // namespace dfota::cli
