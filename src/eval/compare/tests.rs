//! Operator tests.
