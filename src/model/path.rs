//! JSON pointers into a template (`/Resources/WebSg/Properties/SecurityGroupIngress/0`).
//!
//! While the model walks a template it keeps the way to the current value as a chain of
//! borrowed segments, and writes the pointer out only for values that end up in the model.

use std::fmt;

use crate::template::pointer_token;

/// The way from the template root to a value: a chain of keys and list indices.
#[derive(Clone, Copy, Debug)]
pub enum Seg<'p> {
    /// The template root.
    Root,
    /// A key of a map under a parent.
    Key(&'p Seg<'p>, &'p str),
    /// An item of a list under a parent.
    Index(&'p Seg<'p>, usize),
}

impl<'p> Seg<'p> {
    /// The value under `key` of this one.
    pub fn key(&'p self, key: &'p str) -> Seg<'p> {
        Seg::Key(self, key)
    }

    /// Item `index` of this one.
    pub fn index(&'p self, index: usize) -> Seg<'p> {
        Seg::Index(self, index)
    }

    /// The pointer text.
    pub fn pointer(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Seg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Root => Ok(()),
            Seg::Key(parent, key) => {
                write!(f, "{parent}/{}", pointer_token(key))
            }
            Seg::Index(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

/// The pointer of a resource's property, `/Resources/<id>/Properties/<key>/…`.
pub fn property_pointer(resource: &str, keys: &[&str]) -> String {
    let root = Seg::Root;
    let resources = root.key("Resources");
    let res = resources.key(resource);
    let mut out = res.pointer();
    if !keys.is_empty() {
        out.push_str("/Properties");
        for key in keys {
            out.push('/');
            out.push_str(&pointer_token(key));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_keys() {
        let root = Seg::Root;
        let r = root.key("Resources");
        let sg = r.key("Web/Sg~1");
        let list = sg.key("Fn::If");
        assert_eq!(list.index(2).pointer(), "/Resources/Web~1Sg~01/Fn::If/2");
        assert_eq!(root.pointer(), "");
        assert_eq!(
            property_pointer("WebSg", &["SecurityGroupIngress", "0"]),
            "/Resources/WebSg/Properties/SecurityGroupIngress/0"
        );
        assert_eq!(property_pointer("WebSg", &[]), "/Resources/WebSg");
    }
}
