//! The parse floor: reads and parses every template under the given paths (in parallel, as
//! `palisade validate` does) and does nothing else, so that the benchmark can compare a full
//! check with the time it takes only to load the files.
//!
//! `cargo bench --bench parse_floor -- PATH…` (`bench/run.sh` runs it).

use std::path::PathBuf;
use std::process::ExitCode;

use palisade::cli::inputs;
use rayon::prelude::*;

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; everything else is a path.
    let paths: Vec<PathBuf> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--bench")
        .map(PathBuf::from)
        .collect();
    if paths.is_empty() {
        eprintln!("usage: parse_floor PATH…");
        return ExitCode::from(2);
    }
    // The same files as `palisade validate` reads, found and read the same way.
    let files = inputs::expand(&paths).inputs;
    let failed: usize = files
        .par_iter()
        .map(|input| {
            let parsed = inputs::read(input).and_then(palisade::template::parse);
            usize::from(parsed.is_err())
        })
        .sum();
    println!("{} files read, {failed} could not be parsed", files.len());
    ExitCode::SUCCESS
}
