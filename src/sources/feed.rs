//! Feed parsing (in progress).
