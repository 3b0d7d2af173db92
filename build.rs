//! Link options of the `palisade` program.
//!
//! On Linux with glibc, the program's relocations are packed (`DT_RELR`): some 200 KB of
//! relocation records, read on every start, become a few kilobytes, and a run's peak memory
//! drops by about 0.4 MiB (docs/performance.md). Linkers without the option warn and ignore
//! it; GNU ld applies it only when glibc can read the packed form (glibc 2.36 or later).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
