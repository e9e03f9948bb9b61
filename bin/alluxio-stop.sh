#!/usr/bin/env sh
# Forwards to `alluxio stop`; see `alluxio stop --help`.
BIN_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
exec "$BIN_DIR/alluxio" stop "$@"
