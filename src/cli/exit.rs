//! Exit codes (SPEC §6). When several apply, the first in [`Exit::PRECEDENCE`] wins.

use std::process::ExitCode;

/// What a command's run ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: nothing at or above `--fail-on`; all test expectations held.
    Ok,
    /// 19: findings at or above `--fail-on` (or unknown outcomes with `--unknown fail`).
    Findings,
    /// 7: `test`: an expectation did not hold.
    TestFailed,
    /// 4: a template could not be read or parsed.
    TemplateError,
    /// 1: `test`: a test file is invalid.
    TestFileError,
    /// 5: a policy file is invalid.
    PolicyError,
    /// 2: bad command-line usage.
    Usage,
}

impl Exit {
    /// Highest precedence first.
    pub const PRECEDENCE: [Exit; 7] = [
        Exit::Usage,
        Exit::PolicyError,
        Exit::TestFileError,
        Exit::TemplateError,
        Exit::TestFailed,
        Exit::Findings,
        Exit::Ok,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Findings => 19,
            Exit::TestFailed => 7,
            Exit::TemplateError => 4,
            Exit::TestFileError => 1,
            Exit::PolicyError => 5,
            Exit::Usage => 2,
        }
    }

    /// The one of two exits that wins under the precedence order.
    pub fn combine(self, other: Exit) -> Exit {
        // The enum is declared from lowest to highest precedence.
        if other > self { other } else { self }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_the_spec_order() {
        for (i, &high) in Exit::PRECEDENCE.iter().enumerate() {
            for &low in Exit::PRECEDENCE.iter().skip(i) {
                assert_eq!(high.combine(low), high);
                assert_eq!(low.combine(high), high);
            }
        }
    }
}
