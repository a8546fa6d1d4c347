#!/bin/sh
# RUSTC_WRAPPER of the fuzz build (mk/fuzz.mk): adds sanitizer coverage (libFuzzer's feedback)
# to AgentDB's own crates only. Cargo calls it as `rustc-wrapper.sh <rustc> <args...>`; it does
# not count in cargo's fingerprints, and the dependencies it passes through unchanged are the
# artifacts `make build` made, which cargo finds Fresh and never hands to it.
rustc="$1"
shift
case " $* " in
  *" --crate-name agentdb_engine "* | *" --crate-name agentdb_fuzz "* | *" --crate-name agentdb_fuzz_capi "* | \
  *"/fuzz_targets/"*)
    exec "$rustc" "$@" \
      -Cpasses=sancov-module \
      -Cllvm-args=-sanitizer-coverage-level=4 \
      -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
      -Cllvm-args=-sanitizer-coverage-pc-table \
      -Cllvm-args=-sanitizer-coverage-trace-compares \
      -Cllvm-args=-sanitizer-coverage-stack-depth ;;
esac
exec "$rustc" "$@"
