// `dfota completion bash|zsh|fish`: a completion script made from the
// command line's own definition, so it always knows every verb and option.
// The install step writes each where its shell looks for them.
#include <algorithm>
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

// Options whose value is a directory: completed with directories only.
bool takes_directory(const std::string& verb, const CLI::Option& option) {
  const auto& names = option.get_lnames();
  const auto named = [&](const char* name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  if (named("from") || named("to") || named("source") || named("firmware") || named("state")) return true;
  return named("output") && (verb == "apply" || verb == "release");
}

// What the generators need to know of one option of one verb.
struct OptionShape {
  std::vector<std::string> spellings; // "--from", "-o"
  std::vector<std::string> choices;   // fixed words, or none
  bool directory = false;             // the value is a directory
  bool flag = false;                  // takes no value
  std::string help;
};

struct VerbShape {
  std::string name;
  std::string help;
  std::vector<OptionShape> options;
  std::vector<std::string> positional_choices; // e.g. completion's shells
};

// `profile_ids` are offered after --profile (profiles are data, not an IsMember list).
std::vector<VerbShape> shapes(CLI::App& root, const std::vector<std::string>& profile_ids) {
  std::vector<VerbShape> verbs;
  for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
    VerbShape verb{sub->get_name(), sub->get_description(), {}, {}};
    for (CLI::Option* opt : sub->get_options()) {
      OptionShape shape;
      for (const auto& l : opt->get_lnames())
        shape.spellings.push_back("--" + l);
      for (const auto& s : opt->get_snames())
        shape.spellings.push_back("-" + s);
      shape.choices = member_words(opt);
      if (shape.spellings.empty()) { // positional
        if (!shape.choices.empty()) verb.positional_choices = shape.choices;
        continue;
      }
      if (shape.choices.empty() && opt->get_lnames() == std::vector<std::string>{"profile"})
        shape.choices = profile_ids;
      shape.directory = takes_directory(verb.name, *opt);
      shape.flag = opt->get_type_size() <= 0 || opt->get_expected_max() == 0;
      shape.help = opt->get_description().substr(0, opt->get_description().find('\n'));
      verb.options.push_back(std::move(shape));
    }
    verbs.push_back(std::move(verb));
  }
  return verbs;
}

// bash: file names with spaces stay whole (mapfile, compopt -o filenames).
std::string bash_script(const std::vector<VerbShape>& verbs) {
  std::vector<std::string> verb_names;
  std::ostringstream value_cases, option_cases, positional_cases;
  for (const auto& verb : verbs) {
    verb_names.push_back(verb.name);
    std::vector<std::string> names;
    for (const auto& option : verb.options) {
      names.insert(names.end(), option.spellings.begin(), option.spellings.end());
      for (const auto& spelling : option.spellings) {
        if (!option.choices.empty())
          value_cases << "    " << verb.name << ":" << spelling << ") _dfota_words \"" << join(option.choices)
                      << "\"; return ;;\n";
        else if (option.directory)
          value_cases << "    " << verb.name << ":" << spelling << ") _dfota_files -d; return ;;\n";
      }
    }
    option_cases << "    " << verb.name << ") options=\"" << join(names) << "\" ;;\n";
    if (!verb.positional_choices.empty())
      positional_cases << "    " << verb.name << ") _dfota_words \"" << join(verb.positional_choices)
                       << "\"; return ;;\n";
  }
  std::ostringstream script;
  script << "# bash completion for dfota (made by 'dfota completion bash')\n"
            "_dfota_words() { mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\"); }\n"
            "_dfota_files() {\n"
            "  mapfile -t COMPREPLY < <(compgen \"${1:--f}\" -- \"$cur\")\n"
            "  compopt -o filenames 2>/dev/null\n"
            "}\n"
            "_dfota() {\n"
            "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
            "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
            "    _dfota_words \""
         << join(verb_names)
         << " --help --version\"\n"
            "    return\n"
            "  fi\n"
            "  case ${COMP_WORDS[1]}:$prev in\n"
         << value_cases.str()
         << "  esac\n"
            "  local options=\"\"\n"
            "  case ${COMP_WORDS[1]} in\n"
         << option_cases.str()
         << "  esac\n"
            "  if [[ $cur == -* ]]; then\n"
            "    _dfota_words \"$options\"\n"
            "    return\n"
            "  fi\n"
            "  case ${COMP_WORDS[1]} in\n"
         << positional_cases.str()
         << "  esac\n"
            "  _dfota_files -f\n"
            "}\n"
            "complete -F _dfota dfota\n";
  return script.str();
}

// zsh: the bash function through zsh's bashcompinit, so both shells complete
// the same words from one definition.
std::string zsh_script(const std::vector<VerbShape>& verbs) {
  return "#compdef dfota\n"
         "# zsh completion for dfota (made by 'dfota completion zsh')\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_script(verbs);
}

std::string fish_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// fish: one `complete` line per verb and option.
std::string fish_script(const std::vector<VerbShape>& verbs) {
  std::vector<std::string> names;
  for (const auto& verb : verbs)
    names.push_back(verb.name);
  std::ostringstream script;
  script << "# fish completion for dfota (made by 'dfota completion fish')\n"
            "complete -c dfota -f\n";
  for (const auto& verb : verbs)
    script << "complete -c dfota -n '__fish_use_subcommand' -a " << verb.name << " -d " << fish_quoted(verb.help)
           << "\n";
  for (const auto& verb : verbs) {
    const std::string when = "-n '__fish_seen_subcommand_from " + verb.name + "'";
    if (!verb.positional_choices.empty())
      script << "complete -c dfota " << when << " -a " << fish_quoted(join(verb.positional_choices)) << "\n";
    else
      script << "complete -c dfota " << when << " -F\n";
    for (const auto& option : verb.options) {
      script << "complete -c dfota " << when;
      for (const auto& spelling : option.spellings)
        script << (spelling.rfind("--", 0) == 0 ? " -l " + spelling.substr(2) : " -s " + spelling.substr(1));
      if (!option.choices.empty())
        script << " -x -a " << fish_quoted(join(option.choices));
      else if (option.directory)
        script << " -x -a '(__fish_complete_directories)'";
      else if (!option.flag)
        script << " -r -F";
      script << " -d " << fish_quoted(option.help) << "\n";
    }
  }
  return script.str();
}

class CompletionCommand final : public Command {
public:
  explicit CompletionCommand(CLI::App& app) : root_(app) {
    auto* sub = app.add_subcommand("completion", "Print a shell completion script");
    sub->add_option("shell", shell_, "Shell: bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    sub->footer("Examples:\n  source <(dfota completion bash)\n  source <(dfota completion zsh)\n"
                "  dfota completion fish > ~/.config/fish/completions/dfota.fish\n\n"
                "Installed packages place them in share/bash-completion/completions/dfota,\n"
                "share/zsh/vendor-completions/_dfota and share/fish/vendor_completions.d/dfota.fish.");
  }

  int run(std::ostream& out, std::ostream&) override {
    std::vector<std::string> profile_ids;
    if (auto registry = profiles::Registry::load(formats_directory())) {
      for (const auto& profile : registry->profiles())
        profile_ids.push_back(profile.id);
    }
    const auto verbs = shapes(root_, profile_ids);
    out << (shell_ == "fish" ? fish_script(verbs) : shell_ == "zsh" ? zsh_script(verbs) : bash_script(verbs));
    return kOk;
  }

private:
  CLI::App& root_;
  std::string shell_;
};

} // namespace

std::unique_ptr<Command> make_completion_command(CLI::App& app) { return std::make_unique<CompletionCommand>(app); }

} // namespace dfota::cli
