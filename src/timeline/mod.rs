//! Timeline (in progress).
