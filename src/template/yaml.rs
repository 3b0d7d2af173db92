//! YAML templates into [`Node`] trees, on libyaml's event stream (`libyaml-safer`).
//!
//! Short CloudFormation tags become long forms (see [`super::tags`]), plain scalars are typed
//! by YAML 1.2's core schema (see [`super::scalar`]), anchors and aliases are expanded within a
//! node budget checked before anything is copied, and nesting is bounded before it is built.
//!
//! Spans: libyaml's `Mark::index` is a byte offset into the UTF-8 text it was given (in
//! libyaml-safer 0.3.0's scanner every consumed character adds its UTF-8 width, a CRLF line
//! break two, a tab one), not counting a byte-order mark, which its reader swallows before
//! counting starts. palisade strips the byte-order mark itself and adds its 3 bytes back. A
//! scalar's span is its text as written (quotes included, tag and anchor excluded, no trailing
//! blank lines after a block scalar); a collection's span starts at its first character (`[`,
//! `{`, `-` or its first key) and ends after its closing bracket or its last value.
//!
//! Only the first document is read. A second document (after `---`) is an error, not ignored:
//! CloudFormation reads one document per template, and skipping the rest silently would let
//! resources go unchecked (cfn-lint rejects such files too).

use std::collections::HashMap;
use std::io::{BufReader, Chain, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use libyaml_safer::{
    Encoding, Event, EventData, MappingStyle, Parser, ScalarStyle, Scanner, SequenceStyle,
    TokenData,
};

use super::tree::{Tree, internal};
use super::value::{Key, Map, Node, Str, Value};
use super::{LoadError, MAX_NODES, cost, measure, scalar, tags};
use crate::hash::HashSet;
use crate::source::{SourceFile, Span};

mod errors;

/// Bytes handed to libyaml at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Parses the first YAML document of `source`; `None` when the file holds no document at all
/// (only comments).
pub(super) fn parse(source: &SourceFile) -> Result<Option<Node>, LoadError> {
    // The known ways to make libyaml-safer 0.3 panic are avoided below (`Input`,
    // `errors::tag_before_comma`); this is the net for any unknown one.
    catch_unwind(AssertUnwindSafe(|| parse_guarded(source)))
        .unwrap_or_else(|_| Err(errors::reader_failed()))
}

fn parse_guarded(source: &SourceFile) -> Result<Option<Node>, LoadError> {
    let input = Input::new(source.text());
    if let Some(error) = errors::tag_before_comma(&input) {
        return Err(error);
    }
    let mut parser = Parser::new();
    parser.set_encoding(Encoding::Utf8);
    parser.set_input(input.reader(input.body.len()));
    let mut builder = Builder {
        source,
        input: &input,
        tree: Tree::new("yaml::duplicate-key"),
        anchors: HashMap::new(),
        nodes: 0,
        budget: node_budget(source.text().len()),
        documents: 0,
    };
    loop {
        let event = parser
            .parse()
            .map_err(|e| errors::syntax(source, &input, &e))?;
        if builder.push(event)? {
            return Ok(builder.tree.finish());
        }
    }
}

/// The text as libyaml gets it.
#[derive(Debug)]
struct Input<'a> {
    /// The file's text without its byte-order mark.
    body: &'a str,
    /// Length of the byte-order mark (0 or 3): added to libyaml's offsets.
    base: u32,
    /// Length of the whole text, where offsets are clamped.
    len: u32,
}

impl<'a> Input<'a> {
    fn new(text: &'a str) -> Self {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        Input {
            body,
            base: (text.len() - body.len()) as u32,
            len: text.len() as u32,
        }
    }

    /// The first `end` bytes of the body, always ending in a line break: libyaml-safer 0.3
    /// panics at the end of input right after a block scalar's last line (`a: |\n  x`) or a
    /// backslash in a double-quoted scalar (`"x\`). A final line break changes no value
    /// except that of a block scalar ending the file, which `Builder::scalar` corrects.
    ///
    /// Read in chunks: libyaml-safer decodes whatever its reader has buffered into a queue of
    /// `char`s, so a reader that hands over the whole text at once would cost four bytes per
    /// byte of text, and copies as the queue grows.
    fn reader(&self, end: usize) -> BufReader<Chain<&'a [u8], &'static [u8]>> {
        let body = self.bytes().get(..end).unwrap_or_default();
        let pad: &[u8] = if ends_in_break(body) { b"" } else { b"\n" };
        BufReader::with_capacity(READ_CHUNK, body.chain(pad))
    }

    /// A libyaml offset as an offset into the file's text.
    fn offset(&self, index: u64) -> u32 {
        u32::try_from(index)
            .unwrap_or(u32::MAX)
            .saturating_add(self.base)
            .min(self.len)
    }

    fn span(&self, event: &Event) -> Span {
        Span::new(
            self.offset(event.start_mark.index),
            self.offset(event.end_mark.index),
        )
    }

    /// True when the body's last line has text and no line break, so that `reader` added the
    /// line break that ends it.
    fn padded_text(&self) -> bool {
        let last_line = self.body.rsplit(BREAKS).next().unwrap_or_default();
        !ends_in_break(self.bytes()) && !last_line.bytes().all(is_blank)
    }

    fn bytes(&self) -> &'a [u8] {
        self.body.as_bytes()
    }

    /// The file's byte at file offset `at`.
    fn byte(&self, at: u32) -> Option<u8> {
        self.bytes()
            .get(at.checked_sub(self.base)? as usize)
            .copied()
    }

    /// Where the content of the node whose event spans `event` starts, past its properties
    /// (`!tag`, `&anchor`, when it has any) and the blanks and comments after them; and the
    /// tag's span.
    fn content_start(&self, event: Span, properties: bool) -> (u32, Option<Span>) {
        if !properties {
            return (event.start, None);
        }
        let limit = event.end;
        let mut at = event.start;
        let mut tag = None;
        loop {
            match self.byte(at) {
                _ if at >= limit => break,
                Some(b' ' | b'\t' | b'\r' | b'\n') => at += 1,
                Some(b'#') => {
                    while at < limit && self.byte(at).is_some_and(|b| b != b'\n') {
                        at += 1;
                    }
                }
                Some(first @ (b'!' | b'&')) => {
                    let token = at;
                    while at < limit && self.byte(at).is_some_and(|b| !is_blank(b)) {
                        at += 1;
                    }
                    if first == b'!' {
                        tag = Some(Span::new(token, at));
                    }
                }
                _ => break,
            }
        }
        (at.min(limit), tag)
    }

    /// `end` moved back over trailing blanks and line breaks, not before `start`.
    fn trim_end(&self, start: u32, mut end: u32) -> u32 {
        while end > start && self.byte(end - 1).is_some_and(is_blank) {
            end -= 1;
        }
        end
    }
}

/// The characters YAML reads as line breaks.
const BREAKS: [char; 5] = ['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'];

/// True when `text` ends with a line break.
fn ends_in_break(text: &[u8]) -> bool {
    let mut utf8 = [0; 4];
    BREAKS
        .iter()
        .any(|c| text.ends_with(c.encode_utf8(&mut utf8).as_bytes()))
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// What an open collection remembers until it closes.
#[derive(Debug)]
struct Open {
    /// The long-form key when the collection is tagged `!Name`.
    function: Option<Str>,
    tag: Option<Span>,
    anchor: Option<String>,
    flow: bool,
    /// Where the node's text starts, properties included.
    outer: u32,
    /// Set when a map has a merge key (`<<`, plain): merged when it closes.
    merge: bool,
}

/// An anchored value, with its size counted once.
#[derive(Debug)]
struct Anchor {
    node: Node,
    /// Values in it.
    count: usize,
    /// Levels of lists and maps in it.
    height: usize,
}

struct Builder<'a> {
    source: &'a SourceFile,
    input: &'a Input<'a>,
    tree: Tree<Open>,
    anchors: HashMap<String, Anchor>,
    /// Values created so far, counting every value an alias copies or an anchor keeps.
    nodes: usize,
    /// Most values the document may expand to (see [`node_budget`]).
    budget: usize,
    documents: usize,
}

impl Builder<'_> {
    /// Handles one event; true at the end of the stream.
    fn push(&mut self, event: Event) -> Result<bool, LoadError> {
        let at = self.input.span(&event);
        match event.data {
            EventData::StreamStart { .. } | EventData::DocumentEnd { .. } => {}
            EventData::StreamEnd => return Ok(true),
            EventData::DocumentStart { .. } => {
                if self.documents > 0 {
                    return Err(errors::second_document(at));
                }
                self.documents += 1;
            }
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => self.scalar(at, anchor, tag, value, style)?,
            EventData::Alias { anchor } => self.alias(at, &anchor)?,
            EventData::SequenceStart {
                anchor, tag, style, ..
            } => self.open(false, at, anchor, tag, style == SequenceStyle::Flow)?,
            EventData::MappingStart {
                anchor, tag, style, ..
            } => self.open(true, at, anchor, tag, style == MappingStyle::Flow)?,
            EventData::SequenceEnd | EventData::MappingEnd => self.close(at)?,
        }
        Ok(false)
    }

    fn scalar(
        &mut self,
        at: Span,
        anchor: Option<String>,
        tag: Option<String>,
        mut text: String,
        style: ScalarStyle,
    ) -> Result<(), LoadError> {
        let (start, tag_span) = self
            .input
            .content_start(at, anchor.is_some() || tag.is_some());
        let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
        let end = if block {
            self.input.trim_end(start, at.end)
        } else {
            at.end
        };
        // The line break `Input::reader` added ended up in a block scalar that ends the file.
        if block && at.end >= self.input.len && self.input.padded_text() && text.ends_with('\n') {
            text.pop();
        }
        let content = Span::new(start, end);
        let function = tag.as_deref().and_then(tags::long_form);
        self.count(cost(&text), content, None)?;
        if self.tree.expects_key() {
            let untagged = tag.is_none();
            if let Some(tag) = tag.filter(|_| function.is_some()) {
                return Err(errors::complex_key(content, Some(&tag)));
            }
            if text == MERGE_KEY && style == ScalarStyle::Plain && untagged {
                if let Some(frame) = self.tree.top_mut() {
                    frame.extra.merge = true;
                }
            }
            let key = Node::string(text, content);
            return self.place(anchor, key);
        }
        let mut node = Node::new(scalar::value(text, style, tag.as_deref()), content);
        if let Some(key) = function {
            self.tree.check_depth(1, at)?;
            self.count(1, at, None)?;
            let tag = tag_span.unwrap_or(at);
            let key = self.tree.intern(&key);
            node = tags::wrap(key, node, tag, Span::new(at.start, end), self.source.text());
        }
        self.place(anchor, node)
    }

    fn alias(&mut self, at: Span, name: &str) -> Result<(), LoadError> {
        let Some(anchor) = self.anchors.get(name) else {
            return Err(errors::unknown_alias(at, name));
        };
        let (count, height) = (anchor.count, anchor.height);
        // Both bounds are checked before anything is copied.
        self.tree.check_depth(height, at)?;
        self.count(count, at, Some(name))?;
        let mut copy = self
            .anchors
            .get(name)
            .map(|a| a.node.clone())
            .ok_or_else(|| internal(at))?;
        copy.span = at;
        self.place(None, copy)
    }

    fn open(
        &mut self,
        map: bool,
        at: Span,
        anchor: Option<String>,
        tag: Option<String>,
        flow: bool,
    ) -> Result<(), LoadError> {
        let (start, tag_span) = self
            .input
            .content_start(at, anchor.is_some() || tag.is_some());
        let function = tag.as_deref().and_then(tags::long_form);
        let weight = 1 + usize::from(function.is_some());
        self.count(weight, at, None)?;
        let open = Open {
            function,
            tag: tag_span,
            anchor,
            flow,
            outer: at.start,
            merge: false,
        };
        self.tree.open(map, start, weight, open)
    }

    fn close(&mut self, at: Span) -> Result<(), LoadError> {
        let flow = self.tree.top().is_some_and(|f| f.extra.flow);
        let (node, open) = self
            .tree
            .close(flow.then_some(at.end))
            .ok_or_else(|| internal(at))?;
        let node = if open.merge { merge(node)? } else { node };
        let node = match open.function {
            Some(key) => {
                let outer = Span::new(open.outer, node.span.end);
                let tag = open.tag.unwrap_or(outer);
                let key = self.tree.intern(&key);
                tags::wrap(key, node, tag, outer, self.source.text())
            }
            None => node,
        };
        self.place(open.anchor, node)
    }

    /// Remembers an anchored node, then puts the node in its place in the tree.
    fn place(&mut self, anchor: Option<String>, node: Node) -> Result<(), LoadError> {
        if let Some(name) = anchor {
            let (count, height) = measure(&node, false);
            // The kept copy costs as much as the value itself.
            self.count(count, node.span, None)?;
            let kept = Anchor {
                node: node.clone(),
                count,
                height,
            };
            self.anchors.insert(name, kept);
        }
        if !self.tree.expects_key() {
            return self.tree.push_value(node);
        }
        match node.value {
            Value::String(key) => self.tree.push_key(self.source, key, node.span),
            _ => Err(errors::complex_key(node.span, None)),
        }
    }

    /// Adds `n` values to the budget; fails when it is exceeded.
    fn count(&mut self, n: usize, at: Span, alias: Option<&str>) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.budget {
            return Err(errors::too_large(at, alias, self.budget));
        }
        Ok(())
    }
}

/// The merge key of YAML 1.1 (`<<: *defaults`), which `aws cloudformation package` and SAM
/// apply before a template is deployed.
const MERGE_KEY: &str = "<<";

/// Applies a map's merge key: the entries of the map it names (or of each map of a list, the
/// first ones first) join the map where the key stood, unless the map has the key itself.
/// Merged values keep their spans, where the anchored map is written.
fn merge(node: Node) -> Result<Node, LoadError> {
    let Value::Map(map) = node.value else {
        return Ok(node);
    };
    let mut entries = map.into_written();
    let Some(at) = entries.iter().position(|e| &*e.key == MERGE_KEY) else {
        return Ok(Node::new(Value::Map(Map::new(entries)), node.span));
    };
    let merged = entries.remove(at).value;
    // A function (`<<: !If [C, {…}, {…}]`) is worked out at deploy time; merge keys are
    // applied before, so there is nothing to merge.
    if merged.as_intrinsic().is_some() {
        return Err(errors::invalid_merge(merged.span));
    }
    let sources = match merged.value {
        Value::Map(map) => vec![map],
        Value::List(items) => items
            .into_vec()
            .into_iter()
            .map(|item| match item.value {
                Value::Map(map) if item.as_intrinsic().is_none() => Ok(map),
                _ => Err(errors::invalid_merge(item.span)),
            })
            .collect::<Result<Vec<Map>, LoadError>>()?,
        _ => return Err(errors::invalid_merge(merged.span)),
    };
    let mut seen: HashSet<Key> = entries.iter().map(|e| e.key.clone()).collect();
    let mut added = Vec::new();
    for source in sources {
        added.extend(
            source
                .into_written()
                .into_iter()
                .filter(|e| seen.insert(e.key.clone())),
        );
    }
    entries.splice(at..at, added);
    Ok(Node::new(Value::Map(Map::new(entries)), node.span))
}

/// The value budget of a document of `len` bytes: [`MAX_NODES`], or one value per byte for
/// larger (machine-generated) documents. Written out, every value takes at least a byte, so
/// only aliases can reach the budget; a small file cannot expand into a huge tree.
fn node_budget(len: usize) -> usize {
    MAX_NODES.max(len)
}

/// Runs libyaml's scanner alone over the first `end` bytes of the body, calling `visit` with
/// each token and the flow depth at it, until `visit` returns a decision or the tokens end.
/// Returns the decision, or the scanner's error offset.
fn scan_tokens<T>(
    input: &Input<'_>,
    end: usize,
    mut visit: impl FnMut(&TokenData, u32, u32, usize) -> Option<T>,
) -> Result<Option<T>, u32> {
    let mut scanner = Scanner::new();
    scanner.set_encoding(Encoding::Utf8);
    scanner.set_input(input.reader(end));
    let mut flow = 0usize;
    loop {
        // `Scanner::scan` by path: the method call would pick `Iterator::scan`.
        let token = Scanner::scan(&mut scanner)
            .map_err(|e| e.problem_mark().map_or(0, |m| input.offset(m.index)))?;
        match token.data {
            TokenData::StreamEnd => return Ok(None),
            TokenData::FlowSequenceStart | TokenData::FlowMappingStart => flow += 1,
            TokenData::FlowSequenceEnd | TokenData::FlowMappingEnd => {
                flow = flow.saturating_sub(1);
            }
            _ => {}
        }
        let start = input.offset(token.start_mark.index);
        let stop = input.offset(token.end_mark.index);
        if let Some(decision) = visit(&token.data, start, stop, flow) {
            return Ok(Some(decision));
        }
    }
}

#[cfg(test)]
mod tests;
