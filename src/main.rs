//! The `palisade` command: parses arguments and hands over to [`palisade::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    palisade::cli::on_single_input(purge_freed_memory_at_once);
    palisade::cli::main()
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (its position in `mi_option_t` of mimalloc 2, the version
/// `Cargo.lock` pins; `libmimalloc-sys` names only some options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes the allocator give freed memory back to the system at once rather than 10 ms later;
/// `validate` calls it before it checks a single input. One template is read, modelled,
/// evaluated and reported in phases that each free much of what the one before allocated:
/// held back, that memory counted in the peak twice. On 10,000 groups this lowers the peak by
/// 12 % for about 5 % more time (docs/performance.md). The files of a folder are left with the
/// default: each reuses what the one before freed, and purging would only cost time. A
/// `MIMALLOC_PURGE_DELAY` set in the environment is left to have its say.
#[allow(unsafe_code)]
fn purge_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` takes no pointer and checks that the option is in range
        // before it stores the value in mimalloc's option table. `validate` calls this on the
        // main thread before it starts any other, so nothing reads the table meanwhile.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
    }
}
