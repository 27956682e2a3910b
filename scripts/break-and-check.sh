#!/usr/bin/env bash
# Issue 21: each test made honest must fail when the behaviour its name promises is broken. For each named break this
# script edits one source file (a perl substitution that must match), runs the test that guards it, expects it to
# FAIL, and puts the file back (also on Ctrl-C). It prints one line per break: CAUGHT or MISSED, and exits 1 if any
# break was missed or could not be applied.
#
# Usage: scripts/break-and-check.sh [BREAK...]      (default: every break below except the slow ones marked "slow")
#        scripts/break-and-check.sh --list
# Run from a clean checkout: a file already edited is refused. Uses $CARGO_TARGET_DIR like any cargo command.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
crates=src-tauri/crates

# Fields are separated by '|', so no field may hold one.
# name | file | perl substitution (s/…/…/ applied once, must match) | test command | slow?
breaks=(
  "client-semaphore|$crates/gov/src/client.rs|s/Semaphore::new\(self\.inner\.profile\.network\.max_concurrency\.max\(1\) as usize\)/Semaphore::new(Semaphore::MAX_PERMITS)/|cargo test -q -p balcao-gov --test serpro many_cpfs_go_one_call_each_with_at_most_max_concurrency_in_flight|"
  "batch-limit|$crates/batch/src/run.rs|s/self\.inflight\.len\(\) < self\.max_concurrency/self.inflight.len() < usize::MAX/|cargo test -q -p balcao-batch --test batch a_batch_keeps_at_most_max_concurrency_calls_in_flight|"
  "sim-high-water-mark|$crates/sim/src/state.rs|s/self\.max_in_flight\.fetch_max\(now, Ordering::SeqCst\);/let _ = now;/|cargo test -q -p balcao-gov --test serpro many_cpfs_go_one_call_each_with_at_most_max_concurrency_in_flight|"
  "migration-refuses-older-files|$crates/history/src/migrate.rs|s/if v > SCHEMA_VERSION \{/if v != 0 \&\& v != SCHEMA_VERSION {/|cargo test -q -p balcao-history --test migrations|"
  "migration-skips-steps|$crates/history/src/migrate.rs|s/\.skip\(current as usize\)/.skip(SCHEMA_VERSION as usize)/|cargo test -q -p balcao-history --test migrations the_real_file_written_by_schema_1|"
  "update-refuses-previous-schema|$crates/history/src/migrate.rs|s/if v > SCHEMA_VERSION \{/if v != 0 \&\& v != SCHEMA_VERSION {/|cargo test -q -p balcao --test history_across_updates the_file_the_previous_schema_wrote|"
  "pin-length-8-refused|$crates/service/src/lock.rs|s/\(4\.\.=12\)\.contains\(&pin\.len\(\)\)/(4..=12).contains(\&pin.len()) \&\& pin.len() != 8/|cargo test -q -p balcao-service --lib pins_are_4_to_12_digits|"
  "pin-length-16-accepted|$crates/service/src/lock.rs|s/\(4\.\.=12\)\.contains\(&pin\.len\(\)\)/(4..=12).contains(\&pin.len()).max(pin.len() == 16)/|cargo test -q -p balcao-service --lib pins_are_4_to_12_digits|"
  "keyring-service-untrimmed|$crates/platform/src/keyring_store.rs|s/Self::with_service\(s\.trim\(\)\)/Self::with_service(\&s)/|cargo test -q -p balcao-platform --features secret-service-tests --test secret_service an_empty_or_blank_redirect_falls_back_to_br_gov_balcao|"
  "keyring-default-renamed|$crates/platform/src/keyring_store.rs|s/_ => Self::with_service\(DEFAULT_SERVICE\)/_ => Self::with_service(\"br.gov.balcao.outro\")/|cargo test -q -p balcao-platform --features secret-service-tests --test secret_service an_empty_or_blank_redirect_falls_back_to_br_gov_balcao|"
  "cli-keyring-not-read|$crates/cli/src/profile_args.rs|s/credentials_from_store\(&KeyringStore::new\(\), &profile\.id\)/credentials_from_store(\&KeyringStore::with_service(\"br.gov.balcao.elsewhere\"), \&profile.id)/|cargo test -q -p balcao-cli --test lookup a_profile_without_env_credentials_reads_the_keyring|"
  "cli-env-instead-of-keyring|$crates/cli/src/profile_args.rs|s/if from_env \{ credentials_from_env\(\) \} else \{/if true { credentials_from_env() } else {/|cargo test -q -p balcao-cli --test lookup a_profile_without_env_credentials_reads_the_keyring|"
  "changes-since-ui-nothing-changed|ui/src/components/ChangesSince.svelte|s/\{#if diff\.changedCount === 0\}/{#if true}/|cd ui && npx vitest run src/tests/compare.test.ts|"
  "changes-since-shows-nothing-changed|ui/src/components/ChangesSince.svelte|s/\{#if diff\.changedCount === 0\}/{#if true}/|flock /tmp/balcao-e2e.lock cargo xtask e2e|slow"
  "single-instance-no-focus|src-tauri/src/lib.rs|s/let _ = w\.set_focus\(\);/let _ = \&w;/|cargo xtask single-instance|slow"
)

field() { cut -d'|' -f"$2" <<<"$1"; }

if [[ ${1:-} == --list ]]; then
  for b in "${breaks[@]}"; do printf '%-40s %s%s\n' "$(field "$b" 1)" "$(field "$b" 2)" "$([[ $(field "$b" 5) == slow ]] && echo '  (slow)')"; done
  exit 0
fi

wanted=("$@")
backup=$(mktemp -d)
current=""
restore() {
  if [[ -n $current ]]; then
    cp "$backup/file" "$current"
    current=""
  fi
}
trap 'restore; rm -rf "$backup"; exit 130' INT TERM
trap 'restore; rm -rf "$backup"' EXIT

failed=0
for b in "${breaks[@]}"; do
  name=$(field "$b" 1) file=$(field "$b" 2) subst=$(field "$b" 3) cmd=$(field "$b" 4) slow=$(field "$b" 5)
  if ((${#wanted[@]})); then
    [[ " ${wanted[*]} " == *" $name "* ]] || continue
  elif [[ $slow == slow ]]; then
    continue
  fi
  if ! git diff --quiet -- "$file"; then
    echo "REFUSED  $name: $file has uncommitted changes"
    failed=1
    continue
  fi
  cp "$file" "$backup/file"
  current=$file
  BREAK_SUBST=$subst perl -0pi -e '$n = eval "s" . substr($ENV{BREAK_SUBST}, 1); die $@ if $@; $n or die "no match\n"' "$file" 2>"$backup/perl.err"
  if cmp -s "$file" "$backup/file"; then
    echo "NOT APPLIED  $name: the substitution did not match $file ($(cat "$backup/perl.err"))"
    restore
    failed=1
    continue
  fi
  echo "--- $name: $(git diff --stat -- "$file" | head -1)"
  git diff -U0 -- "$file" | grep '^[-+][^-+]' | sed 's/^/    /'
  if bash -c "$cmd" >"$backup/out" 2>&1; then
    echo "MISSED   $name: \`$cmd\` passed against the broken build"
    tail -n 20 "$backup/out" | sed 's/^/    /'
    failed=1
  else
    echo "CAUGHT   $name: \`$cmd\` failed"
    grep -E "panicked|assert|FAIL|error\[|Error:|xtask:" "$backup/out" | head -n 4 | sed 's/^/    /'
  fi
  restore
done
exit $failed
