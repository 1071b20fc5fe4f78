// `dfota completion bash`: a bash completion script made from the command
// line's own definition, so it always knows every verb and option. The
// install step writes it to share/bash-completion/completions/dfota.
#include <sstream>

#include "cli/command.hpp"
#include "profiles/profile.hpp"

namespace dfota::cli {

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words)
    text += (text.empty() ? "" : " ") + w;
  return text;
}

// The words an option's IsMember check accepts ("{a,b,c}"), or none.
std::vector<std::string> member_words(CLI::Option* option) {
  std::vector<std::string> words;
  for (int i = 0;; ++i) {
    std::string description;
    try {
      description = option->get_validator(i)->get_description();
    } catch (const CLI::OptionNotFound&) {
      break;
    }
    if (description.size() < 2 || description.front() != '{' || description.back() != '}') continue;
    std::string word;
    for (char c : description.substr(1, description.size() - 2) + ",") {
      if (c == ',') {
        if (!word.empty()) words.push_back(word);
        word.clear();
      } else if (c != ' ') {
        word += c;
      }
    }
  }
  return words;
}

// `profile_ids` are offered after --profile (profiles are data, not an IsMember list).
std::string bash_script(CLI::App& root, const std::vector<std::string>& profile_ids) {
  std::vector<std::string> verbs;
  std::ostringstream option_cases;
  std::ostringstream words;
  for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
    verbs.push_back(sub->get_name());
    std::vector<std::string> names;
    for (CLI::Option* opt : sub->get_options()) {
      std::vector<std::string> spellings;
      for (const auto& l : opt->get_lnames())
        spellings.push_back("--" + l);
      for (const auto& s : opt->get_snames())
        spellings.push_back("-" + s);
      if (spellings.empty()) continue; // positional
      names.insert(names.end(), spellings.begin(), spellings.end());
      std::vector<std::string> choices = member_words(opt);
      if (choices.empty() && opt->get_lnames() == std::vector<std::string>{"profile"}) choices = profile_ids;
      if (choices.empty()) continue;
      for (const auto& spelling : spellings)
        words << "    " << sub->get_name() << ":" << spelling << ") COMPREPLY=($(compgen -W \"" << join(choices)
              << "\" -- \"$cur\")); return ;;\n";
    }
    option_cases << "    " << sub->get_name() << ") options=\"" << join(names) << "\" ;;\n";
  }

  std::ostringstream script;
  script << "# bash completion for dfota (made by 'dfota completion bash')\n"
            "_dfota() {\n"
            "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
            "  local verbs=\""
         << join(verbs)
         << "\"\n"
            "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
            "    COMPREPLY=($(compgen -W \"$verbs --help --version\" -- \"$cur\"))\n"
            "    return\n"
            "  fi\n"
            "  case ${COMP_WORDS[1]}:$prev in\n"
         << words.str()
         << "  esac\n"
            "  local options=\"\"\n"
            "  case ${COMP_WORDS[1]} in\n"
         << option_cases.str()
         << "  esac\n"
            "  if [[ $cur == -* ]]; then\n"
            "    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n"
            "    return\n"
            "  fi\n"
            "  COMPREPLY=($(compgen -f -- \"$cur\"))\n"
            "  compopt -o filenames 2>/dev/null\n"
            "}\n"
            "complete -F _dfota dfota\n";
  return script.str();
}

class CompletionCommand final : public Command {
public:
  explicit CompletionCommand(CLI::App& app) : root_(app) {
    auto* sub = app.add_subcommand("completion", "Print a shell completion script");
    sub->add_option("shell", shell_, "Shell: bash")->required()->check(CLI::IsMember({"bash"}));
    sub->footer("Example:\n  source <(dfota completion bash)\n\n"
                "Installed packages already place it in share/bash-completion/completions/dfota.");
  }

  int run(std::ostream& out, std::ostream&) override {
    std::vector<std::string> profile_ids;
    if (auto registry = profiles::Registry::load(formats_directory())) {
      for (const auto& profile : registry->profiles())
        profile_ids.push_back(profile.id);
    }
    out << bash_script(root_, profile_ids);
    return kOk;
  }

private:
  CLI::App& root_;
  std::string shell_;
};

} // namespace

std::unique_ptr<Command> make_completion_command(CLI::App& app) { return std::make_unique<CompletionCommand>(app); }

} // namespace dfota::cli
