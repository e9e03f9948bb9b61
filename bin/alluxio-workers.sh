#!/usr/bin/env sh
# Run a command on every host of conf/workers: forwards to `alluxio runOn workers`.
BIN_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
exec "$BIN_DIR/alluxio" runOn workers "$@"
