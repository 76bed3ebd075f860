#!/usr/bin/env bash
# Regenerates Sources/YardServing/ONNX/onnx-ml.pb.swift, the swift-protobuf message code for ONNX models.
# The output is committed, so neither CI nor a normal build runs this (the code generator alone takes
# minutes to build). Run it only to move to a newer ONNX schema.
#
# Needs: protoc (Debian: protobuf-compiler), pip (PyPI), and swift. The schema comes from the pinned
# onnx wheel on PyPI (onnx/onnx-ml.proto, the variant with the ai.onnx.ml map and sequence types); the
# plugin is built from the same swift-protobuf version Package.swift names.
#
#   scripts/generate-onnx-proto.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
onnx_version="1.23.2"
protobuf_version="1.39.0"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "fetching onnx==$onnx_version from PyPI for its schema" >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: "onnx==$onnx_version" -d "$work/wheel"
(cd "$work/wheel" && python3 -m zipfile -e ./*.whl .)

echo "building protoc-gen-swift $protobuf_version" >&2
git clone --quiet --branch "$protobuf_version" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
(cd "$work/swift-protobuf" && swift build -c release --product protoc-gen-swift >&2)

mkdir -p "$work/proto"
cp "$work/wheel/onnx/onnx-ml.proto" "$work/proto/onnx-ml.proto"
protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/release/protoc-gen-swift" \
    --proto_path="$work/proto" \
    --swift_opt=Visibility=Internal \
    --swift_out="$repo/Sources/YardServing/ONNX" \
    "$work/proto/onnx-ml.proto"
echo "wrote Sources/YardServing/ONNX/onnx-ml.pb.swift" >&2
