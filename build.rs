//! Link options of the `palisade` program.
//!
//! On Linux with glibc 2.36 or later, the program's relocations are packed (`DT_RELR`): some
//! 200 KB of relocation records, read on every start, become a few kilobytes, and a run's peak
//! memory drops by about 0.4 MiB (docs/performance.md). A program linked that way needs glibc
//! 2.36 to start (it depends on the `GLIBC_ABI_DT_RELR` version), so the option is only given
//! when the build machine's own glibc is that recent and the program is built for it: never
//! when cross-compiling, and never when the version cannot be read.

use std::process::Command;

/// The first glibc that reads packed relocations.
const RELR_SINCE: (u32, u32) = (2, 36);

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |key: &str| std::env::var(key).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if native && linux_gnu && glibc_version().is_some_and(|v| v >= RELR_SINCE) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The version of the build machine's glibc, from `ldd --version` ("ldd (GNU libc) 2.36" or
/// "ldd (Debian GLIBC 2.36-9) 2.36": the last word of the first line).
fn glibc_version() -> Option<(u32, u32)> {
    let output = Command::new("ldd").arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let first = text.lines().next()?;
    if !first.contains("GNU libc") && !first.contains("GLIBC") {
        return None;
    }
    let mut parts = first.split_whitespace().last()?.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}
