#!/usr/bin/env sh
# Forwards to `alluxio mount`: mount or unmount the worker ramdisk; see `alluxio mount --help`.
BIN_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
exec "$BIN_DIR/alluxio" mount "$@"
