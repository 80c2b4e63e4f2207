// Outside Linux, the shim's build says what is and is not supported and what to install there, instead
// of an apt-get line; the OS is faked through the platform parameter.
import assert from "node:assert/strict";
import { ShimBuildError } from "../../ffi/build.ts";
import { checkPlatform, installHint, type Platform, unsupportedPlatform } from "../../ffi/platform.ts";

/** Per OS: what its message must say, and must not. */
const CASES: { platform: Platform; says: RegExp[]; never: RegExp[] }[] = [
  {
    platform: { os: "darwin", arch: "aarch64" },
    says: [
      /macOS \(aarch64\)/,
      /Not supported on macOS/,
      /CUDA/,
      /MPS/,
      /pip3 install torch/,
      /xcode-select/,
      /clang\+\+/,
      /DCGAN_SHIM/,
      /container/,
    ],
    never: [/apt-get/],
  },
  {
    platform: { os: "darwin", arch: "x86_64" },
    says: [/macOS \(x86_64\)/, /pip3 install torch/, /clang/],
    never: [/apt-get/],
  },
  {
    platform: { os: "windows", arch: "x86_64" },
    says: [
      /Windows \(x86_64\)/,
      /Not supported natively/,
      /WSL 2/,
      /wsl --install/,
      /MSVC/,
      /cl\.exe/,
      /pip install torch/,
      /DCGAN_SHIM/,
    ],
    never: [/apt-get/],
  },
  {
    platform: { os: "freebsd", arch: "x86_64" },
    says: [/freebsd/, /Linux/, /DCGAN_SHIM/],
    never: [/apt-get/],
  },
];

Deno.test("outside Linux the shim build says what is supported and what to install, not apt-get", () => {
  for (const { platform, says, never } of CASES) {
    const message = unsupportedPlatform(platform);
    assert.ok(message, `${platform.os} is refused`);
    for (const pattern of says) assert.match(message, pattern, `${platform.os}: ${message}`);
    for (const pattern of never) assert.doesNotMatch(message, pattern, `${platform.os}`);
    assert.throws(
      () => checkPlatform(platform),
      (error) => error instanceof ShimBuildError && error.message === message,
    );
    // a missing compiler or libtorch gets the same answer there, never an apt-get line
    assert.equal(installHint("compiler", platform), message);
    assert.equal(installHint("libtorch", platform), message);
  }
});

Deno.test("on Linux the shim build goes ahead and the hints are apt-get and pip lines", () => {
  const x86 = { os: "linux", arch: "x86_64" } as const;
  assert.equal(unsupportedPlatform(x86), undefined);
  checkPlatform(x86);
  assert.match(installHint("libtorch", x86), /apt-get install -y libtorch-dev.*pip install torch.*LIBTORCH/);
  assert.match(installHint("compiler", x86), /apt-get install -y g\+\+/);
  // Debian's libtorch-dev is looked for under x86_64-linux-gnu only: arm64 is pointed at pip's torch
  const arm = { os: "linux", arch: "aarch64" } as const;
  assert.doesNotMatch(installHint("libtorch", arm), /libtorch-dev`/);
  assert.match(installHint("libtorch", arm), /pip install torch/);
});
