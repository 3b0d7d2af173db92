//! The built-in functions: names, arities and what they take.

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `count(q)`: how many values `q` selects.
    Count,
    /// `join(q, ",")`: the string values of `q` joined with a delimiter.
    Join,
    /// `to_lower(q)`
    ToLower,
    /// `to_upper(q)`
    ToUpper,
    /// `regex_replace(q, "pattern", "replacement")`, with `$1`-style groups.
    RegexReplace,
    /// `substring(q, start, end)`: characters `start..end`; out-of-range values are dropped.
    Substring,
    /// `parse_int(q)`
    ParseInt,
    /// `parse_float(q)`
    ParseFloat,
    /// `parse_string(q)`
    ParseString,
    /// `parse_boolean(q)`
    ParseBoolean,
    /// `parse_char(q)`
    ParseChar,
    /// `json_parse(q)`: parses JSON held in strings (e.g. inline policy documents).
    JsonParse,
    /// `url_decode(q)`
    UrlDecode,
    /// `now()`: the current time in seconds since the epoch.
    Now,
    /// `parse_epoch(q)`: an RFC 3339 time to seconds since the epoch.
    ParseEpoch,
    /// `prefix_len(q)`: the prefix length of CIDRs.
    PrefixLen,
    /// `address_count(q)`: the number of addresses in CIDRs.
    AddressCount,
    /// `port_count(q)`: the number of ports in port ranges.
    PortCount,
}

/// Every function with its name and arity, for look-up and for help texts.
pub const FUNCTIONS: [(Func, &str, usize); 18] = [
    (Func::Count, "count", 1),
    (Func::Join, "join", 2),
    (Func::ToLower, "to_lower", 1),
    (Func::ToUpper, "to_upper", 1),
    (Func::RegexReplace, "regex_replace", 3),
    (Func::Substring, "substring", 3),
    (Func::ParseInt, "parse_int", 1),
    (Func::ParseFloat, "parse_float", 1),
    (Func::ParseString, "parse_string", 1),
    (Func::ParseBoolean, "parse_boolean", 1),
    (Func::ParseChar, "parse_char", 1),
    (Func::JsonParse, "json_parse", 1),
    (Func::UrlDecode, "url_decode", 1),
    (Func::Now, "now", 0),
    (Func::ParseEpoch, "parse_epoch", 1),
    (Func::PrefixLen, "prefix_len", 1),
    (Func::AddressCount, "address_count", 1),
    (Func::PortCount, "port_count", 1),
];

impl Func {
    /// The function with this name.
    pub fn lookup(name: &str) -> Option<Func> {
        FUNCTIONS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(f, _, _)| *f)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        FUNCTIONS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("", |(_, n, _)| n)
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        FUNCTIONS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or(0, |(_, _, a)| *a)
    }

    /// How a call is written, e.g. `join(query, delimiter)`.
    pub fn usage(self) -> &'static str {
        match self {
            Func::Count => "count(query)",
            Func::Join => "join(query, delimiter)",
            Func::ToLower => "to_lower(query)",
            Func::ToUpper => "to_upper(query)",
            Func::RegexReplace => "regex_replace(query, pattern, replacement)",
            Func::Substring => "substring(query, start, end)",
            Func::ParseInt => "parse_int(query)",
            Func::ParseFloat => "parse_float(query)",
            Func::ParseString => "parse_string(query)",
            Func::ParseBoolean => "parse_boolean(query)",
            Func::ParseChar => "parse_char(query)",
            Func::JsonParse => "json_parse(query)",
            Func::UrlDecode => "url_decode(query)",
            Func::Now => "now()",
            Func::ParseEpoch => "parse_epoch(query)",
            Func::PrefixLen => "prefix_len(query)",
            Func::AddressCount => "address_count(query)",
            Func::PortCount => "port_count(query)",
        }
    }

    /// True for functions that give one value per input value (and keep its position);
    /// false for those that combine all values into one.
    pub fn maps_each_value(self) -> bool {
        !matches!(self, Func::Count | Func::Join | Func::Now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_found_by_its_name() {
        for (f, name, arity) in FUNCTIONS {
            assert_eq!(Func::lookup(name), Some(f));
            assert_eq!(f.name(), name);
            assert_eq!(f.arity(), arity);
            let usage = f.usage();
            assert!(usage.starts_with(&format!("{name}(")), "{usage}");
            let args = usage.trim_start_matches(name).trim_matches(['(', ')']);
            assert_eq!(args.split(", ").filter(|a| !a.is_empty()).count(), arity);
        }
        assert_eq!(Func::lookup("length"), None);
    }
}
