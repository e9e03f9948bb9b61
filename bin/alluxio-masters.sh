#!/usr/bin/env sh
# Run a command on every host of conf/masters: forwards to `alluxio runOn masters`.
BIN_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
exec "$BIN_DIR/alluxio" runOn masters "$@"
