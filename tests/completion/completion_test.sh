#!/usr/bin/env bash
# The completion scripts in the shells themselves: verbs, options, choices,
# directories only where a directory is asked for, names with spaces kept
# whole, and the shells of `dfota completion`. zsh and fish are checked when
# installed (.ci/install-deps installs them); a missing one is skipped (77)
# only when both are missing.
#   usage: completion_test.sh PROGRAM SCRATCH
set -uo pipefail
program=$1 scratch=$2
rm -rf "$scratch" && mkdir -p "$scratch/my fw" && cd "$scratch" || exit 1
touch "my file.zip" "my notes"
failed=0 passed=0
expect() { # description, actual, expected
  if [[ $2 == "$3" ]]; then passed=$((passed + 1)); else echo "FAILED $1: got [$2], expected [$3]"; failed=$((failed + 1)); fi
}
"$program" completion bash > bash.sh && "$program" completion zsh > zsh.sh && "$program" completion fish > fish.fish || exit 1

bash_complete() { # words...: the completions of the last word, one per line
  bash -c 'source ./bash.sh; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dfota; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
expect "bash: a verb" "$(bash_complete dfota vali)" "validate"
expect "bash: an option" "$(bash_complete dfota build --rev)" "--reverse-output"
expect "bash: choices of --engine" "$(bash_complete dfota build --engine n)" "native"
expect "bash: profiles after --profile" "$(bash_complete dfota validate u.zip --profile ec2)" "ec200t
ec2x"
expect "bash: only directories after --from" "$(bash_complete dfota build --from my)" "my fw"
expect "bash: names with a space stay whole" "$(bash_complete dfota inspect 'my f')" "my file.zip
my fw"
expect "bash: the shells of completion" "$(bash_complete dfota completion '')" "bash
zsh
fish"

if command -v zsh >/dev/null; then
  expect "zsh: dfota is completed by the script's function" \
    "$(zsh -f -c 'autoload -U compinit && compinit -u -D; source ./zsh.sh; print ${_comps[dfota]}')" "_bash_complete -F _dfota"
fi
if command -v fish >/dev/null; then
  fish_complete() { fish --no-config -c "source ./fish.fish; complete -C '$1'" | cut -f1; }
  expect "fish: a verb" "$(fish_complete 'dfota vali')" "validate"
  expect "fish: an option" "$(fish_complete 'dfota build --rev')" "--reverse-output"
  expect "fish: only directories after --from" "$(fish_complete 'dfota build --from my')" "my fw/"
  expect "fish: the shells of completion" "$(fish_complete 'dfota completion ' | sort | tr '\n' ' ')" "bash fish zsh "
fi
if ! command -v zsh >/dev/null && ! command -v fish >/dev/null; then
  echo "zsh and fish are not installed"
  exit 77
fi
echo "completion: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
