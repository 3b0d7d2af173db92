//! The `palisade` command: parses arguments and hands over to [`palisade::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    palisade::cli::main()
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
