//! Policy diagnostics as labelled snippets (via miette's graphical handler). Their texts quote
//! policy text, paths and command-line values: control characters in them are escaped, as in
//! the reports (see [`super::printable`]).

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};

use super::printable;
use super::window::Window;
use crate::diag::{Diagnostic, Level};

/// Adapts a [`Diagnostic`] to miette.
struct Adapter<'d> {
    diag: &'d Diagnostic,
    /// The lines shown; its spans are the primary one, then the related ones.
    source: Window,
}

impl fmt::Debug for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.diag.message))
    }
}

impl std::error::Error for Adapter<'_> {}

fn source_span(span: crate::source::Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len() as usize)
}

impl miette::Diagnostic for Adapter<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(printable(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let mut spans = self.source.spans.iter().copied();
        let primary = LabeledSpan::new_primary_with_span(
            Some(
                self.diag
                    .label
                    .as_deref()
                    .map_or_else(|| "here".to_string(), |l| printable(l).into_owned()),
            ),
            source_span(spans.next().unwrap_or_default()),
        );
        let related = self
            .diag
            .related
            .iter()
            .zip(spans)
            .map(|((_, label), span)| {
                LabeledSpan::new_with_span(Some(printable(label).into_owned()), source_span(span))
            });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// Renders one diagnostic: `file:line:col` header, code, message, the labelled source lines
/// and the help. `color` adds ANSI colours and box-drawing characters; without it the output
/// is plain ASCII.
pub fn render(diag: &Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme {
            characters: miette::ThemeCharacters::ascii(),
            styles: miette::ThemeStyles::none(),
        }
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let spans: Vec<_> = std::iter::once(diag.span)
        .chain(diag.related.iter().map(|(span, _)| *span))
        .collect();
    let adapter = Adapter {
        diag,
        source: Window::new(&diag.file, &spans),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &adapter).is_err() {
        out.push_str(&printable(&diag.to_string()));
        out.push('\n');
    }
    out.push('\n');
    out
}
