#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The qnpu authors
#
# Install ONNX Runtime for Node (onnxruntime-node, CPU runtime only) into
# build/node, idempotently: the conformance tests (tests/conformance/) and
# the peer benchmark (bench/peers/) run it as an external reference.
#
#   tools/ort-setup.sh            install if needed, print the version
#
# The GPU-provider download the package's install script would attempt is
# turned off (ONNXRUNTIME_NODE_INSTALL=skip): the CPU runtime is inside the
# npm package, and the machine reaches no host but Debian's mirror and the
# npm registry. A stamp file records a finished install, so a second run
# is instant. Installs Debian's nodejs and npm when node/npm are missing
# (run as root). Exits non-zero with a message on any failure.
set -eu

ORT_VERSION=1.30.0

top=$(cd "$(dirname "$0")/.." && pwd)
prefix=$top/build/node
stamp=$prefix/.ort-$ORT_VERSION.stamp

die() { echo "ort-setup: $*" >&2; exit 1; }

if [ -f "$stamp" ] && [ -f "$prefix/node_modules/onnxruntime-node/package.json" ]; then
	echo "onnxruntime-node $ORT_VERSION"
	exit 0
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || die "node/npm missing; install Debian's nodejs and npm (as root)"
	echo "ort-setup: installing Debian's nodejs npm" >&2
	apt-get update -qq >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		nodejs npm >&2 || die "apt-get install nodejs npm failed"
	command -v node >/dev/null 2>&1 || die "node still missing after apt-get"
	command -v npm >/dev/null 2>&1 || die "npm still missing after apt-get"
fi

major=$(node -e 'process.stdout.write(process.versions.node.split(".")[0])') ||
	die "cannot run node"
[ "$major" -ge 16 ] || die "node $(node --version) is too old for onnxruntime-node (need >= 16)"

mkdir -p "$prefix" || die "cannot create $prefix"
rm -f "$prefix"/.ort-*.stamp
# A package.json of our own keeps npm from walking up to another project.
[ -f "$prefix/package.json" ] ||
	printf '{\n  "name": "qnpu-peers",\n  "private": true\n}\n' > "$prefix/package.json"

echo "ort-setup: npm install onnxruntime-node@$ORT_VERSION into $prefix" >&2
if ! ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$prefix" --no-audit --no-fund \
	--loglevel=error "onnxruntime-node@$ORT_VERSION" >&2; then
	die "npm install onnxruntime-node@$ORT_VERSION failed (registry reachable? see above)"
fi

# Load it once: a package that installed but cannot create a session is a failure too.
got=$(cd "$prefix" && node -e '
	const ort = require("onnxruntime-node");
	if (typeof ort.InferenceSession !== "function") process.exit(2);
	process.stdout.write(require("onnxruntime-node/package.json").version);
') || die "onnxruntime-node installed but does not load (see above)"
[ "$got" = "$ORT_VERSION" ] || die "installed onnxruntime-node $got, expected $ORT_VERSION"

touch "$stamp"
echo "onnxruntime-node $ORT_VERSION"
