// What a package is, whatever module it goes to: its size and digests, its
// layout and manifest, and what its zip, payloads and signature rules find,
// read once (one pass for the digests, each payload read to its end once).
// The validator then checks it against any number of modules and families
// without reading the file again: `release` for every family of a package,
// `upload` for every module of a fleet.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "package/inspector.hpp"
#include "package/manifest.hpp"
#include "signing/keys.hpp"
#include "validate/finding.hpp"

namespace dfota::validate {

// A finding of the package itself; which of the family's codes it predicts
// is the family's to say.
struct ContainerFinding {
  enum class Code {
    none,
    bad_package,     // the family's code for a package it cannot read
    corrupt_payload, // the family's code for a payload that does not match
  };
  std::string rule; // zip, signature, payloads
  Verdict verdict = Verdict::skip;
  Code code = Code::none;
  std::string message;
};

struct PackageFacts {
  std::filesystem::path path;
  Digests file;                              // size, SHA-256, MD5, module checksum of the whole file
  std::optional<package::Manifest> manifest; // a readable dfota package only
  bool foreign = false;                      // a vendor's package: a zip of another layout, or opaque
  std::vector<ContainerFinding> container;   // the zip, signature and payloads rules, in that order
  bool signature_refused = false;            // with trusted keys: nothing else is worth checking
};

// Examines the package at `path`. With `trusted_keys`, it must be signed by
// one of them (else signature_refused). `digests`, when given, are the
// file's (a caller that read it whole already): the file is not hashed
// again. Never fails: what cannot be read is a finding.
PackageFacts examine_package(const std::filesystem::path& path, const std::vector<signing::PublicKey>& trusted_keys,
                             const std::optional<Digests>& digests = std::nullopt);

} // namespace dfota::validate
