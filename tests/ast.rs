//! The syntax tree of each `tests/ast/*.guard`, snapshotted without spans: a change in how a
//! construct is parsed shows as a reviewable diff.

use std::sync::Arc;

use palisade::source::SourceFile;
use palisade::syntax;

#[test]
fn syntax_trees() {
    insta::glob!("ast/*.guard", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let file = Arc::new(SourceFile::new("t.guard", text));
        let (tree, diags) = syntax::parse(&file);
        assert!(diags.is_empty(), "{:?}", diags.into_vec());
        insta::assert_yaml_snapshot!(tree.unwrap());
    });
}
