#!/usr/bin/env sh
# Forwards to `alluxio start`; see `alluxio start --help`.
BIN_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
exec "$BIN_DIR/alluxio" start "$@"
