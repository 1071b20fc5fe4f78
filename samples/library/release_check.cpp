// Builds the package between two firmware directories with the dfota library,
// then predicts what a module of one family running MODULE-VERSION answers
// to it. Exit 0 when the module would take it, 1 when a rule fails, 2 on
// bad arguments or a build error.
//
//   release-check FROM-DIR TO-DIR OUT.zip PROFILE MODULE-VERSION
#include <cstdio>
#include <package/builder.hpp>
#include <profiles/profile.hpp>
#include <validate/validator.hpp>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s FROM-DIR TO-DIR OUT.zip PROFILE MODULE-VERSION\n", argv[0]);
    return 2;
  }
  dfota::package::BuildOptions options; // engine "auto": the smallest payload per partition
  auto built = dfota::package::build_package(argv[1], argv[2], argv[3], options);
  if (!built) {
    std::fprintf(stderr, "build failed: %s\n", built.error().message().c_str());
    return 2;
  }
  std::printf("built %s: %llu bytes, %s -> %s\n", argv[3], static_cast<unsigned long long>(built->package_size),
              built->manifest.source_version.c_str(), built->manifest.target_version.c_str());

  auto registry = dfota::profiles::Registry::load(DFOTA_FORMATS_DIR);
  if (!registry) {
    std::fprintf(stderr, "profiles: %s\n", registry.error().message().c_str());
    return 2;
  }
  auto profile = registry->find(argv[4]);
  if (!profile) {
    std::fprintf(stderr, "%s\n", profile.error().message().c_str());
    return 2;
  }
  dfota::validate::Request request;
  request.package = argv[3];
  request.module_version = argv[5];
  request.source = argv[1];
  const auto findings = dfota::validate::validate_package(request, **profile, *registry);
  for (const auto& finding : findings) {
    std::printf("%-12s %-4s %s\n", finding.rule.c_str(), dfota::validate::to_string(finding.verdict),
                finding.message.c_str());
  }
  return dfota::validate::passed(findings) ? 0 : 1;
}
