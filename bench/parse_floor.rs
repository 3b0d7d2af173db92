//! The parse floor: reads and parses every template under the given paths (in parallel, as
//! `palisade validate` does) and does nothing else, so that the benchmark can compare a full
//! check with the time it takes only to load the files.
//!
//! `cargo bench --bench parse_floor -- PATH…` (`bench/run.sh` runs it).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;

const EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "template"];

fn walk(path: &Path, found: &mut Vec<PathBuf>) {
    if !path.is_dir() {
        found.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    // As `palisade validate` walks folders: hidden folders are skipped, hidden files are not.
    for entry in entries.flatten() {
        let p = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let is_template = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.iter().any(|t| t.eq_ignore_ascii_case(e)));
        if (p.is_dir() && !hidden) || (!p.is_dir() && is_template) {
            walk(&p, found);
        }
    }
}

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
    let mut files = Vec::new();
    for p in &paths {
        walk(p, &mut files);
    }
    files.sort();
    let failed: usize = files
        .par_iter()
        .map(|f| {
            let name = f.to_string_lossy().into_owned();
            let parsed = palisade::template::read_file(f, name).and_then(palisade::template::parse);
            usize::from(parsed.is_err())
        })
        .sum();
    println!("{} files read, {failed} could not be parsed", files.len());
    ExitCode::SUCCESS
}
